# PEP 701 f-strings (3.12): nested same quotes, comments, backslashes.
songs = ["a", "b"]
a = f"{", ".join(songs)}"
b = f"{f"{f"{__import__("deep_nested")}"}"}"
c = f"{
    __import__("multiline")  # a comment inside
}"
d = f"{'\n'.join(songs)}"
e = f"{songs[0]:{"^"}{10}}"
import after_fstrings
g = f"{"import fake"}"
h = f"""{"""
"""}"""
t = f"{1:=^10}" f"{(x:=5)}"
