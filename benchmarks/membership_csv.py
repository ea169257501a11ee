"""Write large, valid membership exports fast, for the loader benchmark.

The sample data generator models members realistically but in Python, which takes
minutes for millions of rows; the loader does not interpret values, so the benchmark
only needs well-formed rows in the canonical columns with a realistic width. DuckDB
writes them from a deterministic hash of the row number, in seconds.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

ENGLISH_HEADER = (
    "member_id", "user_id", "signup_at", "plan",
    "first_paid_at", "canceled_at", "plan_price_krw", "country",
)
# The default alias list maps these onto the canonical names (docs/specification.md,
# "Membership exports").
KOREAN_HEADER = (
    "회원ID", "사용자ID", "가입일시", "요금제",
    "첫결제일시", "해지일시", "plan_price_krw", "country",
)

# Lifecycle: signup within 2024-2025; 40% pay within 30 days of signup; a quarter of
# payers cancel within 300 days. user_id is empty for 15% (never logged in).
# About 87 bytes a row: 1M rows make ~87 MB, near the real export's ~100 MB.
_ROWS_SQL = """
with numbered as (
    select
        i,
        hash(i, 1) as h_signup,
        hash(i, 2) as h_paid,
        hash(i, 3) as h_cancel,
        hash(i, 4) as h_plan
    from range(1, {rows} + 1) as t(i)
),

lifecycle as (
    select
        i,
        h_plan,
        h_signup,
        timestamp '2024-01-01' + to_seconds((h_signup % (730 * 86400))::bigint) as signup_at,
        case when h_paid % 10 < 4
            then timestamp '2024-01-01'
                + to_seconds((h_signup % (730 * 86400) + (h_paid >> 8) % (30 * 86400))::bigint)
        end as first_paid_at,
        h_cancel % 4 = 0 as is_canceled,
        (h_cancel >> 8) % (300 * 86400) as cancel_offset
    from numbered
)

select
    'M' || lpad(i::varchar, 9, '0') as "{h[0]}",
    -- GA4 user ids are opaque strings; a UUID gives the export a realistic width.
    case when h_signup % 100 >= 15 then regexp_replace(
        md5(i::varchar), '^(.{{8}})(.{{4}})(.{{4}})(.{{4}})(.{{12}})$', '\\1-\\2-\\3-\\4-\\5'
    ) end as "{h[1]}",
    strftime(signup_at, '%Y-%m-%d %H:%M:%S') as "{h[2]}",
    case
        when first_paid_at is null then {free}
        when h_plan % 3 = 0 then {annual}
        else {monthly}
    end as "{h[3]}",
    strftime(first_paid_at, '%Y-%m-%d %H:%M:%S') as "{h[4]}",
    case when is_canceled and first_paid_at is not null
        then strftime(first_paid_at + to_seconds(cancel_offset::bigint), '%Y-%m-%d %H:%M:%S')
    end as "{h[5]}",
    case
        when first_paid_at is null then '0'
        when h_plan % 3 = 0 then '99000'
        else '9900'
    end as "{h[6]}",
    {country} as "{h[7]}"
from lifecycle
order by i
"""


def write_membership_csv(path: Path, rows: int, korean: bool = False) -> Path:
    """Write `rows` members to `path` as UTF-8 CSV (English or Korean headers/values)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if korean:
        header, free, annual, monthly = KOREAN_HEADER, "'무료'", "'연간'", "'월간'"
        country = "case when h_plan % 5 = 0 then '일본' else '대한민국' end"
    else:
        header, free, annual, monthly = ENGLISH_HEADER, "'free'", "'annual'", "'monthly'"
        country = "case when h_plan % 5 = 0 then 'JP' else 'KR' end"
    query = _ROWS_SQL.format(
        rows=int(rows), h=header, free=free, annual=annual, monthly=monthly,
        country=country,
    )
    connection = duckdb.connect()
    connection.execute("set enable_progress_bar = false")
    try:
        # Empty (NULL) fields must be written as nothing at all, as exports do.
        target = str(path).replace("'", "''")
        connection.execute(
            f"copy ({query}) to '{target}' (format csv, header true, delimiter ',')"
        )
    finally:
        connection.close()
    return path


def transcode(source: Path, target: Path, encoding: str) -> Path:
    """Re-encode a UTF-8 text file, streaming, e.g. into CP949 as Excel saves it."""
    with open(source, encoding="utf-8", newline="") as reader, open(
        target, "w", encoding=encoding, newline=""
    ) as writer:
        while chunk := reader.read(1 << 22):
            writer.write(chunk)
    return target


QUOTINGS = ("all_quoted", "empty_quoted")


def quoted_copy(source: Path, target: Path, quoting: str) -> Path:
    """Write the same export as many tools do: every field quoted, or only the empty ones.

    `all_quoted`: `"M000000001","c4ca...","2024-01-25 00:40:19","free","","","0","KR"`;
    `empty_quoted`: `M000000001,c4ca...,2024-01-25 00:40:19,free,"","",0,KR`. The values,
    and so the loaded rows, are those of `source`.
    """
    if quoting not in QUOTINGS:
        raise ValueError(f"quoting {quoting!r}: use one of {', '.join(QUOTINGS)}")
    connection = duckdb.connect()
    connection.execute("set enable_progress_bar = false")
    try:
        path = str(source).replace("'", "''")
        columns = [row[0] for row in connection.execute(
            f"describe select * from read_csv('{path}', all_varchar = true, header = true)"
        ).fetchall()]
        # DuckDB writes an empty string as "" (a NULL as nothing); force_quote quotes the rest too.
        select = ", ".join(f'coalesce("{c}", \'\') as "{c}"' for c in columns)
        force = ", force_quote *" if quoting == "all_quoted" else ""
        header = ",".join(f'"{c}"' if quoting == "all_quoted" else c for c in columns)
        body = target.with_name(target.name + ".body")
        connection.execute(
            f"copy (select {select} from read_csv('{path}', all_varchar = true, header = true)) "
            f"to '{str(body).replace(chr(39), chr(39) * 2)}' (format csv, header false{force})"
        )
    finally:
        connection.close()
    # The header is written by hand so that it is quoted the same way as the rows.
    with open(target, "wb") as out, open(body, "rb") as rows:
        out.write(header.encode() + b"\n")
        while chunk := rows.read(1 << 22):
            out.write(chunk)
    body.unlink()
    return target
