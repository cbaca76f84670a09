"""Scoring a question set (tests/data/questions/*.yaml) against its municipality file, as the bot answers it.

A question is answered right when the bot shows an expected contact, routine or meeting (first, or beside a
close second), says it has no answer where none is expected, and gives the emergency numbers first exactly
when the question reports acute danger.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.municipality import Municipality, load_municipality
from handlers.questions import answers
from handlers.safety import is_acute
from handlers.search.terms import intent_of

QUESTIONS = Path(__file__).resolve().parent / "data" / "questions"


@dataclass
class Score:
    """How a question set went."""

    name: str
    right: int = 0
    misses: list[tuple[str, list[str], list[str]]] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Questions asked."""
        return self.right + len(self.misses)

    @property
    def rate(self) -> float:
        """Share answered right."""
        return self.right / self.total


def shown(municipality: Municipality, question: str) -> list[str]:
    """The ids of what the bot's answer shows (the meeting plan stands for every meeting when a date is asked)."""
    ids = []
    for hit in answers(municipality, question):
        item = hit.entry.item
        ids.append(item.id)
        if "meeting" in intent_of(question) and any(series.source == item.id for series in municipality.meetings):
            ids += [series.id for series in municipality.meetings if series.source == item.id]
    if is_acute(question):
        vakt = municipality.role_contact("barnevernvakt")
        ids += [vakt.id] if vakt is not None and vakt.phone else []
    return ids


def score(questions_file: Path) -> Score:
    """Ask every question of a set and count the right answers."""
    data: dict[str, Any] = yaml.safe_load(questions_file.read_text(encoding="utf-8"))
    municipality = load_municipality(questions_file.parent / data["municipality"])
    result = Score(questions_file.stem)
    for case in data["questions"]:
        question, expected, acute = case["q"], list(case.get("expect") or []), bool(case.get("acute"))
        got = shown(municipality, question)
        answered = [i for i in got if not (acute and i == _vakt_id(municipality))]
        # Where nothing is expected, nothing may be shown (an acute question may still show the barnevernvakt).
        ok = bool(set(got) & set(expected)) if expected else not answered or acute
        ok = ok and is_acute(question) == acute
        if ok:
            result.right += 1
        else:
            result.misses.append((question, expected, got + (["ACUTE"] if is_acute(question) else [])))
    return result


def _vakt_id(municipality: Municipality) -> str:
    vakt = municipality.role_contact("barnevernvakt")
    return vakt.id if vakt is not None else ""
