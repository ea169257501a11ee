"""`python -m samplegen --out DIR [...]`: the sample data generator's command line."""

import sys

from samplegen.cli import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m samplegen"))
