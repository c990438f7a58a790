"""The frozen app's entry point: the same ``main`` as ``python -m cloudbrowser``."""

import sys

from cloudbrowser.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
