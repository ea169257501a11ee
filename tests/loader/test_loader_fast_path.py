"""The fast paths and the csv-module path give the same raw tables.

The loader hands a regular UTF-8 export (every line one record with the header's
number of fields, no blank line, quotes only around whole fields) to DuckDB's own
reader ("direct"), rewrites a regular CP949 one with bytes operations ("lines"), and
reads anything else with Python's csv module ("csv"); `ObjectResult.reader` says
which. Each test loads the same logical rows written in forms that take one path or
the other and compares the loaded rows, line numbers included. Quoted exports:
tests/loader/test_loader_direct_path.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from loader import LoadRefused, load
from tests.loader.conftest import load_one, loaded_rows, write_export

HEADER = "member_id,user_id,signup_at,plan,first_paid_at,canceled_at,country"
ROWS = [
    "1001,u-1,2025-03-19 11:13:18,프리미엄,2025-03-20 09:00:00,,대한민국",
    "1002,,2025-03-19, monthly ,,,",
    "1003,u-3,2025-03-20,free,,2025-04-01 00:00:00,서울 강남구",
    " , ,,,,,",
]
# The same rows and a whitespace-only last line, which no fast path takes: the csv module skips it.
CSV_PATH_ROWS = [*ROWS, "   "]


def _expected(numbers: list[int], rows: list[str] = ROWS) -> list[tuple[Any, ...]]:
    names = [*HEADER.split(","), "_source_row_number"]
    return sorted(
        tuple(sorted(zip(names, [*row.split(","), number], strict=True))) for number, row in zip(numbers, rows)
    )


@pytest.mark.parametrize(
    ("name", "newline", "end", "encoding"),
    [
        ("lf.csv", "\n", True, "utf-8"),
        ("crlf.csv", "\r\n", True, "utf-8"),
        ("no_final_newline.csv", "\n", False, "utf-8"),
        ("bom.csv", "\r\n", True, "utf-8-sig"),
        ("cp949.csv", "\r\n", True, "cp949"),
    ],
)
def test_plain_export_takes_the_fast_path_and_matches_the_csv_path(
    tmp_path: Path, duckdb_path: Path, raw_tables: Any, name: str, newline: str, end: bool, encoding: str
) -> None:
    plain = write_export(tmp_path / "plain" / name, [HEADER, *ROWS], newline=newline, end=end, encoding=encoding)
    quoted = write_export(tmp_path / "csv" / name, [HEADER, *CSV_PATH_ROWS], newline=newline, end=end, encoding=encoding)

    fast = load_one(plain, duckdb_path)
    slow = load_one(quoted, duckdb_path)

    assert (fast.reader, slow.reader) == ("lines" if encoding == "cp949" else "direct", "csv")
    assert fast.encoding == slow.encoding == encoding
    assert (fast.rows_loaded, fast.rows_rejected) == (slow.rows_loaded, slow.rows_rejected) == (4, 0)
    assert loaded_rows(raw_tables, plain) == loaded_rows(raw_tables, quoted) == _expected([2, 3, 4, 5])


def test_header_only_export_takes_the_fast_path(tmp_path: Path, duckdb_path: Path, raw_tables: Any) -> None:
    path = write_export(tmp_path / "header_only.csv", [HEADER])
    result = load_one(path, duckdb_path)
    assert (result.reader, result.rows_loaded, result.rows_rejected) == ("direct", 0, 0)
    assert loaded_rows(raw_tables, path) == []


@pytest.mark.parametrize(
    ("name", "lines", "numbers", "rejects"),
    [
        # A blank line shifts the line numbers of the rows after it and is skipped.
        ("blank.csv", [HEADER, ROWS[0], "", *ROWS[1:]], [2, 4, 5, 6], []),
        # A whitespace-only line is blank too.
        ("spaces.csv", [HEADER, *ROWS[:2], "   ", *ROWS[2:]], [2, 3, 5, 6], []),
        # A ragged row goes to the rejects with its line number and raw text.
        ("ragged.csv", [HEADER, *ROWS[:3], "1009,u-9,2025-03-21", ROWS[3]], [2, 3, 4, 6], [(5, "1009,u-9,2025-03-21")]),
    ],
)
def test_irregular_lines_fall_back_to_the_csv_path(
    tmp_path: Path,
    duckdb_path: Path,
    raw_tables: Any,
    name: str,
    lines: list[str],
    numbers: list[int],
    rejects: list[tuple[int, str]],
) -> None:
    path = write_export(tmp_path / name, lines)
    result = load_one(path, duckdb_path)
    assert result.reader == "csv"
    assert (result.rows_loaded, result.rows_rejected) == (4, len(rejects))
    assert loaded_rows(raw_tables, path) == _expected(numbers)
    loaded_rejects = sorted(
        (r["_source_row_number"], r["raw_line"], r["reason"])
        for r in raw_tables()["membership_rejects"]
        if r["_source_uri"] == str(path)
    )
    assert [(n, raw) for n, raw, _ in loaded_rejects] == rejects
    assert all(reason.startswith("wrong number of fields") for _, _, reason in loaded_rejects)


def test_a_lone_carriage_return_is_a_line_end_for_the_csv_path(
    tmp_path: Path, duckdb_path: Path, raw_tables: Any
) -> None:
    # Old Mac line ends: the csv module splits on a lone CR, so the fast path must not read it as text.
    path = tmp_path / "cr.csv"
    path.write_bytes(("\r".join([HEADER, *ROWS]) + "\r").encode())
    result = load_one(path, duckdb_path)
    assert result.reader == "csv"
    assert loaded_rows(raw_tables, path) == _expected([2, 3, 4, 5])


def test_ascii_header_with_cp949_rows_is_read_as_cp949(tmp_path: Path, duckdb_path: Path, raw_tables: Any) -> None:
    # The header alone looks like UTF-8; the rows decide, as they do for the csv path.
    path = write_export(tmp_path / "ascii_header_cp949.csv", [HEADER, *ROWS], newline="\r\n", encoding="cp949")
    result = load_one(path, duckdb_path)
    assert (result.reader, result.encoding) == ("lines", "cp949")
    assert loaded_rows(raw_tables, path) == _expected([2, 3, 4, 5])


@pytest.mark.parametrize(
    ("name", "bad", "says"),
    [
        ("undecodable.csv", b"\xff", "neither UTF-8 nor CP949"),
        ("nul.csv", b"\x00", "NUL byte"),
    ],
)
def test_a_bad_byte_after_a_plain_start_is_refused_as_before(
    tmp_path: Path, duckdb_path: Path, raw_tables: Any, name: str, bad: bytes, says: str
) -> None:
    path = tmp_path / name
    path.write_bytes(("\n".join([HEADER, *ROWS[:3]]) + "\n").encode() + b"1009,u-9," + bad + b",free,,,\n")
    with pytest.raises(LoadRefused) as refused:
        load(str(path), duckdb_path=str(duckdb_path))
    [result] = refused.value.summary.objects
    assert result.status == "refused"
    assert says in result.message
    assert raw_tables()["membership"] == []
