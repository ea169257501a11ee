"""Backing an export out: `python -m loader list`, `forget` and `replace` (loader/forget.py),
on DuckDB with local files and through S3 (moto's server), and on the local BigQuery API.

Atomicity is shown with a real failure inside the transaction, not a patched one: a
table of someone else's that references `load_manifest` by a foreign key makes DuckDB
refuse the manifest row's delete, after the object's rows and rejects were deleted in
the same transaction.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from loader import LoadError, NotLoaded, forget, list_loaded, load, replace_object
from loader.__main__ import main
from tests.support.bigquery_emulator import query_rows as _bq_query

REPO_ROOT = Path(__file__).resolve().parents[2]

# A bad export: a datetime that does not parse (dbt's data test fails on it) and a
# record with a field too many (a reject).
BAD = "member_id,signup_at,plan\nm1,2025-03-19,free\nm2,19/03/2025 11h,monthly\nm3,2025-03-20,annual,extra\n"
FIXED = "member_id,signup_at,plan\nm1,2025-03-19,free\nm2,2025-03-19 11:00,monthly\nm3,2025-03-20,annual\n"
GOOD = "member_id,signup_at,plan\nm7,2025-02-01,free\nm8,2025-02-02,monthly\n"


def _exports(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    bad, good = folder / "members_20250331.csv", folder / "members_20250228.csv"
    bad.write_text(BAD, encoding="utf-8")
    good.write_text(GOOD, encoding="utf-8")
    return bad, good


def _uris(rows: list[dict[str, Any]], column: str = "_source_uri") -> list[str]:
    return sorted({r[column] for r in rows})


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _reference_manifest(duckdb_path: Path, uri: str) -> None:
    """Someone's own table pointing at a manifest row: DuckDB then refuses to delete that row."""
    with duckdb.connect(str(duckdb_path)) as con:
        con.execute("create table raw.notes (source_uri varchar references raw.load_manifest (source_uri))")
        con.execute("insert into raw.notes values (?)", [uri])


# ---------------------------------------------------------------- forget, DuckDB, local files


def test_forget_removes_exactly_that_objects_rows_rejects_and_manifest_row(
    tmp_path: Path, duckdb_path: Path, raw_tables: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad, good = _exports(tmp_path / "exports")
    load([str(bad), str(good)])
    before = raw_tables()
    assert _uris(before["membership_rejects"]) == [str(bad)]

    monkeypatch.chdir(tmp_path)  # a relative path, resolved as the load resolves it
    summary = forget("exports/members_20250331.csv")

    after = raw_tables()
    assert after["membership"] == [r for r in before["membership"] if r["_source_uri"] == str(good)]
    assert after["membership_rejects"] == []
    assert after["load_manifest"] == [r for r in before["load_manifest"] if r["source_uri"] == str(good)]
    assert [(o.uri, o.rows_deleted, o.rejects_deleted, o.still_in_source) for o in summary.objects] == [
        (str(bad), 2, 1, True)
    ]
    text = summary.text()
    assert text.startswith("forgot 1 object(s) in duckdb (schema raw of ")
    assert f"remove or fix the file at {bad} before the next run, or it will be loaded again." in text

    # The caveat is real: the file is still there, so the next run loads it again.
    again = load([str(bad), str(good)])
    assert (again.objects_loaded, again.objects_skipped, again.rows_rejected) == (1, 1, 1)
    assert _uris(raw_tables()["membership"]) == sorted([str(bad), str(good)])


def test_forget_of_an_unknown_uri_exits_1_names_list_and_changes_nothing(
    tmp_path: Path, duckdb_path: Path, raw_tables: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    bad, good = _exports(tmp_path)
    load([str(bad), str(good)])
    before = raw_tables()

    # One known and one unknown name: nothing is forgotten, not even the known one.
    code, out, err = _cli(["forget", str(bad), str(tmp_path / "members_20250330.csv")], capsys)

    assert code == 1
    assert out == ""
    assert f"{tmp_path / 'members_20250330.csv'}: no loaded object in duckdb" in err
    assert f"did you mean {bad}?" in err
    assert "Nothing was changed; run `python -m loader list` to see what is loaded" in err
    assert raw_tables() == before


def test_forget_and_list_on_a_missing_database_create_nothing(
    duckdb_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _cli(["list"], capsys)
    assert (code, out.strip()) == (0, f"nothing is loaded in duckdb (schema raw of {duckdb_path}).")
    code, _, err = _cli(["forget", "s3://bucket/members.csv"], capsys)
    assert code == 1 and "(nothing is loaded there yet)" in err
    assert not duckdb_path.exists()


def test_a_forget_failing_midway_leaves_every_table_as_it_was(
    tmp_path: Path, duckdb_path: Path, raw_tables: Any
) -> None:
    bad, good = _exports(tmp_path)
    load([str(bad), str(good)])
    # Forgetting both: the earlier URI's deletes all succeed, then the later one's
    # manifest row is still referenced and DuckDB refuses, inside the one transaction.
    assert str(good) < str(bad)
    _reference_manifest(duckdb_path, str(bad))
    before = raw_tables()

    with pytest.raises(LoadError) as refused:
        forget([str(good), str(bad)])

    message = str(refused.value)
    assert "DuckDB refused to forget" in message and "foreign key" in message
    assert "nothing was deleted" in message
    assert raw_tables() == before


def test_list_prints_the_manifest(
    tmp_path: Path, duckdb_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad, good = _exports(tmp_path)
    summary = load([str(bad), str(good)])

    code, out, _ = _cli(["list", "--duckdb-path", str(duckdb_path)], capsys)

    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["loaded_at", "rows", "rejected", "etag", "uri"]
    etags = {o.uri: o.etag for o in summary.objects}
    assert [line.split()[3:] for line in lines[1:3]] == [
        ["2", "0", etags[str(good)], str(good)],
        ["2", "1", etags[str(bad)], str(bad)],
    ]
    assert lines[3] == f"2 object(s) in duckdb (schema raw of {duckdb_path}): 4 rows, 1 rejected"
    assert [e.source_uri for e in list_loaded()] == [str(good), str(bad)]


# ---------------------------------------------------------------- forget, DuckDB, S3


def test_forget_through_s3_by_glob_with_dry_run_and_the_reload_caveat(
    s3_client: Any, s3_bucket: str, duckdb_path: Path, raw_tables: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, text in (("members_20250228.csv", GOOD), ("members_20250331.csv", BAD), ("other_0331.csv", GOOD)):
        s3_client.put_object(Bucket=s3_bucket, Key=f"exports/{name}", Body=text.encode())
    prefix = f"s3://{s3_bucket}/exports"
    assert _cli([f"{prefix}/*.csv"], capsys)[0] == 0  # today's form: load
    before = raw_tables()

    code, out, _ = _cli(["forget", "--dry-run", f"{prefix}/*_0331.csv", f"{prefix}/members_20250331.csv"], capsys)
    assert code == 0
    assert "would forget 2 object(s)" in out and "nothing was changed (--dry-run)" in out
    assert raw_tables() == before

    s3_client.delete_object(Bucket=s3_bucket, Key="exports/other_0331.csv")
    code, out, _ = _cli(["forget", f"{prefix}/*_0331.csv", f"{prefix}/members_20250331.csv"], capsys)

    assert code == 0, out
    lines = out.splitlines()
    assert "forgot 2 object(s)" in lines[0] and ": 4 rows, 1 rejected rows and 2 manifest row(s)" in lines[0]
    assert f"  {prefix}/members_20250331.csv: 2 rows, 1 rejected" in out
    assert f"  {prefix}/other_0331.csv: 2 rows, 0 rejected" in out
    # Only the object still in the bucket comes back with the next run.
    assert (f"note: {prefix}/members_20250331.csv is still there; remove or fix the file at "
            f"{prefix}/members_20250331.csv before the next run, or it will be loaded again.") in lines
    assert not any("other_0331" in line for line in lines if line.startswith("note:"))
    after = raw_tables()
    kept = f"{prefix}/members_20250228.csv"
    assert after["membership"] == [r for r in before["membership"] if r["_source_uri"] == kept]
    assert after["membership_rejects"] == []
    assert _uris(after["load_manifest"], "source_uri") == [kept]


# ---------------------------------------------------------------- replace


def test_replace_swaps_the_bad_export_for_the_corrected_one_end_to_end(
    tmp_path: Path, subprocess_env: dict[str, str], duckdb_path: Path, raw_tables: Any
) -> None:
    source = tmp_path / "exports"
    bad, good = _exports(source)
    fixed = tmp_path / "fixed" / bad.name
    fixed.parent.mkdir()
    fixed.write_text(FIXED, encoding="utf-8")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "loader", *args], env=subprocess_env, capture_output=True,
                              text=True, timeout=120, cwd=REPO_ROOT)

    assert run(str(source)).returncode == 0
    before = raw_tables()

    result = run("replace", str(bad), str(fixed))

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        f"replaced {bad} (2 rows, 1 rejected) with {fixed} (3 rows, 0 rejected, utf-8) in one transaction"
    )
    assert f"remove or fix the file at {bad} before the next run, or it will be loaded again." in result.stdout
    after = raw_tables()
    assert [(r["_source_uri"], r["member_id"], r["signup_at"]) for r in after["membership"]
            if r["_source_uri"] != str(good)] == [
        (str(fixed), "m1", "2025-03-19"), (str(fixed), "m2", "2025-03-19 11:00"), (str(fixed), "m3", "2025-03-20"),
    ]
    assert [r for r in after["membership"] if r["_source_uri"] == str(good)] == [
        r for r in before["membership"] if r["_source_uri"] == str(good)
    ]
    assert after["membership_rejects"] == []
    assert _uris(after["load_manifest"], "source_uri") == sorted([str(good), str(fixed)])

    listed = run("list")
    assert str(fixed) in listed.stdout and str(bad) not in listed.stdout

    # With the bad file removed from the source, the next run changes nothing.
    bad.unlink()
    rerun = run(str(source))
    assert rerun.returncode == 0 and "loaded 0, skipped 1" in rerun.stdout
    assert raw_tables()["membership"] == after["membership"]


def test_replace_with_a_refused_file_or_an_unknown_uri_changes_nothing(
    tmp_path: Path, duckdb_path: Path, raw_tables: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    bad, good = _exports(tmp_path)
    load([str(bad), str(good)])
    before = raw_tables()
    empty = tmp_path / "fixed.csv"
    empty.write_bytes(b"")

    code, _, err = _cli(["replace", str(bad), str(empty)], capsys)
    assert code == 1
    assert f"{empty}: the object is empty" in err
    assert f"Nothing was replaced: {bad} is still loaded as before." in err

    empty.write_text(FIXED, encoding="utf-8")
    with pytest.raises(NotLoaded, match="python -m loader list"):
        replace_object(str(tmp_path / "never_loaded.csv"), str(empty))
    assert raw_tables() == before


def test_a_replace_failing_midway_leaves_every_table_as_it_was(
    tmp_path: Path, duckdb_path: Path, raw_tables: Any
) -> None:
    bad, good = _exports(tmp_path)
    load([str(bad), str(good)])
    fixed = tmp_path / "fixed.csv"
    fixed.write_text(FIXED, encoding="utf-8")
    _reference_manifest(duckdb_path, str(bad))
    before = raw_tables()

    with pytest.raises(LoadError, match="Nothing was replaced"):
        replace_object(str(bad), str(fixed))

    assert raw_tables() == before


def test_replace_of_a_file_fixed_in_place_reloads_it(tmp_path: Path, duckdb_path: Path, raw_tables: Any) -> None:
    bad, good = _exports(tmp_path)
    load([str(bad), str(good)])
    bad.write_text(FIXED, encoding="utf-8")

    summary = replace_object(str(bad), str(bad))

    assert summary.text().startswith(f"reloaded {bad} (2 rows, 1 rejected) with its current version (3 rows")
    assert "note:" not in summary.text()
    assert sorted(r["signup_at"] for r in raw_tables()["membership"] if r["_source_uri"] == str(bad)) == [
        "2025-03-19", "2025-03-19 11:00", "2025-03-20",
    ]


def test_the_load_form_without_a_command_still_works(
    tmp_path: Path, duckdb_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad, good = _exports(tmp_path)
    code, out, _ = _cli(["--target", "duckdb", str(good)], capsys)
    assert code == 0 and out.startswith("objects seen 1, loaded 1,")
    code, out, _ = _cli(["load", str(bad), "--duckdb-path", str(duckdb_path)], capsys)
    assert code == 0 and out.startswith("objects seen 1, loaded 1,")
    with pytest.raises(SystemExit) as usage:
        main([])
    assert usage.value.code == 2


# ---------------------------------------------------------------- BigQuery


@pytest.mark.bigquery
def test_forget_list_and_replace_on_bigquery(
    raw_dataset: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dataset, query = raw_dataset, _bq_query

    def state() -> tuple[list[tuple], ...]:
        return (
            query(f"select _source_uri, member_id from {dataset}.membership order by 1, 2"),
            query(f"select _source_uri, _source_row_number from {dataset}.membership_rejects order by 1, 2"),
            query(f"select source_uri, rows_loaded, rows_rejected from {dataset}.load_manifest order by 1"),
        )

    bad, good = _exports(tmp_path / "it's a \\ folder")  # the URI reaches the SQL as a literal
    other = tmp_path / "other.csv"
    other.write_text(GOOD, encoding="utf-8")
    load([str(bad), str(good), str(other)], target="bigquery")

    code, out, _ = _cli(["list", "--target", "bigquery"], capsys)
    assert code == 0 and f"3 object(s) in bigquery (dataset {dataset}): 6 rows, 1 rejected" in out

    code, _, err = _cli(["forget", "--target", "bigquery", str(tmp_path / "nope.csv")], capsys)
    assert code == 1 and "python -m loader list" in err

    summary = forget([str(other)], target="bigquery")
    assert [(o.uri, o.rows_deleted, o.rejects_deleted) for o in summary.objects] == [(str(other), 2, 0)]
    rows, rejects, manifest = state()
    assert {uri for uri, _ in rows} == {str(bad), str(good)}
    assert rejects == [(str(bad), 4)]
    assert manifest == [(str(good), 2, 0), (str(bad), 2, 1)]

    fixed = tmp_path / "fixed.csv"
    fixed.write_text(FIXED, encoding="utf-8")
    code, out, err = _cli(["replace", "--target", "bigquery", str(bad), str(fixed)], capsys)
    assert code == 0, err
    assert out.startswith(f"replaced {bad} (2 rows, 1 rejected) with {fixed} (3 rows, 0 rejected")
    rows, rejects, manifest = state()
    assert rows == sorted([(str(fixed), "m1"), (str(fixed), "m2"), (str(fixed), "m3"),
                           (str(good), "m7"), (str(good), "m8")])
    assert rejects == []
    assert manifest == sorted([(str(fixed), 3, 0), (str(good), 2, 0)])


@pytest.mark.bigquery
def test_a_forget_failing_midway_on_bigquery_deletes_nothing(raw_dataset: str, tmp_path: Path) -> None:
    from google.cloud import bigquery

    from loader.sinks.bigquery_client import bigquery_client

    bad, good = _exports(tmp_path)
    load([str(bad), str(good)], target="bigquery")
    # Someone replaced membership_rejects by a view: the transaction's first delete (from
    # membership) is valid, its second (from a view) fails.
    client = bigquery_client()
    table_id = f"{client.project}.{raw_dataset}.membership_rejects"
    client.delete_table(table_id)
    view = bigquery.Table(table_id)
    view.view_query = f"select source_uri as _source_uri from `{client.project}.{raw_dataset}.load_manifest`"
    client.create_table(view)
    client.close()
    before = (_bq_query(f"select _source_uri, member_id from {raw_dataset}.membership order by 1, 2"),
              _bq_query(f"select source_uri, etag from {raw_dataset}.load_manifest order by 1"))

    with pytest.raises(LoadError) as failed:
        forget(str(bad), target="bigquery")

    assert "The transaction was rolled back: nothing was deleted." in str(failed.value)
    assert (_bq_query(f"select _source_uri, member_id from {raw_dataset}.membership order by 1, 2"),
            _bq_query(f"select source_uri, etag from {raw_dataset}.load_manifest order by 1")) == before
    assert {uri for uri, _ in before[0]} == {str(bad), str(good)}
