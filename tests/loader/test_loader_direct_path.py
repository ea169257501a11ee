"""Quoted exports: DuckDB's own reader on the file ("direct") gives the raw tables the csv module gives.

Many tools quote every field, or every empty one. When every line is a regular record
(quotes only around whole fields, no embedded quote, comma or line end), the loader
hands the file to DuckDB and numbers the records in file order; CP949 files of that
shape are rewritten with bytes operations ("lines"). A differential test: each file
is loaded as it is and again with a whitespace-only last line, which only the csv
module takes (it skips the line), and the two loads must hold the same rows. Files
with embedded commas, quotes or line ends must fall back to the csv module, whose
values and line numbers are checked directly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.loader.conftest import load_one, loaded_rows, write_export

HEADER = ["member_id", "user_id", "signup_at", "plan", "first_paid_at", "canceled_at", "country"]
ROWS = [
    ["1001", "u-1", "2025-03-19 11:13:18", "프리미엄", "2025-03-20 09:00:00", "", "대한민국"],
    ["1002", "", "2025-03-19", " monthly ", "", "", ""],
    ["1003", "u-3", "2025-03-20", "free", "", "2025-04-01 00:00:00", "서울 강남구"],
    [" ", " ", "", "", "", "", ""],
]


def _every_field_quoted(fields: list[str]) -> str:
    return ",".join(f'"{f}"' for f in fields)


def _empty_fields_quoted(fields: list[str]) -> str:
    return ",".join(f or '""' for f in fields)


def _some_fields_quoted(fields: list[str]) -> str:
    return ",".join(f'"{f}"' if i % 2 else f for i, f in enumerate(fields))


def _expected(rows: list[list[str]], numbers: list[int]) -> list[tuple[Any, ...]]:
    names = [*HEADER, "_source_row_number"]
    return sorted(tuple(sorted(zip(names, [*row, n], strict=True))) for row, n in zip(rows, numbers, strict=True))


@pytest.mark.parametrize("quote", [_every_field_quoted, _empty_fields_quoted, _some_fields_quoted])
@pytest.mark.parametrize(
    ("newline", "end", "encoding", "reader"),
    [
        ("\n", True, "utf-8", "direct"),
        ("\r\n", True, "utf-8", "direct"),
        ("\n", False, "utf-8", "direct"),
        ("\r\n", False, "utf-8-sig", "direct"),
        ("\r\n", True, "cp949", "lines"),
    ],
)
def test_quoted_export_takes_a_fast_path_and_matches_the_csv_path(
    tmp_path: Path, duckdb_path: Path, raw_tables: Any, quote: Any, newline: str, end: bool, encoding: str,
    reader: str,
) -> None:
    lines = [quote(HEADER), *(quote(row) for row in ROWS)]
    fast_path = write_export(tmp_path / "fast" / "export.csv", lines, newline=newline, end=end, encoding=encoding)
    csv_path = write_export(tmp_path / "csv" / "export.csv", [*lines, "   "], newline=newline, end=end, encoding=encoding)

    fast = load_one(fast_path, duckdb_path)
    slow = load_one(csv_path, duckdb_path)

    assert (fast.reader, slow.reader) == (reader, "csv")
    assert fast.encoding == slow.encoding == encoding
    assert (fast.rows_loaded, fast.rows_rejected) == (slow.rows_loaded, slow.rows_rejected) == (4, 0)
    assert loaded_rows(raw_tables, fast_path) == loaded_rows(raw_tables, csv_path) == _expected(ROWS, [2, 3, 4, 5])


@pytest.mark.parametrize(
    ("name", "line", "value"),
    [
        ("embedded_comma.csv", '"1009","u-9","2025-03-21","free, trial","","",""', "free, trial"),
        ("embedded_quote.csv", '"1009","u-9","2025-03-21","the ""best"" plan","","",""', 'the "best" plan'),
        ("quote_inside_field.csv", '1009,u-9,2025-03-21,5" screen,,,', '5" screen'),
    ],
)
def test_quotes_a_line_scan_cannot_prove_fall_back_to_the_csv_path(
    tmp_path: Path, duckdb_path: Path, raw_tables: Any, name: str, line: str, value: str
) -> None:
    lines = [_every_field_quoted(HEADER), *(_every_field_quoted(r) for r in ROWS[:2]), line, _every_field_quoted(ROWS[2])]
    path = write_export(tmp_path / name, lines)
    result = load_one(path, duckdb_path)
    assert result.reader == "csv"
    special = ["1009", "u-9", "2025-03-21", value, "", "", ""]
    assert loaded_rows(raw_tables, path) == _expected([*ROWS[:2], special, ROWS[2]], [2, 3, 4, 5])


def test_a_quoted_line_end_falls_back_and_counts_every_line(
    tmp_path: Path, duckdb_path: Path, raw_tables: Any
) -> None:
    note = ["1009", "u-9", "2025-03-21", "line one\nline two", "", "", ""]
    lines = [_every_field_quoted(HEADER), _every_field_quoted(ROWS[0]), _every_field_quoted(note),
             _every_field_quoted(ROWS[2])]
    path = write_export(tmp_path / "embedded_newline.csv", lines)
    result = load_one(path, duckdb_path)
    assert result.reader == "csv"
    # The quoted value spans lines 3 and 4, so the next record starts on line 5.
    assert loaded_rows(raw_tables, path) == _expected([ROWS[0], note, ROWS[2]], [2, 3, 5])


def test_a_bad_line_after_many_regular_ones_rolls_back_the_direct_load(
    tmp_path: Path, duckdb_path: Path, raw_tables: Any
) -> None:
    # Larger than the scan's and DuckDB's 8 MB blocks, so DuckDB has inserted rows of the
    # export when the bad line is found; none of them may remain.
    count = 150_000
    rows = [[f"M{i:07d}", f"u-{i}", "2025-03-19 11:13:18", "monthly", "", "", "KR" * 20] for i in range(count)]
    lines = [_every_field_quoted(HEADER), *(_every_field_quoted(r) for r in rows), '"M9999999","u-x","2025"']
    path = write_export(tmp_path / "late_ragged.csv", lines)
    assert path.stat().st_size > 9 * 1024 * 1024

    result = load_one(path, duckdb_path)

    assert (result.reader, result.rows_loaded, result.rows_rejected) == ("csv", count, 1)
    loaded = sorted((r["_source_row_number"], r["member_id"]) for r in raw_tables()["membership"])
    assert loaded == [(i + 2, f"M{i:07d}") for i in range(count)]
    [reject] = raw_tables()["membership_rejects"]
    assert (reject["_source_row_number"], reject["raw_line"]) == (count + 2, '"M9999999","u-x","2025"')


def test_records_keep_their_line_numbers_across_duckdb_buffers(
    tmp_path: Path, duckdb_path: Path, raw_tables: Any
) -> None:
    # DuckDB reads a file in 8 MB buffers, on several threads when it may; the numbering
    # must follow the file across them.
    count = 150_000
    rows = [[f"M{i:07d}", "" if i % 7 else f"u-{i}", "2025-03-19", "free", "", "", "JP" * 20] for i in range(count)]
    path = write_export(tmp_path / "large.csv", [_empty_fields_quoted(HEADER), *(_empty_fields_quoted(r) for r in rows)])
    assert path.stat().st_size > 9 * 1024 * 1024

    result = load_one(path, duckdb_path)

    assert (result.reader, result.rows_loaded) == ("direct", count)
    loaded = sorted((r["_source_row_number"], r["member_id"], r["user_id"]) for r in raw_tables()["membership"])
    assert loaded == [(i + 2, row[0], row[1]) for i, row in enumerate(rows)]
