"""The generated sample and one's own exports never share a warehouse.

The loader's manifest says where every loaded object came from. A run whose source
is the sample (no MEMBERSHIP_SOURCE_URI) refuses a warehouse holding other exports,
and a run on one's own exports refuses a warehouse holding the sample's: loading
would put both into the marts. The refusal names what the warehouse holds and how to
start a new one (or back the other exports out); nothing is loaded.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from pipeline.settings import SAMPLE_DATA_DIR, Settings


def is_sample(uri: str) -> bool:
    """An object of the generated sample: a local file under sample_data/."""
    if "://" in uri:
        return False
    root = str(SAMPLE_DATA_DIR.resolve()) + os.sep
    return str(Path(uri).resolve()).startswith(root) or uri.startswith(str(SAMPLE_DATA_DIR) + os.sep)


def mixing_problem(settings: Settings, loaded_uris: list[str]) -> str | None:
    """Why loading this run's source into a warehouse holding `loaded_uris` would mix
    the sample with other exports, and what to do; None when it would not."""
    sample_run = is_sample(settings.source_uri)
    others = [uri for uri in loaded_uris if is_sample(uri) != sample_run]
    if not others:
        return None
    where = (f"the warehouse {settings.duckdb_path}" if settings.target == "duckdb"
             else f"the raw dataset {settings.raw_schema}")
    example = f"e.g. {others[0]}" + (f" and {len(others) - 1} more" if len(others) > 1 else "")
    if sample_run:
        return (f"{where} holds exports of your own ({len(others)} objects, {example}), and this run's "
                "source is the generated sample (MEMBERSHIP_SOURCE_URI is not set): loading it would mix "
                "the sample into your marts. Nothing was loaded. Set MEMBERSHIP_SOURCE_URI to your exports "
                "again, or give the sample a warehouse of its own: DUCKDB_PATH=warehouse/sample.duckdb "
                "make run.")
    forget = f"python -m loader forget {shlex.quote(str(SAMPLE_DATA_DIR / 'membership' / '*.csv'))}"
    return (f"{where} holds the generated sample's exports ({len(others)} objects, {example}), and this "
            f"run's source is {settings.source_uri}: loading it would mix your exports with the sample in "
            "the marts. Nothing was loaded. Start a warehouse of your own: set DUCKDB_PATH to a new file "
            "(e.g. DUCKDB_PATH=warehouse/mine.duckdb; on BigQuery, RAW_SCHEMA and BQ_DATASET to new "
            f"datasets), or back the sample out of this one first: {forget}.")
