"""The one-line definition of each metric, read from the dbt docs blocks.

A metric is defined once, in a `{% docs metric_<name> %}` block under
dbt_project/models/docs/, and a mart column's description calls it
(`{{ doc('metric_<name>') }}`). The report shows the first sentence of the block the
column calls, so the page and `dbt docs` cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

MODELS_DIR = Path(__file__).resolve().parents[2] / "dbt_project" / "models"
DOCS_DIR = MODELS_DIR / "docs"
_DOC_CALL = re.compile(r"""{{\s*doc\(\s*['"](\w+)['"]\s*\)\s*}}""")

_BLOCK = re.compile(r"{%-?\s*docs\s+(\w+)\s*-?%}(.*?){%-?\s*enddocs\s*-?%}", re.DOTALL)
_JINJA_COMMENT = re.compile(r"{#.*?#}", re.DOTALL)
# A sentence ends at a full stop followed by white space and a capital letter or a
# backtick (the next sentence often starts with a column name), or at the end.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9`(])")


@dataclass(frozen=True)
class DocsBlock:
    """One `{% docs %}` block as written: its file's name and its body (Jinja comments removed)."""

    file: str
    body: str


def read_docs_blocks(docs_dir: Path = DOCS_DIR) -> dict[str, DocsBlock]:
    """Every docs block under `docs_dir` by name, as written."""
    blocks: dict[str, DocsBlock] = {}
    for path in sorted(docs_dir.glob("*.md")):
        text = _JINJA_COMMENT.sub("", path.read_text(encoding="utf-8"))
        for name, body in _BLOCK.findall(text):
            blocks[name] = DocsBlock(path.name, body)
    return blocks


def docs_blocks(docs_dir: Path = DOCS_DIR) -> dict[str, str]:
    """Every docs block under `docs_dir`: name -> text, white space collapsed."""
    return {name: " ".join(block.body.split()) for name, block in read_docs_blocks(docs_dir).items()}


def first_sentence(text: str) -> str:
    return _SENTENCE_END.split(text.strip(), maxsplit=1)[0]


def column_doc_names(models_dir: Path = MODELS_DIR) -> dict[tuple[str, str], str]:
    """(model, column) -> the docs block its description calls, from the models' yml."""
    names: dict[tuple[str, str], str] = {}
    for path in sorted(models_dir.rglob("*.yml")):
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for model in content.get("models") or []:
            for column in model.get("columns") or []:
                found = _DOC_CALL.search(str(column.get("description") or ""))
                if found:
                    names[(model["name"], column["name"])] = found.group(1)
    return names


def column_definitions(models_dir: Path = MODELS_DIR, docs_dir: Path = DOCS_DIR) -> dict[tuple[str, str], str]:
    """(model, column) -> the first sentence of the metric its description points at."""
    blocks = docs_blocks(docs_dir)
    return {key: first_sentence(blocks[name]) for key, name in column_doc_names(models_dir).items()
            if name in blocks}
