"""What `python orchestrate.py` runs, one module per concern.

- `settings`: arguments and environment resolved once into a `Settings`.
- `dbt_vars`: `--vars` parsed and checked against the vars dbt_project.yml declares.
- `lock`: one run at a time.
- `steps`: the steps themselves, in order: one function each, listed in `STEPS`.
- `runner`: runs the steps, with the step-level retry of transient failures.
- `dbt`: dbt as a child process: progress, its log file, results and failing rows.
- `warehouse`: read-only queries of the marts (DuckDB or BigQuery).
- `summary`: the run summary, printed and written as JSON.
- `show`: `orchestrate.py show MART`.
- `report/`: the KPI report page (`--report`, `orchestrate.py report`).
- `cli`: the command line and exit codes.

To add a step, write one function in `steps.py` that takes the `Settings` and returns
a dict of details for the summary (raise `StepFailed` to fail it, saying whether a
retry could help), and add it to `STEPS`. The runner, the retries and the summary
take it from there.
"""
