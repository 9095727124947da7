import os
import sys


def _greeting():
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "resources", "greeting.txt")) as f:
        return f.read().strip()


def main():
    print(_greeting(), *sys.argv[1:])
    return 3 if "--fail" in sys.argv else 0


class Runner:
    @staticmethod
    def run():
        print("runner", os.path.basename(sys.argv[0]))
        return 0


def gui():
    print("gui")
    return 0
