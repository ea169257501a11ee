"""Which failures a later attempt can cure, and who retries what: the one place for both.

A failure is *transient* when the same call may succeed later: a network error, a
throttling or briefly unavailable service, an object that changed while it was read,
a warehouse file another process holds open. Everything else (a file that is not a
membership export, a SQL error, a failing data test, missing permissions or
credentials) fails the same way every time and is never retried.

The loader, its sinks and the orchestrator all ask `is_transient`; nobody keeps a list
of their own.

Retry policy: each kind of call is retried at exactly one level.

| call | retried by | attempts | backoff |
|---|---|---|---|
| an S3 request (list, head, get) | botocore's "standard" retry mode | `AWS_MAX_ATTEMPTS` (5) | botocore's: exponential with jitter, at most 20 s |
| an S3 body that breaks off while streaming | `loader.sources`, resuming with a Range request | `AWS_MAX_ATTEMPTS` (5) | `BODY_RESUME_BACKOFF` |
| a BigQuery API request of the loader | google-cloud-bigquery's default retry | until its 600 s deadline | the library's |
| a BigQuery job of the loader (load job, the replace transaction) | `loader.sinks.bigquery.with_retries` | `BIGQUERY_JOB_ATTEMPTS` (5) | `BIGQUERY_JOB_BACKOFF` |
| a query dbt-bigquery sends | dbt-bigquery (`job_retries` in the profile) | `BQ_JOB_RETRIES` (3) | dbt-bigquery's |
| a whole step of `orchestrate.py` that failed transiently | `pipeline.steps.run_step` | `--retries` (2) + 1 | `--retry-delay` (10 s), doubled each time |

The step level is the only one that spans calls: it takes over once a lower level has
given up (a load whose object still could not be downloaded, a DuckDB file another
process keeps open), and it reruns the step, which is safe because loads are
idempotent and dbt rebuilds what it builds.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff: `first` seconds, doubled each attempt, at most `cap`."""

    first: float
    cap: float

    def delay(self, failures: int) -> float:
        """Seconds to wait after the `failures`-th failure (1-based)."""
        return min(self.cap, self.first * 2.0 ** (failures - 1))


BODY_RESUME_BACKOFF = Backoff(first=1.0, cap=10.0)
BIGQUERY_JOB_ATTEMPTS = 5
BIGQUERY_JOB_BACKOFF = Backoff(first=1.0, cap=30.0)

# Exception classes (matched by name along the MRO, so that importing boto, google or
# requests is never needed to classify) that mean "the other side did not answer".
_TRANSIENT_CLASS_NAMES = frozenset({
    "ConnectionError", "TimeoutError", "ConnectionResetError", "ConnectionRefusedError",
    "ConnectionAbortedError", "BrokenPipeError",
    # botocore
    "EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError",
    "ConnectionClosedError", "ProxyConnectionError", "IncompleteReadError",
    "ResponseStreamingError",
    # google.api_core, requests, urllib3
    "ServiceUnavailable", "InternalServerError", "TooManyRequests", "GatewayTimeout",
    "BadGateway", "DeadlineExceeded", "RetryError", "ProtocolError", "NewConnectionError",
    "Timeout", "ChunkedEncodingError",
})
# S3 error codes in a botocore ClientError's response.
_TRANSIENT_S3_CODES = frozenset({
    "SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "Throttling",
    "ThrottlingException", "RequestLimitExceeded", "500", "502", "503", "504",
    # The object changed while it was read: the next attempt lists and reads the new one.
    "PreconditionFailed",
})
# BigQuery error reasons in a GoogleAPICallError's `errors`.
_TRANSIENT_BIGQUERY_REASONS = frozenset({
    "rateLimitExceeded", "backendError", "internalError", "jobRateLimitExceeded",
})
# Text that only a transient failure prints, for errors that reach us as messages
# (dbt reports a node's error as text).
_TRANSIENT_FRAGMENTS = (
    "could not set lock on file",  # DuckDB: another process has the database open
    "conflicting lock",
    "concurrent update",  # BigQuery aborted one of two transactions on a table
    "ratelimitexceeded", "backenderror", "internalerror", "service unavailable",
    "temporarily unavailable", "connection reset", "connection aborted",
    "connection refused", "timed out", "deadline exceeded", "bad gateway",
)


# The errors of an S3 body that broke off while streaming, which loader.sources
# resumes with a Range request (the second row of the table above): botocore does
# not retry a body once its response has begun. Module and class name along the MRO.
_BROKEN_BODY_CLASSES = frozenset({
    "botocore.ConnectionClosedError", "botocore.EndpointConnectionError", "botocore.IncompleteReadError",
    "botocore.ReadTimeoutError", "botocore.ResponseStreamingError",
    "urllib3.HTTPError",  # the base of every urllib3 error
    "builtins.ConnectionError",
})


def is_broken_body(error: BaseException) -> bool:
    """True when `error` means a streamed S3 body broke off, so resuming it may succeed."""
    return any(f"{cls.__module__.split('.')[0]}.{cls.__name__}" in _BROKEN_BODY_CLASSES
               for cls in type(error).__mro__)


def is_transient_message(message: str) -> bool:
    """True when an error's text is one only a transient failure prints."""
    lowered = message.lower()
    return any(fragment in lowered for fragment in _TRANSIENT_FRAGMENTS)


def is_transient(error: BaseException) -> bool:
    """True when `error`, or an exception it was raised from, is worth retrying."""
    for link in _chain(error):
        marked = getattr(link, "transient", None)
        if isinstance(marked, bool):
            # Our own errors say what they are; their causes were classified when raised.
            return marked
        if any(cls.__name__ in _TRANSIENT_CLASS_NAMES for cls in type(link).__mro__):
            return True
        response = getattr(link, "response", None)
        if isinstance(response, dict) and response.get("Error", {}).get("Code") in _TRANSIENT_S3_CODES:
            return True
        reasons = {str(e.get("reason", "")) for e in getattr(link, "errors", None) or [] if isinstance(e, dict)}
        if reasons & _TRANSIENT_BIGQUERY_REASONS:
            return True
        if is_transient_message(str(link)):
            return True
    return False


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
