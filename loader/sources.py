"""Where objects come from: S3 (or an S3-compatible store) and the local file system.

A SOURCE_URI is one of
- `s3://bucket/key.csv`: one object;
- `s3://bucket/prefix/*.csv`: every object whose key matches the glob (`*` and `?`
  stay inside one `/`-separated segment, `**` crosses segments);
- `s3://bucket/prefix/`: every `*.csv` object directly under the prefix;
- a local path, directory (its `*.csv` files) or glob.

S3 uses boto3 with the standard credential chain. boto3 itself honours
`AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL` (S3-compatible stores, the tests' local
server) and `AWS_RETRY_MODE`; the attempts per request are `LoaderSettings.s3_max_attempts`
(from `AWS_MAX_ATTEMPTS`, resolved once). Who retries what is written down in
loader/transient.py: botocore retries each request; this module only resumes a body
that breaks off while streaming, which botocore does not. Permanent errors (no
bucket, no key, access denied, bad credentials) are not retried.
"""

from __future__ import annotations

import functools
import glob
import hashlib
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from loader.errors import SourceError
from loader.settings import DEFAULT_S3_MAX_ATTEMPTS
from loader.transient import BODY_RESUME_BACKOFF, is_broken_body

_GLOB_CHARS = re.compile(r"[*?\[]")
_CHUNK_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class SourceObject:
    """One object to load: where it is and the version that was listed."""

    uri: str
    etag: str
    size_bytes: int
    last_modified: datetime
    bucket: str | None = None
    key: str | None = None

    @property
    def is_s3(self) -> bool:
        return self.bucket is not None


def list_objects(source_uri: str, max_attempts: int = DEFAULT_S3_MAX_ATTEMPTS) -> list[SourceObject]:
    """Every object SOURCE_URI names, sorted by URI; raises SourceError when there is none.
    `max_attempts`: of each S3 request (LoaderSettings.s3_max_attempts)."""
    if source_uri.startswith("s3://"):
        return _list_s3(source_uri, max_attempts)
    if "://" in source_uri:
        raise SourceError(
            f"{source_uri}: unsupported source; give s3://bucket/key.csv, "
            "s3://bucket/prefix/*.csv or a local path."
        )
    return _list_local(source_uri)


def fetch(obj: SourceObject, workdir: Path, on_bytes: Callable[[int], None],
          max_attempts: int = DEFAULT_S3_MAX_ATTEMPTS) -> Path:
    """A local file holding the object's content: the file itself, or a download into
    workdir. `max_attempts`: of each S3 request, and of the body (resumed where it broke off)."""
    if not obj.is_s3:
        return Path(obj.uri)
    return _download(obj, workdir / "object.csv", on_bytes, max_attempts)


# ---------------------------------------------------------------- local files


def _list_local(pattern: str) -> list[SourceObject]:
    path = Path(pattern).expanduser()
    if _GLOB_CHARS.search(pattern):
        paths = [Path(p) for p in glob.glob(str(path), recursive=True)]
        paths = [p for p in paths if p.is_file()]
        if not paths:
            raise SourceError(f"{pattern}: no local file matches this pattern; check the path and the glob.")
    elif path.is_dir():
        paths = sorted(p for p in path.glob("*.csv") if p.is_file())
        if not paths:
            raise SourceError(f"{path.resolve()}: the directory holds no *.csv file; check the path.")
    elif path.is_file():
        paths = [path]
    else:
        raise SourceError(f"{path.resolve()}: no such file or directory; check the path.")
    return sorted((_local_object(p) for p in paths), key=lambda o: o.uri)


def _local_object(path: Path) -> SourceObject:
    path = path.resolve()
    try:
        digest = hashlib.md5(usedforsecurity=False)
        with path.open("rb") as f:
            while chunk := f.read(_CHUNK_BYTES):
                digest.update(chunk)
        stat = path.stat()
    except OSError as exc:
        raise SourceError(f"{path}: cannot read the file ({exc.strerror}); check its permissions.") from exc
    return SourceObject(
        uri=str(path),
        etag=digest.hexdigest(),
        size_bytes=stat.st_size,
        last_modified=datetime.fromtimestamp(stat.st_mtime, tz=UTC),
    )


# ---------------------------------------------------------------- S3


def _split_s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri[len("s3://") :].partition("/")
    if not bucket:
        raise SourceError(f"{uri}: no bucket name; give s3://bucket/key.csv or s3://bucket/prefix/*.csv.")
    if not key:
        raise SourceError(
            f"{uri}: no key; give s3://{bucket}/key.csv, s3://{bucket}/prefix/*.csv "
            f"or s3://{bucket}/prefix/ (every *.csv under the prefix)."
        )
    return bucket, key


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A shell-like glob over S3 keys: `*` and `?` do not cross `/`, `**` does."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape("["))
                i += 1
            else:
                body = pattern[i + 1 : end]
                out.append("[^" + body[1:] + "]" if body.startswith("!") else "[" + body + "]")
                i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def s3_client(max_attempts: int = DEFAULT_S3_MAX_ATTEMPTS) -> Any:
    """A boto3 S3 client: standard credential chain and endpoint (boto3 reads its own
    `AWS_*` variables), `max_attempts` per request."""
    # Building a client costs a fifth of a second; reuse it while the settings stay the same.
    aws_environment = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_")))
    return _cached_client(aws_environment, max_attempts)


@functools.lru_cache(maxsize=4)
def _cached_client(aws_environment: tuple[tuple[str, str], ...], max_attempts: int) -> Any:
    import boto3
    from botocore.config import Config

    retries: dict[str, Any] = {"total_max_attempts": max_attempts}  # as $AWS_MAX_ATTEMPTS counts
    if "AWS_RETRY_MODE" not in dict(aws_environment):
        retries["mode"] = "standard"
    config = Config(retries=retries, connect_timeout=10, read_timeout=60)
    return boto3.session.Session().client("s3", config=config)


def _list_s3(uri: str, max_attempts: int) -> list[SourceObject]:
    bucket, key = _split_s3(uri)
    client = s3_client(max_attempts)
    if key.endswith("/"):
        key += "*.csv"
    if not _GLOB_CHARS.search(key):
        return [_head(client, bucket, key)]
    prefix = key[: _GLOB_CHARS.search(key).start()]  # type: ignore[union-attr]
    matcher = _glob_regex(key)
    found: list[SourceObject] = []
    try:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                if item["Key"].endswith("/") or not matcher.match(item["Key"]):
                    continue
                found.append(
                    SourceObject(
                        uri=f"s3://{bucket}/{item['Key']}",
                        etag=item["ETag"].strip('"'),
                        size_bytes=int(item["Size"]),
                        last_modified=item["LastModified"].astimezone(UTC),
                        bucket=bucket,
                        key=item["Key"],
                    )
                )
    except (BotoCoreError, ClientError) as exc:
        raise _s3_error(exc, bucket, prefix, "list objects (s3:ListBucket)") from exc
    if not found:
        raise SourceError(
            f"{uri}: no object in bucket {bucket!r} matches {key!r} (listed prefix {prefix!r}); "
            "check the prefix and the pattern (`*` does not cross `/`, use `**` for subfolders)."
        )
    return sorted(found, key=lambda o: o.uri)


def _head(client: Any, bucket: str, key: str) -> SourceObject:
    try:
        head = client.head_object(Bucket=bucket, Key=key)
    except (BotoCoreError, ClientError) as exc:
        if _error_code(exc) in {"404", "NoSuchKey", "NotFound"} and not _bucket_exists(client, bucket):
            raise SourceError(_no_bucket_message(bucket)) from exc
        raise _s3_error(exc, bucket, key, "read the object (s3:GetObject)") from exc
    return SourceObject(
        uri=f"s3://{bucket}/{key}",
        etag=str(head.get("ETag", "")).strip('"'),
        size_bytes=int(head["ContentLength"]),
        last_modified=head["LastModified"].astimezone(UTC),
        bucket=bucket,
        key=key,
    )


def _bucket_exists(client: Any, bucket: str) -> bool:
    try:
        client.head_bucket(Bucket=bucket)
    except (BotoCoreError, ClientError) as exc:
        # 403 means the bucket exists but we may not look at it.
        return _error_code(exc) not in {"404", "NoSuchBucket", "NotFound"}
    return True


def _error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def _no_bucket_message(bucket: str) -> str:
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or "AWS"
    return (
        f"S3 bucket {bucket!r} does not exist (endpoint {endpoint}); "
        "check the bucket name in SOURCE_URI and AWS_ENDPOINT_URL."
    )


def _s3_error(exc: BaseException, bucket: str, key: str, action: str) -> SourceError:
    """Turn a boto error into a sentence naming the bucket/key and what to do."""
    from botocore.exceptions import NoCredentialsError

    where = f"s3://{bucket}/{key}"
    code = _error_code(exc)
    if isinstance(exc, NoCredentialsError):
        return SourceError(
            f"{where}: no AWS credentials found; set AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, "
            "AWS_PROFILE or an instance role."
        )
    if code in {"NoSuchBucket"}:
        return SourceError(_no_bucket_message(bucket))
    if code in {"NoSuchKey", "404", "NotFound"}:
        return SourceError(
            f"{where}: no such object in bucket {bucket!r}; check the key in SOURCE_URI "
            "(use a glob such as prefix/*.csv for several objects)."
        )
    if code in {"AccessDenied", "403", "Forbidden", "AllAccessDisabled"}:
        return SourceError(
            f"{where}: access denied when trying to {action}; grant the credentials in use "
            f"s3:ListBucket on bucket {bucket!r} and s3:GetObject on its objects, or use other credentials."
        )
    if code in {"InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken"}:
        return SourceError(
            f"{where}: S3 rejected the credentials ({code}); check AWS_ACCESS_KEY_ID / "
            "AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN or AWS_PROFILE."
        )
    if code == "PreconditionFailed":
        return SourceError(f"{where}: the object changed while it was being loaded; run the loader again.")
    if isinstance(exc, BotoCoreError) or code:
        return SourceError(
            f"{where}: could not {action} ({code or type(exc).__name__}: {exc}); "
            "transient errors were retried with backoff; check the network and endpoint, then run again."
        )
    return SourceError(f"{where}: could not {action}: {exc}")


def _download(obj: SourceObject, dest: Path, on_bytes: Callable[[int], None], attempts: int) -> Path:
    """Stream the listed version of the object to dest, resuming a broken-off body."""
    from botocore.exceptions import IncompleteReadError
    from urllib3.exceptions import HTTPError as Urllib3Error

    assert obj.bucket is not None and obj.key is not None
    client = s3_client(attempts)
    written = 0
    failures = 0
    with dest.open("wb", buffering=_CHUNK_BYTES) as out:
        while True:
            request: dict[str, Any] = {"Bucket": obj.bucket, "Key": obj.key}
            if obj.etag:
                # Read exactly the version that was listed; a newer one waits for the next run.
                request["IfMatch"] = f'"{obj.etag}"'
            if written:
                request["Range"] = f"bytes={written}-"
            try:
                body = client.get_object(**request)["Body"]
                while chunk := body.read(_CHUNK_BYTES):
                    out.write(chunk)
                    written += len(chunk)
                    on_bytes(written)
                if written >= obj.size_bytes:
                    break
                raise IncompleteReadError(actual_bytes=written, expected_bytes=obj.size_bytes)
            except (BotoCoreError, ClientError, Urllib3Error, ConnectionError) as exc:
                if not is_broken_body(exc):
                    raise _s3_error(exc, obj.bucket, obj.key, "download the object (s3:GetObject)") from exc
                failures += 1
                if failures >= attempts:
                    raise _s3_error(exc, obj.bucket, obj.key, "download the object") from exc
                time.sleep(BODY_RESUME_BACKOFF.delay(failures))
    return dest
