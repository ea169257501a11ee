"""`orchestrate.py report`: the page from the marts as they are now, without a run.

The `--report` flag of a run writes the same page after its build; this command
rebuilds nothing (so the marts keep the vars of the build that made them) and shows
"no run" in the header, beside when the marts were built.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from membership_elt.targets import add_target_option
from pipeline.dbt_vars import declared_vars
from pipeline.settings import DBT_PROJECT_DIR, DEFAULT_REPORT_PATH, resolve

NO_RUN = "none (orchestrate.py report: the current marts)"


def report_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="orchestrate.py report",
                                     description="Write the KPI report page from the current marts.")
    add_target_option(parser)
    parser.add_argument("--report-path", type=Path, default=DEFAULT_REPORT_PATH, metavar="PATH",
                        help="where the page goes (default target/report/index.html)")
    args = parser.parse_args(argv)
    settings = resolve(args.target, {}, declared_vars(DBT_PROJECT_DIR))
    from pipeline.report import build_report

    try:
        details = build_report(settings, NO_RUN, args.report_path.resolve())
    except Exception as error:
        first = str(error).splitlines()[0] if str(error) else ""
        print(f"report: cannot read the marts on {settings.target} ({type(error).__name__}: {first}). "
              f"Run `make run` first; on DuckDB, close any other process holding {settings.duckdb_path}.",
              file=sys.stderr)
        return 1
    for key, why in details["charts_not_drawn"].items():
        print(f"not drawn: {key}: {why}")
    if details.get("ga4_note"):
        print("not drawn: the GA4 charts: GA4 is not configured (one note on the page in their place)")
    print(f"Report ({len(details['charts'])} charts, data as of {details['as_of']}) written to "
          f"{details['report_path']}")
    return 0
