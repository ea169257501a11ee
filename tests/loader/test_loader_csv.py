"""What the loader accepts and refuses in a CSV: encodings, headers, ragged rows, bad objects.

Bad objects go through the real S3 API (moto's server), as they would in production;
the rest uses local files, which take the same path once the bytes are on disk.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from loader import LoadRefused, load

KOREAN_CP949 = (
    "회원ID,사용자ID,가입일시,요금제,첫결제일시,해지일시,국가\r\n"
    "2001,u-1,2025-03-19 11:13:18,프리미엄,2025-03-20 09:00:00,,대한민국\r\n"
    "2002,,2025.03.19,무료,,,서울 강남구\r\n"
).encode("cp949")

KOREAN_BOM = "\ufeff회원번호,가입일,플랜,첫결제일,해지일\n3001,2025-03-19,연간 요금제,2025-03-19,2025-04-01\n".encode()


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _members(raw_tables: Any) -> dict[str, dict[str, Any]]:
    return {r["member_id"]: r for r in raw_tables()["membership"]}


def test_cp949_with_korean_headers_gives_the_korean_text(
    tmp_path: Path, duckdb_path: Path, raw_tables: Any
) -> None:
    path = _write(tmp_path / "members_cp949.csv", KOREAN_CP949)
    load(str(path), duckdb_path=str(duckdb_path))
    rows = _members(raw_tables)
    assert rows["2001"]["plan"] == "프리미엄"
    assert rows["2001"]["user_id"] == "u-1"
    assert rows["2001"]["signup_at"] == "2025-03-19 11:13:18"
    assert rows["2001"]["first_paid_at"] == "2025-03-20 09:00:00"
    assert rows["2001"]["국가"] == "대한민국"
    assert rows["2002"]["국가"] == "서울 강남구"
    assert rows["2002"]["canceled_at"] == ""
    [manifest] = raw_tables()["load_manifest"]
    assert manifest["encoding"] == "cp949"


def test_utf8_bom_with_alternative_korean_headers(
    s3_client: Any, s3_bucket: str, duckdb_path: Path, raw_tables: Any
) -> None:
    s3_client.put_object(Bucket=s3_bucket, Key="m/bom.csv", Body=KOREAN_BOM)
    load(f"s3://{s3_bucket}/m/bom.csv", duckdb_path=str(duckdb_path))
    [row] = raw_tables()["membership"]
    assert row["member_id"] == "3001"  # not '\ufeff회원번호'
    assert (row["signup_at"], row["plan"], row["first_paid_at"], row["canceled_at"]) == (
        "2025-03-19",
        "연간 요금제",
        "2025-03-19",
        "2025-04-01",
    )
    assert row["user_id"] is None  # the column is absent from this file
    assert raw_tables()["load_manifest"][0]["encoding"] == "utf-8-sig"


def test_headers_are_matched_case_insensitively_as_snake_case(
    tmp_path: Path, duckdb_path: Path, raw_tables: Any
) -> None:
    path = _write(
        tmp_path / "m.csv",
        b" Member ID ,SIGNUP_AT,firstPaidAt,Canceled-At,Plan Price (KRW)\n1,2025-01-01,,2025-02-01,9900\n",
    )
    load(str(path), duckdb_path=str(duckdb_path))
    [row] = raw_tables()["membership"]
    assert (row["member_id"], row["signup_at"], row["first_paid_at"], row["canceled_at"]) == (
        "1",
        "2025-01-01",
        "",
        "2025-02-01",
    )
    assert row["plan_price"] == "9900"  # `Plan Price (KRW)` -> plan_price_krw, an alias of plan_price


@pytest.mark.parametrize("header", ["plan_price", "plan_price_krw", "요금", "결제금액"])
def test_plan_price_headers_land_in_the_plan_price_column(
    tmp_path: Path, duckdb_path: Path, raw_tables: Any, header: str
) -> None:
    path = _write(tmp_path / "m.csv", f'member_id,signup_at,{header}\n1,2025-01-01,"9,900"\n'.encode())
    load(str(path), duckdb_path=str(duckdb_path))
    [row] = raw_tables()["membership"]
    assert row["plan_price"] == "9,900"  # copied as text; staging parses it


def test_extra_aliases_from_a_json_file_and_the_argument(
    tmp_path: Path, duckdb_path: Path, raw_tables: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    aliases = _write(tmp_path / "aliases.json", json.dumps({"고객번호": "member_id"}, ensure_ascii=False).encode())
    monkeypatch.setenv("LOADER_COLUMN_ALIASES", str(aliases))
    path = _write(tmp_path / "m.csv", "고객번호,Joined On,등급\n7,2025-01-01,gold\n".encode())
    load(str(path), duckdb_path=str(duckdb_path), aliases={"Joined On": "signup_at", "등급": "plan"})
    [row] = raw_tables()["membership"]
    assert (row["member_id"], row["signup_at"], row["plan"]) == ("7", "2025-01-01", "gold")


def test_bad_alias_file_is_named(tmp_path: Path, duckdb_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    aliases = _write(tmp_path / "aliases.json", b"{not json")
    monkeypatch.setenv("LOADER_COLUMN_ALIASES", str(aliases))
    path = _write(tmp_path / "m.csv", b"member_id,signup_at\n1,x\n")
    with pytest.raises(Exception) as caught:
        load(str(path), duckdb_path=str(duckdb_path))
    assert str(caught.value).startswith(f"{aliases}: the alias file named by $LOADER_COLUMN_ALIASES is not valid JSON")


def test_ragged_and_broken_rows_go_to_rejects_with_their_line_numbers(
    tmp_path: Path, duckdb_path: Path, raw_tables: Any
) -> None:
    lines = [
        "member_id,signup_at,plan",  # 1
        "1,2025-01-01,free",  # 2
        "",  # 3 blank: skipped, not rejected
        '2,"2025-01-02',  # 4 a quoted value over two lines
        'noon",monthly',  # 5
        "3,2025-01-03,annual,surplus",  # 6 one field too many
        "4,2025-01-04",  # 7 one field too few
        "   ",  # 8 whitespace only: blank
        '5,2025-01-05,"mon"thly',  # 9 broken quoting
        "6,,",  # 10 empty fields are values
        '7,2025-01-07,"never closed',  # 11 quote open until the end of the file
        "8,2025-01-08,free",  # 12
    ]
    path = _write(tmp_path / "ragged.csv", ("\n".join(lines) + "\n").encode())

    summary = load(str(path), duckdb_path=str(duckdb_path))

    tables = raw_tables()
    loaded = [(r["_source_row_number"], r["member_id"], r["signup_at"], r["plan"]) for r in tables["membership"]]
    assert sorted(loaded) == [
        (2, "1", "2025-01-01", "free"),
        (4, "2", "2025-01-02\nnoon", "monthly"),
        (10, "6", "", ""),
    ]
    rejects = sorted((r["_source_row_number"], r["reason"], r["raw_line"]) for r in tables["membership_rejects"])
    assert [(n, raw) for n, _, raw in rejects] == [
        (6, "3,2025-01-03,annual,surplus"),
        (7, "4,2025-01-04"),
        (9, '5,2025-01-05,"mon"thly'),
        (11, '7,2025-01-07,"never closed\n8,2025-01-08,free'),
    ]
    reasons = {n: reason for n, reason, _ in rejects}
    assert reasons[6] == "wrong number of fields: the header has 3, this row has 4"
    assert reasons[7] == "wrong number of fields: the header has 3, this row has 2"
    assert reasons[9].startswith("the quoting of this row is broken")
    assert reasons[11] == "a quoted value starts on this line and is never closed before the end of the file"
    assert (summary.rows_loaded, summary.rows_rejected) == (3, 4)
    assert all(r["_source_uri"] == str(path) for r in tables["membership_rejects"])
    [manifest] = tables["load_manifest"]
    assert (manifest["rows_loaded"], manifest["rows_rejected"]) == (3, 4)


def test_quoted_values_keep_commas_quotes_and_spaces_exactly(
    tmp_path: Path, duckdb_path: Path, raw_tables: Any
) -> None:
    path = _write(
        tmp_path / "quoted.csv",
        b'member_id,signup_at,plan\r\n1," 2025-01-01 ","Seoul, ""Gangnam"""\r\n2,2025-01-02 ,ab"c\r\n',
    )
    load(str(path), duckdb_path=str(duckdb_path))
    rows = _members(raw_tables)
    assert (rows["1"]["signup_at"], rows["1"]["plan"]) == (" 2025-01-01 ", 'Seoul, "Gangnam"')
    assert (rows["2"]["signup_at"], rows["2"]["plan"]) == ("2025-01-02 ", 'ab"c')


def test_extra_columns_are_kept_and_added_when_first_seen(
    tmp_path: Path, duckdb_path: Path, raw_tables: Any
) -> None:
    first = _write(tmp_path / "a" / "members.csv", b"member_id,signup_at,country\n1,2025-01-01,KR\n")
    second = _write(tmp_path / "b" / "members.csv", b"member_id,signup_at,referrer,country\n2,2025-01-02,naver,\n")
    load(str(first), duckdb_path=str(duckdb_path))
    load(str(second), duckdb_path=str(duckdb_path))
    rows = _members(raw_tables)
    assert (rows["1"]["country"], rows["1"]["referrer"]) == ("KR", None)
    assert (rows["2"]["country"], rows["2"]["referrer"]) == ("", "naver")
    assert rows["1"]["plan"] is None  # canonical column absent from the file: NULL


def test_header_only_export_loads_no_rows_and_clears_the_earlier_version(
    tmp_path: Path, duckdb_path: Path, raw_tables: Any
) -> None:
    path = _write(tmp_path / "m.csv", b"member_id,signup_at\n1,2025-01-01\n")
    load(str(path), duckdb_path=str(duckdb_path))
    _write(path, b"member_id,signup_at\n")
    summary = load(str(path), duckdb_path=str(duckdb_path))
    assert (summary.objects_loaded, summary.rows_loaded) == (1, 0)
    assert raw_tables()["membership"] == []
    assert raw_tables()["load_manifest"][0]["rows_loaded"] == 0


# ---------------------------------------------------------------- refused objects

ZIP_BYTES = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + bytes(range(256))

BAD_OBJECTS = {
    "missing_required_column": (
        b"id,signup_at,plan\n1,2025-01-01,free\n",
        "line 1: required column(s) member_id missing from the header 'id,signup_at,plan'.",
    ),
    "both_required_columns_missing": (
        "이름,이메일\n홍길동,a@b.c\n".encode(),
        "required column(s) member_id and signup_at missing from the header '이름,이메일'",
    ),
    "empty_object": (b"", "the object is empty (0 bytes): there is no header and no row"),
    "only_blank_lines": (b"\n\r\n  \n", "the object holds no header and no row (only blank lines)"),
    "undecodable_bytes": (
        b"member_id,signup_at\n1,\xff\xfe\xff\n",
        "cannot decode the file: it is neither UTF-8 nor CP949 "
        "(byte offset 22 (line 2, byte 3 of that line) holds bytes ff fe ff 0a, which are not valid UTF-8)",
    ),
    "bom_then_invalid_utf8": (
        b"\xef\xbb\xbfmember_id,signup_at\n1,\xc3\x28\n",
        "it starts with a UTF-8 byte-order mark but byte offset 25 (line 2, byte 3 of that line) "
        "holds bytes c3 28 0a, which are not valid UTF-8; save it again as UTF-8.",
    ),
    "xlsx_workbook": (ZIP_BYTES, "this is not a CSV file: it is a ZIP archive (an .xlsx workbook is one)"),
    "binary_with_nul": (b"member_id\x00\x01\x02\x03", "this is not a CSV file: it holds binary data (a NUL byte at byte offset 9)"),
    "json_document": (b'{"member_id": 1, "signup_at": "2025-01-01"}\n', "this is not a CSV file: line 1 starts with '{'"),
    "utf16_text": ("member_id,signup_at\n1,x\n".encode("utf-16"), "the file is UTF-16 text"),
    "semicolon_separated": (
        b"member_id;signup_at\n1;2025-01-01\n",
        "The header seems to be separated by semicolons; the loader reads comma-separated files.",
    ),
    "duplicate_columns": (
        "member_id,회원ID,signup_at\n1,1,x\n".encode(),
        "line 1: columns 1 and 2 of the header both mean 'member_id'; remove or rename one of them.",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_OBJECTS))
def test_bad_object_is_refused_and_changes_nothing(
    case: str, s3_client: Any, s3_bucket: str, duckdb_path: Path, raw_tables: Any
) -> None:
    data, expected = BAD_OBJECTS[case]
    s3_client.put_object(Bucket=s3_bucket, Key="ok/members.csv", Body=b"member_id,signup_at\n1,2025-01-01\n")
    load(f"s3://{s3_bucket}/ok/members.csv", duckdb_path=str(duckdb_path))
    before = raw_tables()
    key = f"exports/{case}.csv"
    s3_client.put_object(Bucket=s3_bucket, Key=key, Body=data)

    with pytest.raises(LoadRefused) as caught:
        load(f"s3://{s3_bucket}/{key}", duckdb_path=str(duckdb_path))

    [result] = caught.value.summary.objects
    assert result.status == "refused"
    assert result.message.startswith(f"s3://{s3_bucket}/{key}: ")
    assert expected in result.message
    assert expected in str(caught.value)
    assert raw_tables() == before


def test_a_bad_object_does_not_stop_the_good_ones(
    s3_client: Any, s3_bucket: str, duckdb_path: Path, raw_tables: Any
) -> None:
    s3_client.put_object(Bucket=s3_bucket, Key="m/a.csv", Body=b"member_id,signup_at\n1,2025-01-01\n")
    s3_client.put_object(Bucket=s3_bucket, Key="m/b.csv", Body=b"id,signup_at\n2,2025-01-01\n")
    s3_client.put_object(Bucket=s3_bucket, Key="m/c.csv", Body=b"member_id,signup_at\n3,2025-01-01\n")

    with pytest.raises(LoadRefused) as caught:
        load(f"s3://{s3_bucket}/m/*.csv", duckdb_path=str(duckdb_path))

    summary = caught.value.summary
    assert [(o.uri.rsplit("/", 1)[1], o.status) for o in summary.objects] == [
        ("a.csv", "loaded"),
        ("b.csv", "refused"),
        ("c.csv", "loaded"),
    ]
    assert str(caught.value).startswith("1 of 3 object(s) refused; nothing of them was loaded; fix or remove")
    assert sorted(_members(raw_tables)) == ["1", "3"]
    assert {m["source_uri"].rsplit("/", 1)[1] for m in raw_tables()["load_manifest"]} == {"a.csv", "c.csv"}


def test_a_bad_new_version_keeps_the_good_old_one(
    s3_client: Any, s3_bucket: str, duckdb_path: Path, raw_tables: Any
) -> None:
    s3_client.put_object(Bucket=s3_bucket, Key="m/a.csv", Body=b"member_id,signup_at\n1,2025-01-01\n")
    load(f"s3://{s3_bucket}/m/a.csv", duckdb_path=str(duckdb_path))
    before = raw_tables()
    s3_client.put_object(Bucket=s3_bucket, Key="m/a.csv", Body=b"member_id\n1\n")

    for _ in range(2):  # refused again on the next run: the manifest still holds the old version
        with pytest.raises(LoadRefused) as caught:
            load(f"s3://{s3_bucket}/m/a.csv", duckdb_path=str(duckdb_path))
        assert "required column(s) signup_at missing" in str(caught.value)
        assert raw_tables() == before
