from setuptools import setup

setup(scripts=["scripts/pdtest-raw"], headers=["include/pdtest.h"])
