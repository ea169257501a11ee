"""A `dbt build` of the models and seeds alone, for a build that is only a baseline.

`--select resource_type:model resource_type:seed` on its own is not enough: dbt's
default (eager) indirect selection adds every data test of a selected model, so such a
build still runs all of them. With DBT_INDIRECT_SELECTION=empty it runs none. Use it
where the test compares the build with another one and a build of the same data
elsewhere in the module runs the data tests: on the local BigQuery API each data test
is a query that costs about as much as a model.

    ws.run(*MODELS_AND_SEEDS, **NO_DATA_TESTS)   # orchestrate.py passes both to dbt
"""

from __future__ import annotations

MODELS_AND_SEEDS = ("--select", "resource_type:model resource_type:seed")
NO_DATA_TESTS = {"DBT_INDIRECT_SELECTION": "empty"}
