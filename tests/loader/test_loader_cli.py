"""`python -m loader` end to end on generated sample data, local and through S3, and its exit codes."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

import samplegen

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def messy_sample(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """A small generated export in --messy form: CP949, BOM, Korean headers, blank lines."""
    out = tmp_path_factory.mktemp("sample")
    summary = samplegen.generate(out, members=200, days=45, messy=True)
    files = sorted(Path(p) for p in summary["membership_files"])
    assert len(files) >= 2
    return files


def _records_by_hand(path: Path) -> list[tuple[str, ...]]:
    """The file's data records, read independently of the loader: (member_id, signup_at, plan)."""
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp949"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    rows = [r for r in csv.reader(text.splitlines()) if r]
    header = rows[0]
    korean = {"회원ID": "member_id", "회원번호": "member_id", "가입일시": "signup_at", "가입일": "signup_at",
              "요금제": "plan", "플랜": "plan"}
    names = [korean.get(h, h.lower()) for h in header]
    index = [names.index(c) for c in ("member_id", "signup_at", "plan")]
    return sorted(tuple(r[i] for i in index) for r in rows[1:])


def _loaded(db: Path) -> dict[str, list[tuple[str, ...]]]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("select _source_uri, member_id, signup_at, plan from raw.membership").fetchall()
    by_file: dict[str, list[tuple[str, ...]]] = {}
    for uri, *values in rows:
        by_file.setdefault(uri.rsplit("/", 1)[-1], []).append(tuple(values))
    return {name: sorted(values) for name, values in by_file.items()}


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loader", *args], env=env, capture_output=True, text=True, timeout=120, cwd=REPO_ROOT
    )


def test_generated_sample_loads_from_local_files(
    messy_sample: list[Path], subprocess_env: dict[str, str], duckdb_path: Path
) -> None:
    # What a shell makes of `python -m loader sample_data/membership/*.csv`.
    result = _run([str(p) for p in messy_sample], subprocess_env)
    assert result.returncode == 0, result.stderr
    total = sum(len(_records_by_hand(p)) for p in messy_sample)
    assert result.stdout.startswith(
        f"objects seen {len(messy_sample)}, loaded {len(messy_sample)}, skipped 0 (unchanged), refused 0, failed 0; "
        f"rows loaded {total}, rows rejected 0;"
    )
    assert _loaded(duckdb_path) == {p.name: _records_by_hand(p) for p in messy_sample}

    again = _run([str(p) for p in messy_sample], subprocess_env)
    assert again.returncode == 0, again.stderr
    assert f"loaded 0, skipped {len(messy_sample)}" in again.stdout


def test_generated_sample_loads_through_s3(
    messy_sample: list[Path], s3_client: Any, s3_bucket: str, subprocess_env: dict[str, str], duckdb_path: Path
) -> None:
    for path in messy_sample:
        s3_client.upload_file(str(path), s3_bucket, f"exports/membership/{path.name}")
    env = {**subprocess_env, "LOADER_PROGRESS_BYTES": "0"}

    result = _run([f"s3://{s3_bucket}/exports/membership/*.csv"], env)

    assert result.returncode == 0, result.stderr
    assert f"loader: s3://{s3_bucket}/exports/membership/{messy_sample[0].name}: checking" in result.stderr
    assert _loaded(duckdb_path) == {p.name: _records_by_hand(p) for p in messy_sample}
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        encodings = sorted(e for (e,) in con.execute("select encoding from raw.load_manifest").fetchall())
        empty_keys = con.execute("select count(*) from raw.membership where member_id is null or signup_at is null")
        assert empty_keys.fetchone() == (0,)
    assert "cp949" in encodings and "utf-8-sig" in encodings


def test_clean_sample_loads_its_price_as_plan_price_and_keeps_its_extra_column(tmp_path: Path, duckdb_path: Path) -> None:
    from loader import load

    summary = samplegen.generate(tmp_path / "sample", members=100, days=20)
    files = sorted(summary["membership_files"])
    result = load(files, duckdb_path=str(duckdb_path))
    assert result.objects_loaded == len(files) and result.rows_rejected == 0
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        columns = [c for (c,) in con.execute("select column_name from duckdb_columns() where table_name = 'membership'").fetchall()]
    # The sample writes plan_price_krw, an alias of the canonical plan_price.
    assert {"plan_price", "country"} <= set(columns) and "plan_price_krw" not in columns


def test_refusal_exits_non_zero_and_says_why(
    tmp_path: Path, subprocess_env: dict[str, str], duckdb_path: Path
) -> None:
    good = tmp_path / "members_good.csv"
    good.write_bytes(b"member_id,signup_at\n1,2025-01-01\n")
    bad = tmp_path / "members_bad.csv"
    bad.write_bytes(b"")

    result = _run([str(good), str(bad)], subprocess_env)

    assert result.returncode == 1
    assert "objects seen 2, loaded 1, skipped 0 (unchanged), refused 1, failed 0;" in result.stdout
    assert f"{bad}: the object is empty (0 bytes)" in result.stderr
    assert _loaded(duckdb_path) == {"members_good.csv": [("1", "2025-01-01", None)]}


def test_source_that_names_nothing_exits_non_zero(
    s3_bucket: str, subprocess_env: dict[str, str], duckdb_path: Path
) -> None:
    result = _run([f"s3://{s3_bucket}/nothing/*.csv"], subprocess_env)
    assert result.returncode == 1
    assert f"loader: s3://{s3_bucket}/nothing/*.csv: no object in bucket" in result.stderr
    assert result.stdout == ""
    assert not duckdb_path.exists()
