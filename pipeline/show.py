"""`orchestrate.py show MART [--csv FILE]`: a whole mart, every column, in key order."""

from __future__ import annotations

import argparse
import csv
import difflib
import sys
from pathlib import Path

from pipeline import warehouse
from pipeline.mart_builds import last_builds, older_note
from pipeline.settings import DBT_PROJECT_DIR, Settings

# A mart's grain columns come first; ordering by the first ones orders every mart.
_ORDER_COLUMNS = 3


def show(settings: Settings, mart: str, csv_path: Path | None) -> int:
    try:
        names, _ = warehouse.query(settings, f"select * from {warehouse.relation(settings, mart)} limit 0")
    except Exception as error:
        print(f"show: cannot read {mart} on {settings.target} ({type(error).__name__}: "
              f"{str(error).splitlines()[0]}). {name_hint(mart)}", file=sys.stderr)
        return 1
    order = ", ".join(str(i) for i in range(1, min(_ORDER_COLUMNS, len(names)) + 1))
    names, rows = warehouse.query(settings, f"select * from {warehouse.relation(settings, mart)} order by {order}")
    if csv_path:
        csv_path.parent.mkdir(parents=True, exist_ok=True)
        with csv_path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(names)
            writer.writerows([[warehouse.plain(v) for v in row] for row in rows])
        print(f"{len(rows)} rows of {mart} written to {csv_path}")
        _note_if_older(settings, mart)
        return 0
    print(table_text(names, rows))
    print(f"({len(rows)} rows, {len(names)} columns, target {settings.target})")
    _note_if_older(settings, mart)
    return 0


def mart_names() -> list[str]:
    """The marts of the project: the models under models/marts/."""
    return sorted(path.stem for path in (DBT_PROJECT_DIR / "models" / "marts").glob("*.sql"))


def name_hint(mart: str) -> str:
    """What to do about a mart that cannot be read: the closest name, else the marts."""
    names = mart_names()
    close = difflib.get_close_matches(mart, names, n=1, cutoff=0.6)
    if close and close[0] != mart:
        return f"Did you mean {close[0]}? The marts: {', '.join(names)}."
    if mart in names:
        ga4 = " It is built only with GA4 configured." if mart.startswith(("fct_ga4__", "fct_acquisition_")) else ""
        return f"Run `make run` first: the mart is not built yet.{ga4}"
    return f"The marts: {', '.join(names)}. Run `make run` first if the name is right."


def _note_if_older(settings: Settings, mart: str) -> None:
    note = older_note(mart, last_builds(settings))
    if note:
        print(f"note: {note}", file=sys.stderr)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return str(warehouse.plain(value))


def table_text(names: list[str], rows: list[tuple[object, ...]]) -> str:
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(n), *(len(r[i]) for r in cells)]) for i, n in enumerate(names)]
    lines = ["  ".join(n.ljust(w) for n, w in zip(names, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("mart", help="a mart or model name, e.g. fct_kpis_weekly")
    parser.add_argument("--csv", type=Path, metavar="FILE", help="write the mart as CSV to FILE instead")
