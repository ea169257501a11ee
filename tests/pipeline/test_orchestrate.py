"""orchestrate.py's own behaviour (pipeline/): arguments, the lock, the run summary,
exit codes, which failures are retried, what a person sees. Real runs where they are
cheap (a load that is refused never reaches dbt); the dbt runs select one staging
model and what depends on it."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import botocore.exceptions
import duckdb
import pytest
import yaml
from google.api_core import exceptions as google_exceptions

from loader.transient import is_transient
from membership_elt.exit_codes import ExitCode
from pipeline import cli
from pipeline.dbt import dbt_command
from pipeline.dbt_vars import declared_vars, project_vars
from pipeline.runner import run_step
from pipeline.settings import DBT_PROJECT_DIR, resolve
from tests.support.pipeline_runs import ROOT, Workspace, explain, step

# Only the required and a few optional canonical columns (docs/specification.md,
# "Membership exports"): the extras of the sample data are not required of an export.
GOOD_CSV = (
    "member_id,user_id,signup_at,plan,first_paid_at,canceled_at\n"
    "m1,u1,2025-03-03 10:00:00,monthly,2025-03-05 09:00:00,\n"
    "m2,,2025-03-04 11:00:00,free,,\n"
)


@pytest.fixture()
def workspace(tmp_path: Path) -> Workspace:
    ws = Workspace(root=tmp_path, membership_dir=tmp_path / "membership", ga4_dir=tmp_path / "ga4")
    ws.membership_dir.mkdir()
    ws.ga4_dir.mkdir()
    return ws


@pytest.fixture()
def refused_source(workspace: Workspace) -> Workspace:
    """A source whose only file lacks the required signup_at column."""
    (workspace.membership_dir / "members_20250310.csv").write_text(
        "member_id,plan\nm1,monthly\n", encoding="utf-8")
    return workspace


# --- arguments --------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start-date", "2025-02-30"], "'2025-02-30' is not a date in the form YYYY-MM-DD"),
        (["--start-date", "2025-03-02", "--end-date", "2025-03-01"], "is after --end-date"),
        (["--end-date", "2025-03-01"], "--end-date needs --start-date"),
        (["--target", "snowflake"], "invalid choice: 'snowflake'"),
        (["--vars", "[1, 2]"], "--vars must be a YAML mapping"),
        (["--vars", "{a: [1"], "--vars is not valid YAML"),
        (["--vars", "{start_date: 2025-13-01}"], "--vars is not valid YAML (month must be in 1..12)"),
        (["--vars", "{conversion_window_day: 7}"],
         "--vars names 'conversion_window_day' (did you mean 'conversion_window_days'?), which "
         "dbt_project.yml does not declare, so dbt would ignore it. Known vars: "),
        # A value is checked against its rule in dbt_project.yml (var_rules) before the load.
        (["--vars", "{conversion_window_days: seven}"],
         "--vars: conversion_window_days is 'seven'; allowed: an integer from 0 to 366."),
        (["--vars", "{conversion_window_days: -1}"],
         "--vars: conversion_window_days is -1; allowed: an integer from 0 to 366."),
        (["--vars", "{reporting_timezone: Asia/Seol}"],
         "--vars: reporting_timezone is 'Asia/Seol' (did you mean 'Asia/Seoul'?); allowed: an IANA time zone"),
        (["--vars", "{start_date: '2025-02-30'}"],
         "--vars: start_date is '2025-02-30'; allowed: a date YYYY-MM-DD, or null."),
        (["--vars", "{ga4_enabled: maybe}"], "--vars: ga4_enabled is 'maybe'; allowed: true or false."),
        (["--vars", "{member_extra_columns: country}"],
         "--vars: member_extra_columns is 'country'; allowed: a list, each item text matching"),
        (["--vars", "{end_date: 2025-03-01}"], "end_date needs start_date"),
        (["--vars", "{membership_freshness_warn_hours: 100}"],
         "membership_freshness_warn_hours (100) is above membership_freshness_error_hours (72)"),
    ],
)
def test_bad_arguments_exit_2_with_a_sentence(workspace: Workspace, args: list[str], message: str) -> None:
    result = workspace.run(*args, timeout=60)
    assert result.returncode == ExitCode.USAGE, explain(result)
    assert message in result.stderr
    assert not workspace.summary_file.exists()


def _settings(argv: list[str]) -> tuple[dict, list[str]]:
    args = cli.parse_args(argv)
    declared, rules = project_vars(DBT_PROJECT_DIR)
    settings = resolve(args.target, cli.run_vars(args, declared, rules), declared, **cli.run_options(args))
    return settings.vars, dbt_command(["build"], settings)


def test_dates_and_vars_become_dbt_vars() -> None:
    variables, argv = _settings(
        ["--vars", "{conversion_window_days: 14, start_date: '2020-01-01'}", "--start-date", "2025-03-01",
         "--end-date", "2025-03-31", "--full-refresh", "--select", "fct_kpis_weekly+", "--target", "bigquery"])
    assert variables == {"conversion_window_days": 14, "start_date": "2025-03-01", "end_date": "2025-03-31"}
    assert argv[1] == "build"
    assert argv[argv.index("--target") + 1] == "bigquery"
    assert argv[argv.index("--select") + 1] == "fct_kpis_weekly+"
    assert "--full-refresh" in argv
    assert yaml.safe_load(argv[argv.index("--vars") + 1]) == variables
    assert argv[argv.index("--project-dir") + 1] == str(ROOT / "dbt_project")
    assert argv[argv.index("--profiles-dir") + 1] == str(ROOT / "dbt_project")


def test_yaml_dates_in_vars_reach_dbt_as_yaml() -> None:
    variables, argv = _settings(["--vars", "{start_date: 2025-03-01, ga4_project: 'example.com:a-b', "
                                          "ga4_lookback_days: 3}"])
    assert variables["start_date"] == dt.date(2025, 3, 1)
    text = argv[argv.index("--vars") + 1]
    assert yaml.safe_load(text) == {"start_date": dt.date(2025, 3, 1), "ga4_project": "example.com:a-b",
                                    "ga4_lookback_days": 3}


def test_target_defaults_to_dbt_target_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBT_TARGET", "bigquery")
    assert cli.parse_args([]).target == "bigquery"
    assert cli.parse_args(["--target", "duckdb"]).target == "duckdb"
    monkeypatch.delenv("DBT_TARGET")
    assert cli.parse_args([]).target == "duckdb"


# --- the lock ---------------------------------------------------------------


def test_a_second_run_refuses_while_the_lock_is_held(workspace: Workspace) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import signal, sys
            sys.path.insert(0, {str(ROOT)!r})
            from pipeline.lock import run_lock
            from pathlib import Path
            with run_lock(Path({str(workspace.lock_file)!r})):
                print("held", flush=True)
                signal.pause()  # held until the test kills it, however long the run takes
        """)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        result = workspace.run(timeout=60)
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == ExitCode.LOCKED, explain(result)
    assert str(workspace.lock_file) in result.stderr
    assert f"pid {holder.pid}" in result.stderr
    assert not workspace.summary_file.exists(), "a refused run must not overwrite the running one's summary"


def test_a_lock_left_by_a_dead_run_does_not_block(refused_source: Workspace) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    refused_source.lock_file.parent.mkdir(parents=True)
    refused_source.lock_file.write_text(f"pid {dead.stdout.strip()}, started 2025-01-01T00:00:00+00:00\n")
    run = refused_source.start()
    stdout, stderr = run.communicate(timeout=120)
    assert run.returncode == ExitCode.FAILED, stderr  # the load fails, but the run did run
    assert f"pid {run.pid}," in refused_source.lock_file.read_text()
    assert refused_source.summary()["steps"], stdout


# --- failures, the summary, exit codes ---------------------------------------


def test_a_refused_file_fails_the_load_and_skips_dbt(refused_source: Workspace) -> None:
    result = refused_source.run(timeout=120)
    assert result.returncode == ExitCode.FAILED, explain(result)
    summary = refused_source.summary()
    assert summary["status"] == "failed" and summary["exit_code"] == 1
    load = step(summary, "load")
    assert load["status"] == "failed"
    assert load["attempts"] == 1, "a refused file is not transient and must not be retried"
    assert "members_20250310.csv" in load["error"] and "signup_at" in load["error"]
    build = step(summary, "dbt_build")
    assert build["status"] == "skipped" and build["attempts"] == 0
    assert "signup_at" in result.stdout  # the terminal summary shows the error too
    assert not refused_source.duckdb_path.exists() or "analytics" not in _schemas(refused_source.duckdb_path)


def test_json_log_format_writes_one_json_object_per_line(refused_source: Workspace) -> None:
    result = refused_source.run("--log-format", "json", timeout=120)
    assert result.returncode == ExitCode.FAILED, explain(result)
    records = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert any(r["level"] == "error" and r.get("step") == "load" for r in records)
    summaries = [r for r in records if r.get("event") == "summary"]
    assert summaries and summaries[0]["summary"]["status"] == "failed"


def _schemas(path: Path) -> set[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {row[0] for row in con.execute("select schema_name from information_schema.schemata").fetchall()}


# --- which failures are transient -------------------------------------------


def _client_error(code: str) -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": code}}, "GetObject")


def _duckdb_lock_error(tmp_path: Path) -> duckdb.Error:
    """The real error DuckDB raises when another process has the database open."""
    path = tmp_path / "busy.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, signal; c = duckdb.connect({str(path)!r}); print('open', flush=True); signal.pause()"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        with pytest.raises(duckdb.Error) as caught:
            duckdb.connect(str(path))
    finally:
        holder.kill()
        holder.wait()
    return caught.value


def test_transient_failures_are_recognised(tmp_path: Path) -> None:
    from loader.errors import SourceError

    transient = [
        botocore.exceptions.EndpointConnectionError(endpoint_url="http://127.0.0.1:9"),
        _client_error("SlowDown"),
        _client_error("503"),
        google_exceptions.ServiceUnavailable("backend unavailable"),
        google_exceptions.TooManyRequests("rateLimitExceeded"),
        TimeoutError("read timed out"),
        _duckdb_lock_error(tmp_path),
    ]
    for error in transient:
        assert is_transient(error), repr(error)
    try:  # a loader error raised from a transient one, as the loader wraps boto errors
        try:
            raise botocore.exceptions.EndpointConnectionError(endpoint_url="http://127.0.0.1:9")
        except botocore.exceptions.BotoCoreError as cause:
            raise SourceError("s3://b/k.csv: could not list objects") from cause
    except SourceError as wrapped:
        assert is_transient(wrapped)


def test_permanent_failures_are_not_retried() -> None:
    from loader.errors import RefusedObject, SourceError

    permanent = [
        _client_error("AccessDenied"),
        _client_error("NoSuchKey"),
        google_exceptions.Forbidden("billing disabled"),
        google_exceptions.BadRequest("Syntax error: Unexpected identifier"),
        RefusedObject("s3://b/members.csv", "the required column signup_at is missing"),
        SourceError("s3://b/*.csv: no object matches"),
        ValueError("Conversion Error: invalid date"),
    ]
    for error in permanent:
        assert not is_transient(error), repr(error)


def test_transient_failures_back_off_then_give_up() -> None:
    calls: list[int] = []
    sleeps: list[float] = []

    def flaky() -> dict[str, int]:
        calls.append(1)
        raise botocore.exceptions.EndpointConnectionError(endpoint_url="http://127.0.0.1:9")

    result = run_step("load", flaky, retries=3, delay=1.5, sleep=sleeps.append)
    assert result.status == "failed" and result.attempts == 4 and len(calls) == 4
    assert sleeps == [1.5, 3.0, 6.0]
    assert "127.0.0.1:9" in (result.error or "")


def test_a_permanent_failure_is_not_retried() -> None:
    sleeps: list[float] = []

    def refused() -> dict[str, int]:
        raise ValueError("members.csv line 3, column signup_at: '2025-13-45' is not a date")

    result = run_step("load", refused, retries=3, delay=1, sleep=sleeps.append)
    assert (result.status, result.attempts, sleeps) == ("failed", 1, [])


def test_a_recovered_step_succeeds() -> None:
    outcomes = [TimeoutError("timed out"), {"rows_loaded": 2}]

    def recovering() -> dict[str, int]:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    result = run_step("load", recovering, retries=2, delay=0, sleep=lambda _: None)
    assert (result.status, result.attempts, result.error, result.details) == ("success", 2, None, {"rows_loaded": 2})


# --- real runs through dbt (one staging model) --------------------------------

# Only the tests whose every parent is selected: a relationships test from a GA4
# model must not run against a GA4 model these runs do not build.
ONLY_SELECTED = {"DBT_INDIRECT_SELECTION": "cautious"}



def _run_while_busy(workspace: Workspace, *args: str) -> tuple[subprocess.CompletedProcess[str], str]:
    """Run orchestrate.py while another process (an analyst's session) holds the DuckDB
    file open, and free the file only once the run has reported a transient failure,
    so the retry is certain however slow the machine is. Returns the run and the log
    line at which the file was freed."""
    holder = _hold_duckdb(workspace.duckdb_path)
    run = workspace.start(*args, **ONLY_SELECTED)
    assert run.stdout is not None and run.stderr is not None
    stdout_chunks: list[str] = []
    # stdout is drained meanwhile: with --log-format json dbt's log fills the pipe.
    drain = threading.Thread(target=lambda: stdout_chunks.extend(run.stdout), daemon=True)
    drain.start()
    stderr_lines: list[str] = []
    freed_at = ""
    try:
        for line in run.stderr:
            stderr_lines.append(line)
            if not freed_at and ("transient failure" in line or '"event": "retry"' in line):
                holder.kill()
                freed_at = line
        run.wait(timeout=300)
        drain.join(timeout=60)
    finally:
        holder.kill()
        holder.wait()
        run.kill()
    return subprocess.CompletedProcess(run.args, run.returncode, "".join(stdout_chunks),
                                       "".join(stderr_lines)), freed_at


def test_a_busy_warehouse_is_retried_at_the_step_level(workspace: Workspace) -> None:
    """The DuckDB file is busy when the run starts: the load fails with DuckDB's lock
    error, is retried after the backoff, and succeeds once the file is free; then dbt
    build and dbt docs generate run. Then the same with the file busy when dbt build
    starts."""
    (workspace.membership_dir / "members_20250310.csv").write_text(GOOD_CSV, encoding="utf-8")
    workspace.duckdb_path.parent.mkdir(parents=True)
    result, freed_at = _run_while_busy(workspace, "--retries", "4", "--retry-delay", "2", "--docs",
                                       "--select", "stg_membership__members")
    assert result.returncode == ExitCode.OK, explain(result)
    assert "load: transient failure" in freed_at and "Could not set lock on file" in freed_at
    summary = workspace.summary()
    load = step(summary, "load")
    assert load["status"] == "success" and load["attempts"] >= 2, load
    assert load["details"]["rows_loaded"] == 2
    build = step(summary, "dbt_build")
    assert build["status"] == "success" and build["details"]["counts"]["models"] == {"success": 1}
    assert "fail" not in build["details"]["counts"].get("data_tests", {})
    assert step(summary, "dbt_docs_generate")["status"] == "success"
    assert (workspace.root / "dbt_target" / "catalog.json").exists()
    with duckdb.connect(str(workspace.duckdb_path), read_only=True) as con:
        assert con.execute("select count(*) from analytics.stg_membership__members").fetchone() == (2,)

    # Now the file is busy when dbt build starts: the build is retried and succeeds.
    result, freed_at = _run_while_busy(workspace, "--skip-load", "--retries", "4", "--retry-delay", "2",
                                       "--log-format", "json", "--select", "stg_membership__members")
    assert result.returncode == ExitCode.OK, explain(result)
    assert json.loads(freed_at)["step"] == "dbt_build"
    # JSON logs: every line on both streams (ours on stderr, dbt's on stdout) is one object.
    for stream in (result.stdout, result.stderr):
        assert all(json.loads(line) for line in stream.splitlines() if line.strip())
    build = step(workspace.summary(), "dbt_build")
    assert build["status"] == "success" and build["attempts"] >= 2, build
    assert [s["name"] for s in workspace.summary()["steps"]] == ["dbt_build"]


def _hold_duckdb(path: Path) -> subprocess.Popen[str]:
    """Another process (an analyst's session) with the DuckDB file open until the test kills it."""
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, signal; c = duckdb.connect({str(path)!r}); print('open', flush=True); signal.pause()"],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
    return holder


def test_a_failing_dbt_test_is_named_shows_its_rows_and_stops_downstream_models(workspace: Workspace) -> None:
    export = workspace.membership_dir / "members_20250310.csv"
    export.write_text(GOOD_CSV + "m3,u3,2025-13-45 10:00:00,monthly,,\n", encoding="utf-8")
    result = workspace.run("--retry-delay", "0", "--select", "stg_membership__members+", timeout=300,
                           **ONLY_SELECTED)
    assert result.returncode == ExitCode.FAILED, explain(result)
    build = step(workspace.summary(), "dbt_build")
    assert build["status"] == "failed"
    assert build["attempts"] == 1, "a failing data test is not transient"
    details = build["details"]
    assert details["counts"]["data_tests"]["fail"] >= 1
    [parse] = [p for p in details["problems"] if p["name"] == "assert_member_datetimes_parse"]
    # The failing row says which member, column, value and file, in the summary file...
    assert parse["failing_rows"] == [{
        "member_id": "m3", "column_name": "signup_at", "raw_value": "2025-13-45 10:00:00",
        "source_uri": str(export), "source_row_number": 4}]
    # ...and on the terminal.
    assert "member_id=m3, column_name=signup_at, raw_value=2025-13-45 10:00:00" in result.stdout
    skipped = {node for group in details["skipped"] for node in group["nodes"]
               if "test.membership_analytics.assert_member_datetimes_parse" in group["because"]}
    assert "model.membership_analytics.dim_members" in skipped, details["skipped"]
    assert re.search(r"skipped: \d+ models and \d+ tests because assert_member_datetimes_parse\b", result.stdout)
    # Skipped nodes collapse into lines that count them; dbt's per-node lines stay in the log file.
    assert "SKIP" not in result.stdout
    log_file = Path(details["log_file"])
    assert f"dbt log: {log_file}" in result.stdout
    assert "SKIP relation" in log_file.read_text() or " SKIP " in log_file.read_text()


def test_output_read_by_a_person_is_short_plain_text_and_counts_agree_with_dbt(workspace: Workspace) -> None:
    (workspace.membership_dir / "members_20250310.csv").write_text(GOOD_CSV, encoding="utf-8")
    result = workspace.run("--select", "stg_membership__members", timeout=300, **ONLY_SELECTED)
    assert result.returncode == ExitCode.OK, explain(result)
    output = result.stdout + result.stderr
    assert "\x1b[" not in output, "no ANSI codes when the output is not a terminal"
    assert len(output.splitlines()) <= 15, output
    details = step(workspace.summary(), "dbt_build")["details"]
    log_text = Path(details["log_file"]).read_text()
    assert "\x1b[" not in log_text
    # dbt's own closing line counts every node we count, by the same statuses.
    done = next(line for line in log_text.splitlines() if " Done. PASS=" in line)
    total = int(done.rsplit("TOTAL=", 1)[1])
    assert total == details["nodes"] == sum(n for kind in details["counts"].values() for n in kind.values())
    passed = sum(kind.get("pass", 0) + kind.get("success", 0) for kind in details["counts"].values())
    assert f"PASS={passed} " in done
    assert f"{details['nodes']} nodes: 1 model (1 built)" in result.stdout
    assert "1 objects: 1 loaded; 2 rows loaded, 0 rejected" in result.stdout
    # A second run: nothing new to load, said as such rather than "loaded 0".
    again = workspace.run("--select", "stg_membership__members", timeout=300, **ONLY_SELECTED)
    assert "1 objects: 1 unchanged; 0 rows loaded" in again.stdout, explain(again)


def test_the_vars_a_run_used_are_in_its_summary(workspace: Workspace) -> None:
    (workspace.membership_dir / "members_20250310.csv").write_text(GOOD_CSV, encoding="utf-8")
    result = workspace.run("--vars", "{conversion_window_days: 14}", "--select", "stg_membership__members",
                           timeout=300, **ONLY_SELECTED)
    assert result.returncode == ExitCode.OK, explain(result)
    summary = workspace.summary()
    assert summary["vars_given"] == {"conversion_window_days": 14}
    declared = declared_vars(DBT_PROJECT_DIR)
    # The workspace's GA4 folder is empty: the run had no GA4, and says so in its vars.
    assert summary["vars"] == {**declared, "conversion_window_days": 14, "ga4_enabled": False}


def test_show_prints_a_whole_mart_in_order_and_writes_csv(workspace: Workspace) -> None:
    (workspace.membership_dir / "members_20250310.csv").write_text(
        GOOD_CSV + "m0,u0,2025-03-01 09:00:00,annual,2025-03-01 10:00:00,\n", encoding="utf-8")
    result = workspace.run("--select", "stg_membership__members", timeout=300, **ONLY_SELECTED)
    assert result.returncode == ExitCode.OK, explain(result)
    show = [sys.executable, str(ROOT / "orchestrate.py"), "show", "stg_membership__members"]
    shown = subprocess.run(show, env=workspace.env(), capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    with duckdb.connect(str(workspace.duckdb_path), read_only=True) as con:
        columns = [row[0] for row in con.execute("describe analytics.stg_membership__members").fetchall()]
    assert lines[0].split() == columns, "every column, in the model's order"
    assert [line.split()[0] for line in lines[2:5]] == ["m0", "m1", "m2"]
    assert lines[-1].startswith("(3 rows, ")
    csv_file = workspace.root / "out" / "members.csv"
    written = subprocess.run([*show, "--csv", str(csv_file)], env=workspace.env(), capture_output=True,
                             text=True, timeout=120)
    assert written.returncode == 0, written.stderr
    rows = csv_file.read_text(encoding="utf-8").splitlines()
    assert rows[0].split(",") == columns and [r.split(",")[0] for r in rows[1:]] == ["m0", "m1", "m2"]
    missing = subprocess.run([*show[:-1], "fct_nothing"], env=workspace.env(), capture_output=True,
                             text=True, timeout=120)
    assert missing.returncode == 1 and "cannot read fct_nothing" in missing.stderr


def test_the_troubleshooting_store_failures_command_works_as_written(workspace: Workspace) -> None:
    """docs/troubleshooting.md: `dbt test -s assert_member_datetimes_parse --store-failures`
    keeps the failing rows in a table whose name dbt prints."""
    (workspace.membership_dir / "members_20250310.csv").write_text(
        GOOD_CSV + "m3,u3,2025-13-45 10:00:00,monthly,,\n", encoding="utf-8")
    result = workspace.run("--select", "stg_membership__members", timeout=300, **ONLY_SELECTED)
    assert result.returncode == ExitCode.FAILED, explain(result)
    dbt = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "test", "-s", "assert_member_datetimes_parse",
         "--store-failures", "--profiles-dir", "."],
        cwd=DBT_PROJECT_DIR, env=workspace.env(), capture_output=True, text=True, timeout=300)
    assert dbt.returncode == 1, dbt.stdout
    printed = re.search(r"select \* from (\S+)", re.sub(r"\x1b\[[0-9;]*m", "", dbt.stdout))
    assert printed, dbt.stdout
    table = printed.group(1)
    with duckdb.connect(str(workspace.duckdb_path), read_only=True) as con:
        stored = con.execute(f"select member_id, raw_value from {table}").fetchall()
    assert stored == [("m3", "2025-13-45 10:00:00")]


def test_models_built_with_different_vars_can_be_told_apart(workspace: Workspace) -> None:
    (workspace.membership_dir / "members_20250310.csv").write_text(GOOD_CSV, encoding="utf-8")
    for window, more in ((14, ", start_date: 2025-03-01"), (3, "")):
        result = workspace.run("--vars", f"{{conversion_window_days: {window}{more}}}",
                               "--select", "stg_membership__members", timeout=300, **ONLY_SELECTED)
        assert result.returncode == ExitCode.OK, explain(result)
    with duckdb.connect(str(workspace.duckdb_path), read_only=True) as con:
        rows = con.execute("select model_name, vars_json from analytics._build_metadata order by built_at").fetchall()
    assert [name for name, _ in rows] == ["stg_membership__members"] * 2
    recorded = [json.loads(text) for _, text in rows]
    assert [r["conversion_window_days"] for r in recorded] == [14, 3]
    assert recorded[0]["start_date"] == "2025-03-01", "a YAML date is recorded as ISO text"
    assert recorded[-1] == {**declared_vars(DBT_PROJECT_DIR), "conversion_window_days": 3, "ga4_enabled": False}


def test_every_declared_var_has_a_rule_and_its_default_fits_it() -> None:
    """build_vars() and check_vars() read the names from var_rules: every var needs one."""
    declared, rules = project_vars(DBT_PROJECT_DIR)
    assert set(rules) == set(declared)
