"""The docs blocks under dbt_project/models/docs/ read on their own.

`dbt docs` shows each block on the page of the column it describes, so a block cannot
lean on a legend kept elsewhere (a Jinja comment is stripped; another block is another
page). A block may write a compact formula with the lifecycle letters, but only after
saying in the same block what each letter it uses stands for. The KPI report shows a
metric block's first sentence as the chart's definition line, so that sentence must
be a definition of its own, short enough for one line.
"""

from __future__ import annotations

import re

import pytest

# The report's own reading of the blocks and of a first sentence: what it shows is what is checked.
from pipeline.report.definitions import first_sentence, read_docs_blocks

# What each letter stands for (docs/specification.md, "Member lifecycle" and "Periods
# and rows").
LETTERS = {
    "s": "the member's signup date",
    "fp": "the member's first payment date",
    "c": "the member's cancellation date",
    "ps": "the period's first day",
    "pe": "the period's last day",
    "k": "the months since the cohort's month",
}
# A letter used as a term: not part of a word, an identifier (`mau_28d`), a possessive
# ("GA4's") or a plural in brackets ("member(s)").
_LETTER = re.compile(r"(?<![\w'’`\-])(?<!\w\()(" + "|".join(sorted(LETTERS, key=len, reverse=True))
                     + r")(?![\w'’])")
FIRST_SENTENCE_MAX = 200
# BigQuery refuses a column description longer than this, and persist_docs writes
# every block used as a column description into the table's schema.
COLUMN_DESCRIPTION_MAX = 1024


def docs_blocks() -> dict[str, tuple[str, str, int]]:
    """block name -> (file name, text with white space collapsed, length as dbt renders it)."""
    return {name: (block.file, " ".join(block.body.split()), len(block.body.strip()))
            for name, block in read_docs_blocks().items()}


def letters_used(text: str) -> set[str]:
    return set(_LETTER.findall(text))


def letters_defined(text: str) -> set[str]:
    """Letters the text explains in words: "fp is the member's first payment date"."""
    return {letter for letter in LETTERS
            if re.search(rf"(?<![\w'’`\-]){letter} is (?:an? |the |their |its |this )?[a-z]+ \w+", text)}


BLOCKS = docs_blocks()


def test_the_docs_blocks_are_found() -> None:
    assert {"metric_signups", "metric_churn_rate", "metric_dau", "ga4_is_active"} <= set(BLOCKS)


@pytest.mark.parametrize("name", sorted(BLOCKS))
def test_every_letter_a_block_uses_is_defined_in_words_in_that_block(name: str) -> None:
    path, text, _ = BLOCKS[name]
    undefined = sorted(letters_used(text) - letters_defined(text))
    assert not undefined, (
        f"{path}, block {name}: uses {', '.join(undefined)} without saying in the block what "
        f"{'it stands' if len(undefined) == 1 else 'they stand'} for; add e.g. "
        + "; ".join(f'"{letter} is {LETTERS[letter]}"' for letter in undefined)
        + " (a legend elsewhere is not on the page dbt docs shows)")


@pytest.mark.parametrize("name", sorted(n for n in BLOCKS if n.startswith("metric_")))
def test_every_metric_block_starts_with_a_one_line_definition(name: str) -> None:
    path, text, _ = BLOCKS[name]
    sentence = first_sentence(text)
    assert sentence.endswith((".", "!", "?")) and len(sentence) <= FIRST_SENTENCE_MAX, (
        f"{path}, block {name}: the first sentence is the report's definition line and must "
        f"end within {FIRST_SENTENCE_MAX} characters ({len(sentence)} now): {sentence!r}")
    assert not letters_used(sentence), (
        f"{path}, block {name}: the first sentence uses {', '.join(sorted(letters_used(sentence)))}; "
        "say it in words (the report shows that sentence alone)")


@pytest.mark.parametrize("name", sorted(BLOCKS))
def test_every_block_fits_a_bigquery_column_description(name: str) -> None:
    path, _, length = BLOCKS[name]
    assert length <= COLUMN_DESCRIPTION_MAX, (
        f"{path}, block {name}: {length} characters; BigQuery takes at most "
        f"{COLUMN_DESCRIPTION_MAX} in a column description")


@pytest.mark.parametrize(("text", "used", "defined"), [
    ("ps <= s <= pe, where s is the member's signup date", {"ps", "s", "pe"}, {"s"}),
    ("the member's plan and GA4's user, `mau_28d`, member(s)", set(), set()),
    ("(c empty or c >= ps), where c is their cancellation date", {"c", "ps"}, {"c"}),
    ("k >= 0, where k is this number of months", {"k"}, {"k"}),
])
def test_letters_are_told_apart_from_words(text: str, used: set[str], defined: set[str]) -> None:
    assert letters_used(text) == used
    assert letters_defined(text) == defined
