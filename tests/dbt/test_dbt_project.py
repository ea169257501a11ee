"""The dbt project as analysts use it: `dbt docs generate` works offline and documents
every model and every column, and sqlfluff finds nothing to fix.

(The columns the built models really have are checked against the manifest in
tests/end_to_end/test_end_to_end.py, which has a built warehouse to read dbt's catalog from.)
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT = ROOT / "dbt_project"
BIN = Path(sys.executable).parent
UNREACHABLE = "http://127.0.0.1:9"  # the discard port: any attempt to go online fails


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "BQ_"))}
    env.update({
        "DUCKDB_PATH": str(tmp / "warehouse.duckdb"),
        "DBT_TARGET_PATH": str(tmp / "dbt_target"),
        "DBT_LOG_PATH": str(tmp / "dbt_logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "HTTP_PROXY": UNREACHABLE, "HTTPS_PROXY": UNREACHABLE, "ALL_PROXY": UNREACHABLE,
        "http_proxy": UNREACHABLE, "https_proxy": UNREACHABLE, "all_proxy": UNREACHABLE,
        "NO_PROXY": "", "no_proxy": "",
    })
    return env


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`dbt docs generate` run the analysts' way (inside dbt_project/, no profile
    created by hand), with every proxy pointing nowhere."""
    tmp = tmp_path_factory.mktemp("docs")
    result = subprocess.run([str(BIN / "dbt"), "docs", "generate"], cwd=DBT_PROJECT, env=_env(tmp),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-3000:]
    return tmp / "dbt_target"


def test_docs_generate_offline_writes_the_site(docs: Path) -> None:
    for name in ("index.html", "manifest.json", "catalog.json"):
        assert (docs / name).stat().st_size > 0, name


def test_the_report_definitions_are_the_first_sentences_dbt_renders(docs: Path) -> None:
    """The report finds the docs block of each column by reading the yml itself
    (pipeline/report/definitions.py); dbt resolves the same `doc()` calls its own way.
    Every definition line the report shows is the first sentence of what dbt renders."""
    from pipeline.report.definitions import column_definitions, first_sentence

    manifest = json.loads((docs / "manifest.json").read_text(encoding="utf-8"))
    # The report draws marts only; an intermediate column may say more before its doc() call.
    marts = [node for node in _our_models(manifest) if node["original_file_path"].startswith("models/marts/")]
    rendered = {(node["name"], column): " ".join(spec["description"].split())
                for node in marts for column, spec in node["columns"].items()}
    definitions = {key: line for key, line in column_definitions().items()
                   if key[0] in {node["name"] for node in marts}}
    assert ("fct_kpis_monthly", "churn_rate") in definitions, sorted(definitions)[:10]
    wrong = {f"{model}.{column}": (line, first_sentence(rendered.get((model, column), "")))
             for (model, column), line in definitions.items()
             if first_sentence(rendered.get((model, column), "")) != line}
    assert not wrong, f"the report's definition differs from dbt's rendering (report, dbt): {wrong}"


def _our_models(manifest: dict) -> list[dict]:
    models = [n for n in manifest["nodes"].values()
              if n["resource_type"] == "model" and n["package_name"] == manifest["metadata"].get("project_name",
                                                                                               "membership_analytics")]
    assert models, "the manifest holds no model of this project"
    return models


def test_every_model_and_column_is_described(docs: Path) -> None:
    manifest = json.loads((docs / "manifest.json").read_text())
    missing = []
    for model in _our_models(manifest):
        if not model["description"].strip():
            missing.append(f"model {model['name']}")
        missing += [f"column {model['name']}.{name}" for name, column in model["columns"].items()
                    if not column["description"].strip()]
    assert not missing, "without a description: " + ", ".join(missing)


def test_every_mart_lists_its_columns_under_a_contract(docs: Path) -> None:
    """Model contracts on the marts, so the documented columns are the
    columns: a mart cannot gain or lose one without its YAML (and docs) changing."""
    manifest = json.loads((docs / "manifest.json").read_text())
    marts = [m for m in _our_models(manifest) if m["name"].startswith(("fct_", "dim_"))]
    expected = {"dim_members", "fct_kpis_weekly", "fct_kpis_monthly",
                "fct_retention_cohorts_monthly", "fct_ga4__active_users_daily"}
    assert expected <= {m["name"] for m in marts}
    for mart in marts:
        assert mart["contract"]["enforced"], f"{mart['name']} has no enforced contract"
        assert mart["columns"], f"{mart['name']} lists no columns"


def test_both_kpi_marts_show_the_same_definitions(docs: Path) -> None:
    """fct_kpis_weekly and fct_kpis_monthly are described once (models/marts/fct_kpis.yml):
    every column but the key has the same rendered description, data type and tests on
    both marts."""
    manifest = json.loads((docs / "manifest.json").read_text())
    weekly, monthly = (manifest["nodes"][f"model.membership_analytics.{name}"]
                       for name in ("fct_kpis_weekly", "fct_kpis_monthly"))
    shared = [c for c in weekly["columns"] if c != "week_start"]
    assert shared == [c for c in monthly["columns"] if c != "month_start"]
    for column in shared:
        w, m = weekly["columns"][column], monthly["columns"][column]
        assert w["description"].strip() and "{{" not in w["description"], column
        assert (w["description"], w["data_type"]) == (m["description"], m["data_type"]), column

    def tests(model: str) -> set[tuple[str, str]]:
        return {(n["test_metadata"]["name"], n.get("column_name") or "")
                for n in manifest["nodes"].values()
                if n["resource_type"] == "test" and "test_metadata" in n
                and n["depends_on"]["nodes"] == [f"model.membership_analytics.{model}"]}

    assert {t for t in tests("fct_kpis_weekly") if t[1] != "week_start"} == \
        {t for t in tests("fct_kpis_monthly") if t[1] != "month_start"}


def _without_jinja(text: str) -> str:
    """The text without its Jinja tags; innermost first, since a config may hold a
    hook as `"{{ ... }}"` inside its own `{{ ... }}`."""
    text = re.sub(r"\{%.*?%\}", "", text, flags=re.S)
    innermost = re.compile(r"\{\{(?:(?!\{\{|\}\}).)*\}\}", re.S)
    while True:
        stripped = innermost.sub("", text)
        if stripped == text:
            return text
        text = stripped


def _sql_lines(path: Path) -> list[str]:
    """The model's lines with Jinja comments, config calls and set blocks blanked out
    (kept as empty lines, so line numbers stay those of the file)."""
    text = path.read_text()
    for pattern in (r"\{#.*?#\}", r"\{%-?\s*set\b.*?%\}"):
        text = re.sub(pattern, lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    return _without_config_call(text).split("\n")


def _without_config_call(text: str) -> str:
    """`{{ config(...) }}` blanked, its brackets matched: a hook inside it may hold `) }}`."""
    start = re.search(r"\{\{-?\s*config\(", text)
    if not start:
        return text
    depth, end = 0, len(text)
    for index in range(start.end() - 1, len(text)):
        depth += {"(": 1, ")": -1}.get(text[index], 0)
        if depth == 0:
            end = text.index("}}", index) + 2
            break
    return text[:start.start()] + "\n" * text[start.start():end].count("\n") + text[end:]


def test_every_model_is_laid_out_in_spaced_ctes() -> None:
    """jaffle-shop's layout where sqlfluff has no rule for it: `with` alone on the first
    SQL line, and a blank line after each CTE's opening bracket and before its closing
    one. (Blank lines after each CTE and the final `select * from <cte>` are sqlfluff's
    LT08 and CV13.)"""
    problems = []
    for path in sorted((DBT_PROJECT / "models").rglob("*.sql")):
        lines = _sql_lines(path)
        name = path.relative_to(DBT_PROJECT)
        # Before the first CTE a model holds only Jinja (comments, config, sets, checks).
        sql_only = _without_jinja("\n".join(lines))
        code = [line for line in sql_only.split("\n") if line.strip()]
        if not code or code[0].strip() != "with":
            problems.append(f"{name}: the first SQL line must be `with` alone")
        for i, line in enumerate(lines):
            if re.fullmatch(r"[a-z_][a-z0-9_]* as \(", line) and (i + 1 >= len(lines) or lines[i + 1].strip()):
                problems.append(f"{name}:{i + 1}: a blank line must follow `{line}`")
            if re.fullmatch(r"\),?", line) and (i == 0 or lines[i - 1].strip()):
                problems.append(f"{name}:{i + 1}: a blank line must precede the CTE's closing bracket")
    assert not problems, "\n".join(problems)


def test_every_default_dispatch_macro_refuses_other_adapters() -> None:
    """A `default__` macro is what an adapter without its own implementation gets, so it
    must raise (no_adapter_implementation) rather than hold one dialect's SQL."""
    offenders = []
    for path in sorted((DBT_PROJECT / "macros").rglob("*.sql")):
        text = path.read_text()
        for match in re.finditer(r"\{%-?\s*macro\s+default__(\w+)\(.*?%\}(.*?)\{%-?\s*endmacro", text, re.S):
            name, body = match.group(1), match.group(2)
            if body.strip() != f"{{{{ no_adapter_implementation('{name}') }}}}":
                offenders.append(f"{path.relative_to(DBT_PROJECT)}: default__{name}")
    assert not offenders, "default__ macros holding SQL: " + ", ".join(offenders)
