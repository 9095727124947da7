from setuptools import setup

setup(name="legacy", version="2.0", packages=["legacy"])
