"""The loader against a real S3 API (moto's server on loopback): happy paths and S3 errors."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
import requests

from loader import LoadError, LoadFailed, load
from loader.errors import SourceError

MEMBERS_CSV = (
    b"member_id,user_id,signup_at,plan,first_paid_at,canceled_at,country\n"
    b"1001,u-1,2025-03-19 11:13:18,monthly,2025-03-20 09:00:00,,KR\n"
    b"1002,,2025-03-19T02:13:18Z,free,,,\n"
    b"1003,u-3,2025/03/19 11:13,annual,2025.03.21,2025-04-01,JP\n"
)


def _put(client: Any, bucket: str, key: str, body: bytes) -> str:
    client.put_object(Bucket=bucket, Key=key, Body=body)
    return str(client.head_object(Bucket=bucket, Key=key)["ETag"]).strip('"')


def test_single_object_lands_as_text_with_metadata(
    s3_client: Any, s3_bucket: str, duckdb_path: Path, raw_tables: Any
) -> None:
    etag = _put(s3_client, s3_bucket, "exports/members.csv", MEMBERS_CSV)
    head = s3_client.head_object(Bucket=s3_bucket, Key="exports/members.csv")

    summary = load(f"s3://{s3_bucket}/exports/members.csv", duckdb_path=str(duckdb_path))

    assert (summary.objects_seen, summary.objects_loaded, summary.objects_skipped) == (1, 1, 0)
    assert (summary.rows_loaded, summary.rows_rejected) == (3, 0)
    tables = raw_tables()
    rows = {r["member_id"]: r for r in tables["membership"]}
    assert set(rows) == {"1001", "1002", "1003"}
    # Exactly as in the file: no parsing, empty fields stay empty strings.
    assert rows["1002"]["signup_at"] == "2025-03-19T02:13:18Z"
    assert rows["1003"]["first_paid_at"] == "2025.03.21"
    assert rows["1002"]["user_id"] == "" and rows["1002"]["country"] == ""
    assert rows["1001"]["canceled_at"] == ""
    uri = f"s3://{s3_bucket}/exports/members.csv"
    for row_number, member in enumerate(("1001", "1002", "1003"), start=2):
        row = rows[member]
        assert row["_source_uri"] == uri
        assert row["_source_etag"] == etag
        assert row["_source_row_number"] == row_number
        assert row["_source_last_modified"] == head["LastModified"].astimezone(UTC)
        assert row["_load_id"] == summary.load_id
        assert row["_loaded_at"].utcoffset() is not None
    [manifest] = tables["load_manifest"]
    assert manifest["source_uri"] == uri and manifest["etag"] == etag
    assert manifest["size_bytes"] == len(MEMBERS_CSV)
    assert (manifest["rows_loaded"], manifest["rows_rejected"], manifest["encoding"]) == (3, 0, "utf-8")
    assert tables["membership_rejects"] == []


def test_prefix_glob_loads_every_matching_object_only(
    s3_client: Any, s3_bucket: str, duckdb_path: Path, raw_tables: Any
) -> None:
    _put(s3_client, s3_bucket, "membership/members_20250131.csv", b"member_id,signup_at\n1,2025-01-01\n2,2025-01-02\n")
    _put(s3_client, s3_bucket, "membership/members_20250228.csv", b"member_id,signup_at\n3,2025-02-01\n")
    _put(s3_client, s3_bucket, "membership/README.txt", b"not an export")
    _put(s3_client, s3_bucket, "membership/old/members_20241231.csv", b"member_id,signup_at\n0,2024-12-01\n")
    _put(s3_client, s3_bucket, "other/members_20250131.csv", b"member_id,signup_at\n9,2025-01-01\n")

    summary = load(f"s3://{s3_bucket}/membership/*.csv", duckdb_path=str(duckdb_path))

    assert [o.uri for o in summary.objects] == [
        f"s3://{s3_bucket}/membership/members_20250131.csv",
        f"s3://{s3_bucket}/membership/members_20250228.csv",
    ]
    assert (summary.objects_loaded, summary.rows_loaded) == (2, 3)
    assert sorted(r["member_id"] for r in raw_tables()["membership"]) == ["1", "2", "3"]

    # `**` crosses folders; the two objects already loaded are skipped.
    again = load(f"s3://{s3_bucket}/membership/**.csv", duckdb_path=str(duckdb_path))
    assert (again.objects_seen, again.objects_loaded, again.objects_skipped) == (3, 1, 2)
    assert sorted(r["member_id"] for r in raw_tables()["membership"]) == ["0", "1", "2", "3"]


def test_trailing_slash_means_every_csv_under_the_prefix(
    s3_client: Any, s3_bucket: str, duckdb_path: Path
) -> None:
    _put(s3_client, s3_bucket, "in/a.csv", b"member_id,signup_at\n1,x\n")
    _put(s3_client, s3_bucket, "in/b.json", b"{}")
    summary = load(f"s3://{s3_bucket}/in/", duckdb_path=str(duckdb_path))
    assert [o.uri for o in summary.objects] == [f"s3://{s3_bucket}/in/a.csv"]


def test_rerun_is_idempotent(s3_client: Any, s3_bucket: str, duckdb_path: Path, raw_tables: Any) -> None:
    _put(s3_client, s3_bucket, "m/members.csv", MEMBERS_CSV + b"1004,u-4,2025-03-22\n")
    first = load(f"s3://{s3_bucket}/m/*.csv", duckdb_path=str(duckdb_path))
    before = raw_tables()

    second = load(f"s3://{s3_bucket}/m/*.csv", duckdb_path=str(duckdb_path))

    assert (first.objects_loaded, first.rows_loaded, first.rows_rejected) == (1, 3, 1)
    assert (second.objects_seen, second.objects_loaded, second.objects_skipped) == (1, 0, 1)
    assert (second.rows_loaded, second.rows_rejected) == (0, 0)
    assert raw_tables() == before


def test_changed_object_replaces_its_rows_and_rejects(
    s3_client: Any, s3_bucket: str, duckdb_path: Path, raw_tables: Any
) -> None:
    key = "m/members.csv"
    _put(s3_client, s3_bucket, "m/other.csv", b"member_id,signup_at\n77,2025-01-01\n")
    _put(s3_client, s3_bucket, key, b"member_id,signup_at,plan\n1,2025-01-01,free\n2,2025-01-02,free\n3,ragged\n")
    load(f"s3://{s3_bucket}/m/*.csv", duckdb_path=str(duckdb_path))
    new_etag = _put(s3_client, s3_bucket, key, b"member_id,signup_at,plan\n1,2025-01-01,monthly\n")

    summary = load(f"s3://{s3_bucket}/m/*.csv", duckdb_path=str(duckdb_path))

    assert (summary.objects_loaded, summary.objects_skipped, summary.rows_loaded) == (1, 1, 1)
    tables = raw_tables()
    uri = f"s3://{s3_bucket}/{key}"
    mine = [r for r in tables["membership"] if r["_source_uri"] == uri]
    assert [(r["member_id"], r["plan"], r["_source_etag"]) for r in mine] == [("1", "monthly", new_etag)]
    assert [r["member_id"] for r in tables["membership"] if r["_source_uri"] != uri] == ["77"]
    assert tables["membership_rejects"] == []
    manifest = {m["source_uri"]: m for m in tables["load_manifest"]}
    assert manifest[uri]["etag"] == new_etag and manifest[uri]["rows_loaded"] == 1
    assert manifest[uri]["load_id"] == summary.load_id


# ---------------------------------------------------------------- S3 errors


@pytest.fixture()
def loaded_before(s3_client: Any, s3_bucket: str, duckdb_path: Path, raw_tables: Any) -> dict[str, Any]:
    """Raw tables holding one loaded object, so that 'unchanged' means something."""
    _put(s3_client, s3_bucket, "good/members.csv", MEMBERS_CSV)
    load(f"s3://{s3_bucket}/good/members.csv", duckdb_path=str(duckdb_path))
    tables = raw_tables()
    assert tables is not None and len(tables["membership"]) == 3
    return tables


def test_missing_bucket_is_named(duckdb_path: Path, loaded_before: dict[str, Any], raw_tables: Any) -> None:
    for uri in ("s3://no-such-bucket-here/members.csv", "s3://no-such-bucket-here/membership/*.csv"):
        with pytest.raises(SourceError) as caught:
            load(uri, duckdb_path=str(duckdb_path))
        message = str(caught.value)
        assert "bucket 'no-such-bucket-here' does not exist" in message
        assert "check the bucket name" in message
    assert raw_tables() == loaded_before


def test_missing_key_is_named(
    s3_bucket: str, duckdb_path: Path, loaded_before: dict[str, Any], raw_tables: Any
) -> None:
    with pytest.raises(SourceError) as caught:
        load(f"s3://{s3_bucket}/exports/missing.csv", duckdb_path=str(duckdb_path))
    assert str(caught.value).startswith(f"s3://{s3_bucket}/exports/missing.csv: no such object in bucket")
    assert "check the key" in str(caught.value)
    assert raw_tables() == loaded_before


def test_glob_without_match_is_refused(
    s3_bucket: str, duckdb_path: Path, loaded_before: dict[str, Any], raw_tables: Any
) -> None:
    with pytest.raises(SourceError) as caught:
        load(f"s3://{s3_bucket}/exports/*.csv", duckdb_path=str(duckdb_path))
    assert f"no object in bucket '{s3_bucket}' matches 'exports/*.csv'" in str(caught.value)
    assert raw_tables() == loaded_before


def test_no_database_is_created_when_the_source_names_nothing(s3_bucket: str, duckdb_path: Path) -> None:
    with pytest.raises(LoadError):
        load(f"s3://{s3_bucket}/nothing/*.csv", duckdb_path=str(duckdb_path))
    assert not duckdb_path.exists()


@pytest.fixture()
def enforced_auth(s3_endpoint: str, aws_env: dict[str, str]) -> Iterator[Any]:
    """Yields a function that makes an IAM user allowed only the given S3 actions, and turns on
    moto's IAM enforcement: from then on every request needs such a user's credentials."""
    import boto3

    iam = boto3.session.Session().client("iam", endpoint_url=s3_endpoint)
    users: list[str] = []

    def enforce(enabled: bool) -> None:
        # Enforcement starts after this many requests: 0 = now, inf = never.
        body = b"0" if enabled else b"inf"
        requests.post(f"{s3_endpoint}/moto-api/reset-auth", data=body, timeout=10).raise_for_status()

    def user_allowed(actions: list[str]) -> dict[str, str]:
        enforce(False)
        name = f"loader-{uuid.uuid4().hex[:8]}"
        iam.create_user(UserName=name)
        if actions:
            policy = {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
            }
            iam.put_user_policy(UserName=name, PolicyName="loader", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        users.append(name)
        enforce(True)
        return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}

    try:
        yield user_allowed
    finally:
        enforce(False)
        for name in users:
            for key in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
                iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
            for policy in iam.list_user_policies(UserName=name)["PolicyNames"]:
                iam.delete_user_policy(UserName=name, PolicyName=policy)
            iam.delete_user(UserName=name)


def test_access_denied_when_listing(
    s3_bucket: str,
    duckdb_path: Path,
    loaded_before: dict[str, Any],
    raw_tables: Any,
    enforced_auth: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in enforced_auth([]).items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SourceError) as caught:
        load(f"s3://{s3_bucket}/good/*.csv", duckdb_path=str(duckdb_path))
    message = str(caught.value)
    assert message.startswith(f"s3://{s3_bucket}/good/: access denied when trying to list objects")
    assert "s3:ListBucket" in message and "s3:GetObject" in message
    assert raw_tables() == loaded_before


def test_access_denied_when_reading_fails_the_object_as_not_transient(
    s3_client: Any,
    s3_bucket: str,
    duckdb_path: Path,
    loaded_before: dict[str, Any],
    raw_tables: Any,
    enforced_auth: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _put(s3_client, s3_bucket, "good/members_2.csv", b"member_id,signup_at\n5,2025-01-01\n")
    for name, value in enforced_auth(["s3:ListBucket"]).items():
        monkeypatch.setenv(name, value)
    with pytest.raises(LoadFailed) as caught:
        load(f"s3://{s3_bucket}/good/*.csv", duckdb_path=str(duckdb_path))
    summary = caught.value.summary
    # Nothing is wrong with the file, so it is not refused; but no retry grants access.
    assert (summary.objects_seen, summary.objects_skipped, summary.objects_refused, summary.objects_failed) == (
        2, 1, 0, 1)
    assert caught.value.transient is False
    [failed] = [o for o in summary.objects if o.status == "failed"]
    assert failed.message.startswith(f"s3://{s3_bucket}/good/members_2.csv: access denied")
    assert "s3:GetObject" in str(caught.value)
    assert raw_tables() == loaded_before


def test_service_specific_endpoint_variable_is_honoured(
    s3_client: Any, s3_bucket: str, s3_endpoint: str, duckdb_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _put(s3_client, s3_bucket, "m/a.csv", b"member_id,signup_at\n1,2025-01-01\n")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_endpoint)  # and this one wins for S3
    summary = load(f"s3://{s3_bucket}/m/*.csv", duckdb_path=str(duckdb_path))
    assert summary.rows_loaded == 1
