"""The meeting plan as iCalendar (RFC 5545): `slt-bot calendar` and `GET /calendar.ics`, subscribable from Outlook.

Written with the icalendar library (escaping, line folding at 75 octets, the VTIMEZONE from the zone database).
UIDs come from the series and the rule date, so an occurrence keeps its UID when a holiday or a coordinator
moves it, and calendar clients update the event instead of adding a new one; SEQUENCE counts the changes.
Cancelled occurrences (by a coordinator, or skipped for a holiday) stay in the feed with STATUS:CANCELLED so
subscribers see them go.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from bot.core.catalog import t
from bot.core.context import Context
from bot.municipality import Municipality, slug
from bot.yearly import YearlyTask

if TYPE_CHECKING:
    import icalendar

from handlers.planning.schedule import Occurrence, load_overrides, occurrences
from storage.meetings import override_revisions

# ASCII on purpose: some clients show a product id with UTF-8 in it badly.
PRODID = "-//SLT-assistenten//Moteplan//NO"


def _description(occurrence: Occurrence) -> str:
    series = occurrence.series
    description = series.description
    if occurrence.theme:
        description = f"{t('calendar.theme', theme=occurrence.theme)}\n{description}".strip()
    if occurrence.status != "planned":
        description = f"{t('calendar.cancelled', reason=occurrence.reason)}\n{description}".strip()
    elif occurrence.moved:
        moved = t("calendar.moved", date=occurrence.rule_date.isoformat(), reason=occurrence.reason)
        description = f"{moved}\n{description}".strip()
    if series.teams_url:
        description += "\n" + t("calendar.teams", url=series.teams_url)
    return description


def _event(municipality: Municipality, occurrence: Occurrence, stamp: dt.datetime, sequence: int) -> icalendar.Event:
    import icalendar

    series = occurrence.series
    event = icalendar.Event()
    event.add("uid", f"{series.id}-{occurrence.rule_date.isoformat()}@{slug(municipality.name)}.slt-assistenten")
    event.add("dtstamp", stamp)
    event.add("dtstart", occurrence.starts_at(municipality))
    event.add("dtend", occurrence.ends_at(municipality))
    event.add("summary", series.name + (f": {occurrence.theme}" if occurrence.theme else ""))
    event.add("status", "CONFIRMED" if occurrence.status == "planned" else "CANCELLED")
    event.add("sequence", sequence)
    if series.location:
        event.add("location", series.location)
    description = _description(occurrence)
    if description:
        event.add("description", description)
    if series.teams_url:
        event.add("url", series.teams_url)
    return event


def _task_event(
    municipality: Municipality, task: YearlyTask, year: int, span: tuple[dt.date, dt.date], stamp: dt.datetime
) -> icalendar.Event:
    """A task of the year wheel as an all-day event (over its month or weeks), free time in the calendar."""
    import icalendar

    event = icalendar.Event()
    # The task's year, not its first day's: ISO week 1 may start in December.
    event.add("uid", f"task-{task.id}-{year}@{slug(municipality.name)}.slt-assistenten")
    event.add("dtstamp", stamp)
    event.add("dtstart", span[0])
    event.add("dtend", span[1] + dt.timedelta(days=1))  # exclusive, as RFC 5545 has it for dates
    event.add("summary", t("calendar.task", name=task.name))
    event.add("transp", "TRANSPARENT")
    if task.who:
        event.add("description", t("calendar.task_who", who=task.who))
    return event


async def calendar_ics(ctx: Context, start: dt.date, end: dt.date) -> str:
    """Every occurrence of every series with its rule date in [start, end], as one iCalendar text."""
    municipality = ctx.municipality
    overrides = await load_overrides(ctx)
    async with ctx.db.session() as session:
        revisions = await override_revisions(session)
    # Imported here: the library (3 MiB) is needed only when someone asks for the calendar.
    import icalendar

    stamp = ctx.clock().astimezone(dt.UTC).replace(microsecond=0)
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", t("calendar.name", municipality=municipality.name))
    calendar.add("x-wr-timezone", municipality.timezone)
    for series in municipality.meetings:
        for occurrence in occurrences(municipality, series, start, end, overrides):
            sequence = revisions.get((series.id, occurrence.rule_date), 0)
            calendar.add_component(_event(municipality, occurrence, stamp, sequence))
    for year in range(start.year, end.year + 1):
        for task in municipality.yearly_tasks:
            span = task.span(year)
            if span is not None and start <= span[0] <= end:
                calendar.add_component(_task_event(municipality, task, year, span, stamp))
    # The zone's rules for whole years around the feed's span, so a meeting moved well outside it is still
    # covered and the block changes once a year, not every day.
    calendar.add_missing_timezones(first_date=dt.date(start.year - 1, 1, 1), last_date=dt.date(end.year + 2, 1, 1))
    return str(calendar.to_ical().decode("utf-8"))
