"""`orchestrate.py show MART [--csv FILE]`: a whole mart, every column, in key order."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from pipeline import warehouse
from pipeline.settings import Settings

# A mart's grain columns come first; ordering by the first ones orders every mart.
_ORDER_COLUMNS = 3


def show(settings: Settings, mart: str, csv_path: Path | None) -> int:
    try:
        names, _ = warehouse.query(settings, f"select * from {warehouse.relation(settings, mart)} limit 0")
    except Exception as error:
        print(f"show: cannot read {mart} on {settings.target} ({type(error).__name__}: "
              f"{str(error).splitlines()[0]}). Run `make run` first, and check the name: "
              f"the marts are listed in README.md.", file=sys.stderr)
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
        return 0
    print(table_text(names, rows))
    print(f"({len(rows)} rows, {len(names)} columns, target {settings.target})")
    return 0


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
