"""`python -m loader [load] SOURCE_URI [...]`, `forget URI [...]`, `replace OLD NEW`, `list`.

- `load` (the default command: `python -m loader SOURCE_URI ...` is `load`): copy the
  exports into the raw tables. Prints the short summary on stdout, progress for large
  objects and errors on stderr.
- `list`: the manifest, one loaded object per line (loaded_at, rows, rejected, etag, uri).
- `forget URI [...] [--dry-run]`: delete the named loaded objects' rows, rejects and
  manifest rows, all in one transaction (loader/forget.py).
- `replace LOADED_URI CORRECTED`: load the corrected file and forget the loaded object
  in one transaction.

Every command takes `--target`, `--duckdb-path` and `--raw-schema`, before or after
its name. A local file named like a command is loaded as `./list` or `load list`.

Exit codes (membership_elt/exit_codes.py): 0 done; 1 a SOURCE_URI named nothing, an
object was refused (fix the file) or failed for a lasting reason, a URI to forget is
not loaded (nothing was changed); 3 only transient failures (network, throttling: run
again later); 2 bad arguments. For `load`, the other objects of the run are loaded
whatever the code.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from loader.errors import LoadError, LoadFailed, LoadIncomplete
from loader.forget import describe_target, forget, format_manifest, list_loaded, replace_object
from loader.run import load
from loader.settings import LoaderSettings
from loader.transient import is_transient
from membership_elt.exit_codes import ExitCode
from membership_elt.targets import DEFAULT_TARGET, target_names

COMMANDS = ("load", "list", "forget", "replace")
_VALUE_OPTIONS = ("--target", "--duckdb-path", "--raw-schema")


def _common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--target", choices=target_names(), default=DEFAULT_TARGET,
                        help=f"warehouse (default: {DEFAULT_TARGET})")
    common.add_argument(
        "--duckdb-path",
        help="DuckDB file (default: $DUCKDB_PATH, else warehouse/membership.duckdb)",
    )
    common.add_argument("--raw-schema", help="schema / dataset of the raw tables (default: $RAW_SCHEMA, "
                        "else the target's: membership_elt/targets.py)")
    return common


def _parser() -> argparse.ArgumentParser:
    common = _common_options()
    parser = argparse.ArgumentParser(
        prog="python -m loader",
        description="Copy membership CSV exports from S3 or local files into the raw warehouse tables, "
        "see what is loaded, and back a bad export out. Without a command: load.",
    )
    commands = parser.add_subparsers(dest="command", metavar="{load,list,forget,replace}")
    loading = commands.add_parser("load", parents=[common], help="load exports (the default command)",
                                  description="Copy membership CSV exports into the raw tables.")
    loading.add_argument(
        "source_uri",
        nargs="+",
        metavar="SOURCE_URI",
        help="s3://bucket/key.csv, s3://bucket/prefix/*.csv, a local file, directory or glob (several allowed)",
    )
    commands.add_parser("list", parents=[common], help="print what is loaded (the manifest)",
                        description="Print the manifest: every loaded object with its rows and rejects.")
    forgetting = commands.add_parser(
        "forget", parents=[common], help="delete loaded objects' rows, rejects and manifest rows",
        description="Delete the rows, rejects and manifest rows of loaded objects, all in one transaction. "
        "The source is not touched: remove or fix the file, or the next run loads it again.",
    )
    forgetting.add_argument(
        "uris", nargs="+", metavar="URI",
        help="a loaded object's URI as `list` shows it (s3://bucket/key or an absolute path), "
        "a relative local path, or a glob over loaded URIs",
    )
    forgetting.add_argument("--dry-run", action="store_true", help="show what would be forgotten, change nothing")
    replacing = commands.add_parser(
        "replace", parents=[common], help="swap a loaded object for a corrected file, in one transaction",
        description="Load CORRECTED (one object, under its own URI) and forget LOADED_URI in one "
        "transaction. A file fixed in place needs no replace: the next load reloads it.",
    )
    replacing.add_argument("loaded_uri", metavar="LOADED_URI", help="the loaded object to replace")
    replacing.add_argument("corrected", metavar="CORRECTED", help="the corrected file: s3://bucket/key or a local path")
    return parser


def _with_command(argv: list[str]) -> list[str]:
    """argv with the command first; `load` when the first positional argument is not a command."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            break
        if arg.startswith("-"):
            # argparse also takes an unambiguous prefix of an option (`--tar bigquery`).
            takes_value = "=" not in arg and arg.startswith("--") and any(o.startswith(arg) for o in _VALUE_OPTIONS)
            i += 2 if takes_value else 1
            continue
        if arg in COMMANDS:
            return [arg, *argv[:i], *argv[i + 1:]]
        break
    if i >= len(argv) and any(a in ("-h", "--help") for a in argv):
        return argv  # the overview of the commands
    return ["load", *argv]


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(_with_command(list(sys.argv[1:] if argv is None else argv)))
    settings = LoaderSettings.from_environ()
    if args.duckdb_path:
        settings = replace(settings, duckdb_path=Path(args.duckdb_path))
    if args.raw_schema:
        settings = replace(settings, raw_schema=args.raw_schema)
    if args.command == "load":
        return _load(args, settings)
    try:
        if args.command == "list":
            print(format_manifest(list_loaded(args.target, settings=settings), describe_target(args.target, settings)))
        elif args.command == "forget":
            print(forget(args.uris, args.target, settings=settings, dry_run=args.dry_run).text())
        else:
            print(replace_object(args.loaded_uri, args.corrected, args.target, settings=settings).text())
    except LoadError as exc:
        print(f"loader: {exc}", file=sys.stderr)
        return ExitCode.TRANSIENT if is_transient(exc) else ExitCode.FAILED
    return ExitCode.OK


def _load(args: argparse.Namespace, settings: LoaderSettings) -> int:
    try:
        summary = load(args.source_uri, args.target, settings=settings)
    except LoadIncomplete as exc:
        print(exc.summary.text())
        print(f"loader: {exc}", file=sys.stderr)
        return ExitCode.TRANSIENT if isinstance(exc, LoadFailed) and exc.transient else ExitCode.FAILED
    except LoadError as exc:
        print(f"loader: {exc}", file=sys.stderr)
        return ExitCode.FAILED
    print(summary.text())
    return ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())
