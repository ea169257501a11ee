"""What a warehouse registered in membership_elt/targets.py still lacks elsewhere.

    python -m membership_elt.target_check [NAME ...]   # every registered target by default

A target is complete when it has, beside its entry in the registry:
- an output of the same name in dbt_project/profiles.yml whose defaults are the
  registry's (its marts schema or dataset and every variable of `environment_defaults`);
- a `<name>__<macro>` for every dispatched macro of dbt_project/macros/ whose
  `default__` refuses other adapters (the output's name is its adapter type);
- a loader sink (`SINKS` in loader/sinks/__init__.py);
- a reader of the marts and its quoting of a relation (`READERS`, `QUOTED_RELATIONS`
  in pipeline/warehouse.py).

Each missing part is one sentence saying where to add it; the tests run this over
the registered targets (nothing may be missing) and over a stub third one.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

from membership_elt.targets import TARGETS, Target

ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT = ROOT / "dbt_project"
_DEFAULT_MACRO = re.compile(r"\{%-?\s*macro\s+default__(\w+)\s*\((.*?)%\}(.*?)\{%-?\s*endmacro", re.S)


def dispatched_macros(project: Path = DBT_PROJECT) -> list[str]:
    """The macros whose default__ implementation refuses adapters without their own."""
    names = set()
    for path in (project / "macros").rglob("*.sql"):
        for match in _DEFAULT_MACRO.finditer(path.read_text(encoding="utf-8")):
            if "no_adapter_implementation(" in match.group(3):
                names.add(match.group(1))
    return sorted(names)


def _adapter_macros(project: Path, adapter: str) -> set[str]:
    pattern = re.compile(rf"\{{%-?\s*macro\s+{re.escape(adapter)}__(\w+)\s*\(")
    return {name for path in (project / "macros").rglob("*.sql")
            for name in pattern.findall(path.read_text(encoding="utf-8"))}


def _profile_problems(target: Target, project: Path) -> list[str]:
    profiles = yaml.safe_load((project / "profiles.yml").read_text(encoding="utf-8"))
    outputs = next(iter(profiles.values()))["outputs"]
    if target.name not in outputs:
        return [f"dbt_project/profiles.yml has no output {target.name!r}: add one (type {target.name})"]
    output = outputs[target.name]
    text = "\n".join(str(value) for value in output.values())
    found = []
    if target.marts_schema_env:
        if f"env_var('{target.marts_schema_env}', '{target.marts_schema}')" not in text:
            found.append(f"dbt_project/profiles.yml output {target.name!r} does not default its schema to "
                         f"env_var('{target.marts_schema_env}', '{target.marts_schema}') as the registry does")
    elif target.marts_schema not in (output.get("schema"), output.get("dataset")):
        found.append(f"dbt_project/profiles.yml output {target.name!r} builds in "
                     f"{output.get('schema') or output.get('dataset')!r}, the registry says {target.marts_schema!r}")
    for variable, default in target.environment_defaults.items():
        if variable == target.marts_schema_env:
            continue
        if not re.search(rf"env_var\('{variable}', '(\.\./)?{re.escape(default)}'\)", text):
            found.append(f"dbt_project/profiles.yml output {target.name!r} does not read ${variable} "
                         f"with the registry's default {default!r}")
    return found


def missing_parts(target: Target, project: Path = DBT_PROJECT) -> list[str]:
    """One sentence per part `target` lacks."""
    from loader.sinks import SINKS as sinks
    from pipeline.warehouse import QUOTED_RELATIONS as quoting
    from pipeline.warehouse import READERS as readers
    found = []
    if TARGETS.get(target.name) != target:
        found.append(f"membership_elt/targets.py does not register {target.name!r}: add it to TARGETS")
    found += _profile_problems(target, project)
    implemented = _adapter_macros(project, target.name)
    found += [f"dbt_project/macros/ has no {target.name}__{name} (the dispatched macro {name})"
              for name in dispatched_macros(project) if name not in implemented]
    if target.name not in sinks:
        found.append(f"loader/sinks/ has no sink for {target.name!r}: add loader/sinks/{target.name}.py "
                     "meeting loader.sinks.Sink and register it in SINKS")
    if target.name not in readers:
        found.append(f"pipeline/warehouse.py has no reader for {target.name!r}: add it to READERS")
    if target.name not in quoting:
        found.append(f"pipeline/warehouse.py does not quote a relation of {target.name!r}: add it to QUOTED_RELATIONS")
    return found


def main(argv: list[str]) -> int:
    names = argv or list(TARGETS)
    unknown = [name for name in names if name not in TARGETS]
    if unknown:
        print(f"not registered in membership_elt/targets.py: {', '.join(unknown)}", file=sys.stderr)
        return 2
    problems = {name: missing_parts(TARGETS[name]) for name in names}
    for name, found in problems.items():
        print(f"{name}: " + ("complete" if not found else f"{len(found)} missing"))
        for sentence in found:
            print(f"  - {sentence}")
    return 1 if any(problems.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
