def hi():
    print("hi from pdbuild")
    return 0
