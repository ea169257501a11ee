"""`python -m loader SOURCE_URI [SOURCE_URI ...] [--target duckdb|bigquery]`.

Prints the short summary on stdout, progress for large objects and errors on stderr.
Exit codes: 0 every object loaded or unchanged; 1 a SOURCE_URI named nothing, an
object was refused (fix the file) or failed for a lasting reason; 75 some objects
failed for a transient reason only (network, throttling: run again later). The other
objects of the run are loaded whatever the code. 2 bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from loader.errors import LoadError, LoadFailed, LoadIncomplete
from loader.run import load
from loader.settings import LoaderSettings
from loader.sinks import TARGETS

EXIT_OK, EXIT_FAILED, EXIT_TRANSIENT = 0, 1, 75


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
    parser.add_argument("--raw-schema", help="schema / dataset of the raw tables (default: $RAW_SCHEMA, "
                        "else raw on DuckDB and membership_raw on BigQuery)")
    args = parser.parse_args(argv)
    settings = LoaderSettings.from_environ()
    if args.duckdb_path:
        settings = replace(settings, duckdb_path=Path(args.duckdb_path))
    if args.raw_schema:
        settings = replace(settings, raw_schema=args.raw_schema)
    try:
        summary = load(args.source_uri, args.target, settings=settings)
    except LoadIncomplete as exc:
        print(exc.summary.text())
        print(f"loader: {exc}", file=sys.stderr)
        return EXIT_TRANSIENT if isinstance(exc, LoadFailed) and exc.transient else EXIT_FAILED
    except LoadError as exc:
        print(f"loader: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(summary.text())
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
