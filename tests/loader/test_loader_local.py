"""Local SOURCE_URIs: a file, a directory, a glob, and the sources that name nothing."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from loader import LoadError, load
from loader.errors import SourceError

EXPORT = b"member_id,signup_at\n1,2025-01-01\n"


def _write(path: Path, data: bytes = EXPORT) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_local_file_metadata_is_its_absolute_path_md5_and_mtime(
    tmp_path: Path, duckdb_path: Path, raw_tables: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "exports" / "members.csv")
    monkeypatch.chdir(tmp_path)
    load("exports/members.csv", duckdb_path=str(duckdb_path))
    [row] = raw_tables()["membership"]
    assert row["_source_uri"] == str(path.resolve())
    assert row["_source_etag"] == hashlib.md5(EXPORT).hexdigest()
    assert row["_source_last_modified"] == datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)


def test_directory_and_glob_name_their_csv_files(tmp_path: Path, duckdb_path: Path) -> None:
    _write(tmp_path / "in" / "a.csv")
    _write(tmp_path / "in" / "b.csv")
    _write(tmp_path / "in" / "notes.txt", b"not an export")
    _write(tmp_path / "in" / "deeper" / "c.csv")
    by_directory = load(str(tmp_path / "in"), duckdb_path=str(duckdb_path))
    assert [Path(o.uri).name for o in by_directory.objects] == ["a.csv", "b.csv"]
    by_glob = load(str(tmp_path / "in" / "**" / "*.csv"), duckdb_path=str(duckdb_path))
    assert [(Path(o.uri).name, o.status) for o in by_glob.objects] == [
        ("a.csv", "skipped"),
        ("b.csv", "skipped"),
        ("c.csv", "loaded"),
    ]


def test_the_same_object_named_twice_is_loaded_once(tmp_path: Path, duckdb_path: Path) -> None:
    path = _write(tmp_path / "a.csv")
    summary = load([str(path), str(tmp_path / "*.csv")], duckdb_path=str(duckdb_path))
    assert (summary.objects_seen, summary.rows_loaded) == (1, 1)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("missing/members.csv", "missing/members.csv: no such file or directory; check the path."),
        ("missing/*.csv", "missing/*.csv: no local file matches this pattern"),
        ("empty_dir", "empty_dir: the directory holds no *.csv file"),
        ("gs://bucket/members.csv", "gs://bucket/members.csv: unsupported source"),
        ("s3://", "s3://: no bucket name"),
        ("s3://bucket-only", "s3://bucket-only: no key; give s3://bucket-only/key.csv"),
    ],
)
def test_sources_that_name_nothing_are_refused_before_anything_is_written(
    source: str, expected: str, tmp_path: Path, duckdb_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "empty_dir").mkdir()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SourceError) as caught:
        load(source, duckdb_path=str(duckdb_path))
    assert expected in str(caught.value)
    assert not duckdb_path.exists()


def test_unknown_target_is_named(tmp_path: Path, duckdb_path: Path) -> None:
    with pytest.raises(LoadError) as caught:
        load(str(_write(tmp_path / "a.csv")), target="snowflake", duckdb_path=str(duckdb_path))
    assert str(caught.value) == "unknown target 'snowflake'; use one of: duckdb, bigquery."


def test_default_database_path_is_created_under_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DUCKDB_PATH", raising=False)
    monkeypatch.chdir(tmp_path)
    load(str(_write(tmp_path / "a.csv")))
    assert (tmp_path / "warehouse" / "membership.duckdb").is_file()
