"""When meetings happen: each series' dates by its rule, moved or skipped for holidays, and coordinators' changes.

An occurrence is identified by its rule date (the date the rule gives before any move), so a holiday move or a
coordinator's move never changes which meeting it is: calendar UIDs and reminder keys stay stable.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

from bot.core.catalog import t
from bot.core.context import Context
from bot.municipality import MeetingSeries, Municipality
from handlers.planning.public_holidays import public_holidays
from storage.meetings import list_overrides

# (series id, rule date) -> ("cancel", None) or ("move", new date)
Overrides = Mapping[tuple[str, dt.date], tuple[str, dt.date | None]]
NO_OVERRIDES: Overrides = {}

# How far a meeting may be moved to find a working day before it is skipped instead.
MAX_MOVE_DAYS = 10


@dataclass(frozen=True)
class Occurrence:
    """One meeting of a series on one day; `rule_date` is where the rule put it before any move."""

    series: MeetingSeries
    day: dt.date
    rule_date: dt.date
    status: Literal["planned", "skipped", "cancelled"]
    reason: str = ""
    theme: str = ""

    @property
    def moved(self) -> bool:
        """Whether a holiday moved this meeting off its rule date."""
        return self.status == "planned" and self.day != self.rule_date

    def starts_at(self, municipality: Municipality) -> dt.datetime:
        """The start as an aware datetime in the municipality's time zone."""
        return dt.datetime.combine(self.day, self.series.start, tzinfo=municipality.tz)

    def ends_at(self, municipality: Municipality) -> dt.datetime:
        """The end as an aware datetime in the municipality's time zone."""
        return dt.datetime.combine(self.day, self.series.end, tzinfo=municipality.tz)


def closed_reason(municipality: Municipality, series: MeetingSeries, day: dt.date) -> str:
    """Why no meeting of this series can be held on `day` (weekend, public or school holiday), or ''."""
    holiday = public_holidays(day.year).get(day)
    if holiday:
        return holiday
    if day.weekday() >= 5:
        return "helg"
    if series.avoid_school_holidays:
        for period in municipality.school_holidays:
            if period.start <= day <= period.end:
                return period.name.lower()
    return ""


def rule_date(series: MeetingSeries, year: int, month: int) -> dt.date | None:
    """The date a weekday rule gives in one month (e.g. the last Friday), or None if the month has none."""
    weekday, week = series.schedule.weekday, series.schedule.week
    if weekday is None or week is None:
        return None
    days = [
        day
        for day in calendar.Calendar().itermonthdates(year, month)
        if day.month == month and day.weekday() == weekday
    ]
    if week == -1:
        return days[-1]
    return days[week - 1] if week <= len(days) else None


def _place(municipality: Municipality, series: MeetingSeries, day: dt.date) -> Occurrence:
    """Apply the series' holiday rule to one rule date."""
    reason = closed_reason(municipality, series, day)
    theme = series.themes.get(day, "")
    if not reason or series.schedule.dates:
        # Explicit dates were chosen by people, so they are kept as written.
        return Occurrence(series, day, day, "planned", theme=theme)
    if series.on_holiday != "skip":
        step = dt.timedelta(days=-1 if series.on_holiday == "previous" else 1)
        candidate = day
        for _ in range(MAX_MOVE_DAYS):
            candidate += step
            if not closed_reason(municipality, series, candidate):
                return Occurrence(series, candidate, day, "planned", reason=reason, theme=theme)
    return Occurrence(series, day, day, "skipped", reason=reason, theme=theme)


def _apply(occurrence: Occurrence, overrides: Overrides) -> Occurrence:
    change = overrides.get((occurrence.series.id, occurrence.rule_date))
    if change is None:
        return occurrence
    action, new_date = change
    if action == "cancel":
        return replace(occurrence, status="cancelled", reason=t("schedule.cancelled"))
    assert new_date is not None
    return replace(occurrence, day=new_date, status="planned", reason=t("schedule.moved_by_coordinator"))


def occurrences(
    municipality: Municipality,
    series: MeetingSeries,
    start: dt.date,
    end: dt.date,
    overrides: Overrides = NO_OVERRIDES,
) -> list[Occurrence]:
    """Every occurrence of a series whose rule date lies in [start, end], skipped and cancelled ones included."""
    found: list[Occurrence] = []
    if series.schedule.dates:
        found = [_place(municipality, series, d) for d in series.schedule.dates if start <= d <= end]
    else:
        year, month = start.year, start.month
        while (year, month) <= (end.year, end.month):
            day = rule_date(series, year, month)
            if day is not None and start <= day <= end and month in series.schedule.months:
                if month in series.skip_months:
                    found.append(Occurrence(series, day, day, "skipped", reason=t("schedule.no_meeting_this_month")))
                else:
                    found.append(_place(municipality, series, day))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return sorted((_apply(o, overrides) for o in found), key=lambda o: o.day)


def upcoming(
    municipality: Municipality,
    series: MeetingSeries,
    now: dt.datetime,
    count: int,
    horizon_days: int = 400,
    overrides: Overrides = NO_OVERRIDES,
) -> list[Occurrence]:
    """The next `count` planned occurrences of a series that have not ended yet at `now`."""
    local_now = now.astimezone(municipality.tz)
    # Start a little early: a meeting moved forward from next month's rule date still counts.
    # A coordinator may move a meeting by more than a holiday would, so look a month back for rule dates.
    window = occurrences(
        municipality,
        series,
        local_now.date() - dt.timedelta(days=31),
        local_now.date() + dt.timedelta(days=horizon_days),
        overrides,
    )
    planned = [o for o in window if o.status == "planned" and o.ends_at(municipality) > local_now]
    return planned[:count]


async def load_overrides(ctx: Context) -> Overrides:
    """The coordinators' cancellations and moves, as the schedule functions take them."""
    async with ctx.db.session() as session:
        rows = await list_overrides(session)
    return {(row.series_id, row.rule_date): (row.action, row.new_date) for row in rows}


async def coming(ctx: Context, series: MeetingSeries, count: int) -> list[Occurrence]:
    """The next planned occurrences of a series, with the coordinators' changes applied."""
    return upcoming(ctx.municipality, series, ctx.clock(), count, overrides=await load_overrides(ctx))
