"""Questions about a municipality's own file: the hit rate on files the search was tuned on, and on one it never saw.

Every set was written blind, by someone who saw neither the code nor the other sets. tests/data/questions/held_out/
was written before the last round of tuning and is never tuned on: its rate is what a new municipality can
expect. Four rounds so far, each file held out until measured once, then a tuning set: Elvestad 81.3%,
Nordstraum (havnoy) 81.0%, Storhavn 84.2%, and the present held-out file 82.8% (163 questions). The tuning sets
reach 92-96%: what is left is paraphrase that shares no word with the entry, which word-based search cannot
bridge. The suite prints every rate.
"""

from __future__ import annotations

import pytest

from tests.conftest import REPORT
from tests.question_sets import QUESTIONS, Score, score


def _report(result: Score) -> None:
    REPORT.append(f"questions ({result.name}): {result.right}/{result.total} answered right ({result.rate:.1%})")


@pytest.mark.parametrize("name", ["tuning_fjordvik", "tuning_elvestad", "tuning_havnoy", "tuning_storhavn"])
def test_questions_about_the_files_the_search_was_tuned_on(name: str) -> None:
    result = score(QUESTIONS / f"{name}.yaml")
    _report(result)
    assert result.total >= 60
    assert result.rate >= 0.90, result.misses


def test_questions_about_a_file_the_search_never_saw() -> None:
    result = score(QUESTIONS / "held_out" / "questions.yaml")
    _report(result)
    rate, misses = result.rate, len(result.misses)  # only figures: the held-out questions are never shown
    assert result.total >= 60
    # The aim is 95%; lexical search reached 81-84% on each new blind file (see the module docstring).
    # This floor guards what it reaches against a regression.
    assert rate >= 0.80, f"{rate:.1%} on the held-out set ({misses} misses)"
