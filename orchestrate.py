"""The scheduled entry point: load the membership export, run `dbt build`, report.

    python orchestrate.py [options]          # the pipeline; --help lists the options
    python orchestrate.py show MART          # print a mart

Steps, in order: (generate the sample data when it is missing and nothing is
configured), load, dbt build, (dbt docs generate). The work lives in `pipeline/`
(one module per concern; pipeline/__init__.py says how to add a step). See
docs/operations.md for exit codes, retries and the run summary.
"""

from __future__ import annotations

import sys

from pipeline.cli import main

if __name__ == "__main__":
    sys.exit(main())
