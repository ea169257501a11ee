"""`python -m loader SOURCE_URI [SOURCE_URI ...] [--target duckdb|bigquery]`.

Prints the short summary on stdout, progress for large objects and errors on stderr.
Exit codes: 0 all objects loaded or skipped; 1 a SOURCE_URI named nothing, or some
objects were refused (the others were loaded); 2 bad arguments.
"""

from __future__ import annotations

import argparse
import sys

from loader.errors import LoadError, LoadRefused
from loader.run import load
from loader.sinks import TARGETS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m loader",
        description="Copy membership CSV exports from S3 or local files into the raw warehouse tables.",
    )
    parser.add_argument(
        "source_uri",
        nargs="+",
        metavar="SOURCE_URI",
        help="s3://bucket/key.csv, s3://bucket/prefix/*.csv, a local file, directory or glob (several allowed)",
    )
    parser.add_argument("--target", choices=TARGETS, default="duckdb", help="warehouse (default: duckdb)")
    parser.add_argument(
        "--duckdb-path",
        help="DuckDB file (default: $DUCKDB_PATH, else warehouse/membership.duckdb)",
    )
    args = parser.parse_args(argv)
    try:
        summary = load(args.source_uri, args.target, duckdb_path=args.duckdb_path)
    except LoadRefused as exc:
        print(exc.summary.text())
        print(f"loader: {exc}", file=sys.stderr)
        return 1
    except LoadError as exc:
        print(f"loader: {exc}", file=sys.stderr)
        return 1
    print(summary.text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
