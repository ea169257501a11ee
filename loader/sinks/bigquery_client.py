"""One way to build a BigQuery client from the environment, shared by the loader's
BigQuery sink and scripts/load_ga4_sample.py.

Production: application-default credentials (GOOGLE_APPLICATION_CREDENTIALS pointing
at a service-account key, workload identity, or `gcloud auth application-default
login`), project from GOOGLE_CLOUD_PROJECT (else the credentials' project), location
as the caller resolved it (LoaderSettings.bigquery_location, from BQ_LOCATION).

Local API: google-cloud-bigquery already sends requests to $BIGQUERY_EMULATOR_HOST
when it is set, but it still looks for Google credentials, which a laptop or CI machine
does not have; so with that variable set we pass anonymous credentials and the
endpoint explicitly (the variable may omit the scheme, as other Google emulators' do).
"""

from __future__ import annotations

import os

from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

from membership_elt.targets import BIGQUERY

DEFAULT_LOCATION = BIGQUERY.default("BQ_LOCATION")


class BigQueryConfigError(RuntimeError):
    """The environment does not say enough to reach BigQuery; the message says what to set."""


def emulator_endpoint() -> str | None:
    """The local BigQuery API's base URL from $BIGQUERY_EMULATOR_HOST, or None."""
    host = os.environ.get("BIGQUERY_EMULATOR_HOST", "").strip()
    if not host:
        return None
    return host if "://" in host else f"http://{host}"


def bigquery_location(location: str | None = None) -> str:
    return location or DEFAULT_LOCATION


def bigquery_client(project: str | None = None, location: str | None = None) -> bigquery.Client:
    """A client for `project` (else $GOOGLE_CLOUD_PROJECT) in `location` (else the
    target's default), or for the local API if set."""
    project = project or os.environ.get("GOOGLE_CLOUD_PROJECT") or None
    location = bigquery_location(location)
    endpoint = emulator_endpoint()
    if endpoint:
        if not project:
            raise BigQueryConfigError(
                f"BIGQUERY_EMULATOR_HOST is set ({endpoint}) but GOOGLE_CLOUD_PROJECT is not: "
                "set GOOGLE_CLOUD_PROJECT to the local API's project id (bqemulator: the "
                "value of its --project option)."
            )
        return bigquery.Client(
            project=project,
            location=location,
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": endpoint},
        )
    try:
        return bigquery.Client(project=project, location=location)
    except Exception as error:  # google.auth raises several unrelated types here
        raise BigQueryConfigError(
            f"Could not create a BigQuery client ({type(error).__name__}: {error}). Set "
            "GOOGLE_APPLICATION_CREDENTIALS to a service-account key file or run `gcloud "
            "auth application-default login`, and set GOOGLE_CLOUD_PROJECT."
        ) from error
