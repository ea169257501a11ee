"""`mf` commands run one after another in one Python process.

Each `mf` process spends about four CPU-seconds importing dbt and MetricFlow before it
does anything, and the semantic-layer tests run about forty commands. This process
imports them once and runs each command line it is sent through the `mf` command
itself (click's `main` of dbt-metricflow's CLI), exactly as the `mf` executable does.

Protocol: a JSON list of arguments per line on the file descriptor given as the first
argument; for each, one JSON object {"returncode", "stdout", "stderr"} per line on the
one given as the second. Not stdin and stdout: a command may close the one and write
to the other directly. After each
command the DuckDB warehouse is let go, as it is when an `mf` process exits, so the
tests can read it between commands.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import tempfile
import traceback


def _release_warehouse() -> None:
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # no DuckDB adapter installed: nothing is held
        return
    # close_all_connections() only drops the adapter's environment, which holds the
    # database open until collected; closing it first lets go of the file's lock now.
    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
    DuckDBConnectionManager.close_all_connections()
    gc.collect()


def _run(args: list[str]) -> dict[str, object]:
    import click
    from dbt_metricflow.cli.main import cli

    # Captured at the file descriptors, not by replacing sys.stdout: MetricFlow's spinner
    # keeps the stream it was given when it was imported.
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out, \
            tempfile.TemporaryFile("w+", encoding="utf-8") as err:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        code = 0
        try:
            cli.main(args=args, prog_name="mf", standalone_mode=False)
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        except click.exceptions.Exit as stop:
            code = stop.exit_code
        except click.ClickException as problem:
            problem.show()
            code = problem.exit_code
        except Exception:  # noqa: BLE001 - reported as the mf process would report it
            traceback.print_exc()
            code = 1
        finally:
            _release_warehouse()
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
        out.seek(0)
        err.seek(0)
        return {"returncode": code, "stdout": out.read(), "stderr": err.read()}


def main() -> None:
    requests = os.fdopen(int(sys.argv[1]), "r", encoding="utf-8")
    replies = os.fdopen(int(sys.argv[2]), "w", encoding="utf-8")
    for line in requests:
        replies.write(json.dumps(_run(json.loads(line))) + "\n")
        replies.flush()


if __name__ == "__main__":
    main()
