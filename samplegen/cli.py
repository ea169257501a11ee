"""The command line: ``--out DIR [--members N] [--days D] [--start YYYY-MM-DD] [--seed S] [--messy]
[--ga4-schema mixed|2020|2023|2024] [--drop-ga4-day YYYY-MM-DD ...] [--half-export-ga4-day YYYY-MM-DD ...]``.

Prints one summary line on stdout. Exit codes: 0 written, 2 bad arguments or a
folder that could not be written.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from samplegen.dataset import DEFAULT_DAYS, DEFAULT_MEMBERS_PER_YEAR, DEFAULT_SEED, DEFAULT_START, generate
from samplegen.ga4 import GA4_SCHEMA_CHOICES

DESCRIPTION = "Generate deterministic sample data: membership CSV exports and a GA4 BigQuery export."


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    """Run the command line; `prog` names the program in messages (default: how it was started)."""
    parser = _parser(prog)
    args = parser.parse_args(argv)
    try:
        summary = generate(args.out, args.members, args.days, args.start, args.seed, args.messy,
                           args.ga4_schema, args.drop_ga4_day, args.half_export_ga4_day)
    except (ValueError, OSError) as exc:
        print(f"{Path(parser.prog).stem}: {exc}", file=sys.stderr)
        return 2
    print(
        f"Wrote {len(summary['membership_files'])} membership exports ({summary['members']} members) "
        f"and {len(summary['ga4_files'])} GA4 files ({summary['events']} events) "
        f"to {summary['out_dir']} in {summary['seconds']} s."
    )
    return 0


def _parser(prog: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=DESCRIPTION)
    parser.add_argument("--out", type=Path, default=Path("sample_data"),
                        help="output folder (membership/ and ga4/ are created in it)")
    parser.add_argument("--members", type=int, default=DEFAULT_MEMBERS_PER_YEAR,
                        help="expected signups per 365 days of traffic (default %(default)s)")
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS, help="days of data (default %(default)s)")
    parser.add_argument("--start", type=_date_of("--start"), default=DEFAULT_START,
                        help="first day, YYYY-MM-DD (default %(default)s)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default %(default)s)")
    parser.add_argument("--messy", action="store_true",
                        help="write the membership CSVs like real exports (formats, encodings, headers), "
                             "and leave one GA4 day unexported and one half-exported")
    parser.add_argument("--drop-ga4-day", type=_date_of("--drop-ga4-day"), action="append", default=[],
                        metavar="YYYY-MM-DD",
                        help="write no GA4 shard for this day, as when Google's daily export never lands "
                             "(repeatable)")
    parser.add_argument("--half-export-ga4-day", type=_date_of("--half-export-ga4-day"), action="append", default=[],
                        metavar="YYYY-MM-DD",
                        help="write only this day's GA4 events before local noon, as when the daily export "
                             "is cut short (repeatable)")
    parser.add_argument("--ga4-schema", choices=GA4_SCHEMA_CHOICES, default="mixed",
                        help="the GA4 export's vintage: 2020 (no collected_traffic_source or is_active_user, "
                             "campaign tags in event parameters), 2023, 2024 (session_traffic_source_last_click),"
                             " or mixed, a history spanning all three (default)")
    return parser


def _date_of(option: str) -> Callable[[str], date]:
    """The argparse type of a YYYY-MM-DD option, whose error names the option."""
    def parse(text: str) -> date:
        try:
            return datetime.strptime(text, "%Y-%m-%d").date()
        except ValueError:
            raise argparse.ArgumentTypeError(f"{option} must be a date like 2025-01-01, got {text!r}.") from None
    return parse
