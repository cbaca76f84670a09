"""The year wheel's tasks in the municipality file (`yearly_tasks`), the SLT levels, and the bundled defaults.

A task happens once a year (or every few years, like Ungdata): in a month, on a date, or over a span of ISO weeks.
Without `yearly_tasks` in its file, a municipality gets the cycle most SLT models describe (bot/data/arshjul.yaml):
evidence, evaluation of last year's measures, the annual report, the action plan, budget input, workshops, the
oppvekstkonferanse and Ungdata.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BeforeValidator, Field, model_validator

from bot.core.catalog import t
from bot.core.validation import StrictModel, language_codes

DEFAULTS = Path(__file__).resolve().parent / "data" / "arshjul.yaml"
# The three SLT levels, outermost ring first: political/steering, coordinating, operational.
LEVELS = ("politisk", "koordinering", "operativ")
Level = Literal["politisk", "koordinering", "operativ"]
_WEEKS = re.compile(r"^\s*(\d{1,2})\s*-\s*(\d{1,2})\s*$")
_DAY = re.compile(r"^\s*(\d{1,2})-(\d{1,2})\s*$")


def level_of(meeting_id: str, name: str) -> Level:
    """The level a meeting belongs to when its file does not say: by the words in its id and name."""
    words = f"{meeting_id} {name}".casefold()
    if any(word in words for word in ("politirad", "politiråd", "styringsgruppe", "politisk")):
        return "politisk"
    if "koordinering" in words:
        return "koordinering"
    return "operativ"


class YearlyTask(StrictModel):
    """One task of the year wheel: what, at which level, when, who does it, and how early to remind."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")
    name: str
    level: Level = "koordinering"
    # Exactly one of: a month (1-12), a day ("MM-DD"), or ISO weeks ("4-12").
    month: Annotated[int, Field(ge=1, le=12)] | None = None
    date: str = ""
    weeks: str = ""
    # Every n-th year, counted from `first_year` (Ungdata: every third year).
    every_years: int = Field(default=1, ge=1, le=10)
    first_year: int | None = None
    who: str = ""
    # Days before the start when the coordinators are reminded; 0 for no reminder.
    reminder_days: int = Field(default=14, ge=0, le=120)
    translations: Annotated[dict[str, dict[Literal["name", "who"], str]], BeforeValidator(language_codes)] = Field(
        default_factory=dict
    )

    @model_validator(mode="after")
    def _one_rule(self) -> YearlyTask:
        given = [rule for rule in (self.month, self.date, self.weeks) if rule]
        if len(given) != 1:
            raise ValueError(t("yearly.one_rule", id=self.id))
        if self.date and not _valid_day(self.date):
            raise ValueError(t("yearly.bad_date", id=self.id, value=self.date))
        match = _WEEKS.match(self.weeks) if self.weeks else None
        if self.weeks and not (match and 1 <= int(match[1]) <= int(match[2]) <= 53):
            raise ValueError(t("yearly.bad_weeks", id=self.id, value=self.weeks))
        if self.every_years > 1 and self.first_year is None:
            raise ValueError(t("yearly.needs_first_year", id=self.id))
        return self

    def span(self, year: int) -> tuple[dt.date, dt.date] | None:
        """The first and last day of the task in a year, or None when it does not happen that year."""
        if self.first_year is not None and (year - self.first_year) % self.every_years:
            return None
        if self.month:
            return dt.date(year, self.month, 1), dt.date(year, self.month, calendar.monthrange(year, self.month)[1])
        if self.date:
            month, day = (int(part) for part in self.date.split("-"))
            day = min(day, calendar.monthrange(year, month)[1])
            return dt.date(year, month, day), dt.date(year, month, day)
        first, last = (int(part) for part in self.weeks.split("-"))
        last = min(last, dt.date(year, 12, 28).isocalendar().week)  # 28 December is always in the last week
        if first > last:
            return None  # "53-53" in a year of 52 weeks
        return dt.date.fromisocalendar(year, first, 1), dt.date.fromisocalendar(year, last, 7)


def _valid_day(value: str) -> bool:
    match = _DAY.match(value)
    if not match:
        return False
    month, day = int(match[1]), int(match[2])
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(2024, month)[1]


def unique_ids(tasks: tuple[YearlyTask, ...]) -> tuple[YearlyTask, ...]:
    """Refuse two tasks with one id (they would share a reminder and a calendar entry)."""
    seen: set[str] = set()
    for index, task in enumerate(tasks):
        if task.id in seen:
            raise ValueError(t("municipality.duplicate_id", field=f"yearly_tasks[{index}].id", id=task.id))
        seen.add(task.id)
    return tasks


@cache
def default_tasks() -> tuple[YearlyTask, ...]:
    """The bundled year wheel (read once)."""
    data = yaml.safe_load(DEFAULTS.read_text(encoding="utf-8"))
    return tuple(YearlyTask.model_validate(item) for item in data["yearly_tasks"])
