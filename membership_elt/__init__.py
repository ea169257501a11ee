"""What the loader, the pipeline and the Airflow DAG share, each defined once.

- `exit_codes`: the exit codes of `python -m loader`, `python orchestrate.py` and the
  Airflow steps, one meaning per code.
- `targets`: the warehouses (duckdb, bigquery) and their defaults.

Standard library only: Airflow's own interpreter imports it too.
"""
