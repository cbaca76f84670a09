"""The meeting plan as iCalendar (RFC 5545): `slt-bot calendar` and `GET /calendar.ics`, subscribable from Outlook.

UIDs come from the series and the rule date, so an occurrence keeps its UID when a holiday or a coordinator
moves it, and calendar clients update the event instead of adding a new one. Cancelled occurrences (by a
coordinator, or skipped for a holiday) stay in the feed with STATUS:CANCELLED so subscribers see them go.
"""

from __future__ import annotations

import datetime as dt
import re

from bot.core.context import Context
from bot.municipality import Municipality
from handlers.planning.schedule import Occurrence, load_overrides, occurrences
from storage.meetings import override_revisions

PRODID = "-//SLT-assistenten//Møteplan//NO"


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Fold a content line at 75 octets (not characters: æøå are two bytes in UTF-8)."""
    out: list[str] = []
    current = ""
    for char in line:
        limit = 75 if not out else 74  # continuation lines start with a space
        if len((current + char).encode()) > limit:
            out.append(current)
            current = char
        else:
            current += char
    out.append(current)
    return "\r\n ".join(out)


def _local(moment: dt.datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.casefold().replace("æ", "ae").replace("ø", "o").replace("å", "a")).strip("-")


def _vtimezone(municipality: Municipality) -> list[str]:
    """The time zone with the EU daylight-saving rules (last Sunday of March and October), as Norway uses."""
    tz = municipality.tz
    winter = dt.datetime(2026, 1, 15, tzinfo=tz).utcoffset() or dt.timedelta()
    summer = dt.datetime(2026, 7, 15, tzinfo=tz).utcoffset() or dt.timedelta()

    def offset(delta: dt.timedelta) -> str:
        minutes = int(delta.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"

    lines = ["BEGIN:VTIMEZONE", f"TZID:{municipality.timezone}"]
    if winter == summer:
        return [
            *lines,
            "BEGIN:STANDARD",
            f"TZOFFSETFROM:{offset(winter)}",
            f"TZOFFSETTO:{offset(winter)}",
            "DTSTART:19700101T000000",
            "END:STANDARD",
            "END:VTIMEZONE",
        ]
    return [
        *lines,
        "BEGIN:DAYLIGHT",
        f"TZOFFSETFROM:{offset(winter)}",
        f"TZOFFSETTO:{offset(summer)}",
        "TZNAME:CEST",
        "DTSTART:19700329T020000",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
        "END:DAYLIGHT",
        "BEGIN:STANDARD",
        f"TZOFFSETFROM:{offset(summer)}",
        f"TZOFFSETTO:{offset(winter)}",
        "TZNAME:CET",
        "DTSTART:19701025T030000",
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
        "END:STANDARD",
        "END:VTIMEZONE",
    ]


def _event(municipality: Municipality, occurrence: Occurrence, stamp: str, sequence: int) -> list[str]:
    series = occurrence.series
    description = series.description
    if occurrence.theme:
        description = f"Tema: {occurrence.theme}\n{description}".strip()
    if occurrence.status != "planned":
        description = f"Avlyst ({occurrence.reason}).\n{description}".strip()
    elif occurrence.moved:
        description = f"Flyttet fra {occurrence.rule_date.isoformat()} ({occurrence.reason}).\n{description}".strip()
    if series.teams_url:
        description += f"\nTeams: {series.teams_url}"
    tzid = municipality.timezone
    lines = [
        "BEGIN:VEVENT",
        f"UID:{series.id}-{occurrence.rule_date.isoformat()}@{_slug(municipality.name)}.slt-assistenten",
        f"DTSTAMP:{stamp}",
        f"DTSTART;TZID={tzid}:{_local(occurrence.starts_at(municipality))}",
        f"DTEND;TZID={tzid}:{_local(occurrence.ends_at(municipality))}",
        f"SUMMARY:{_escape(series.name + (f': {occurrence.theme}' if occurrence.theme else ''))}",
        f"STATUS:{'CONFIRMED' if occurrence.status == 'planned' else 'CANCELLED'}",
        f"SEQUENCE:{sequence}",
    ]
    if series.location:
        lines.append(f"LOCATION:{_escape(series.location)}")
    if description:
        lines.append(f"DESCRIPTION:{_escape(description)}")
    if series.teams_url:
        lines.append(f"URL:{series.teams_url}")
    lines.append("END:VEVENT")
    return lines


async def calendar_ics(ctx: Context, start: dt.date, end: dt.date) -> str:
    """Every occurrence of every series with its rule date in [start, end], as one iCalendar text."""
    municipality = ctx.municipality
    overrides = await load_overrides(ctx)
    async with ctx.db.session() as session:
        revisions = await override_revisions(session)
    stamp = ctx.clock().astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape('SLT-møter ' + municipality.name)}",
        f"X-WR-TIMEZONE:{municipality.timezone}",
        *_vtimezone(municipality),
    ]
    for series in municipality.meetings:
        for occurrence in occurrences(municipality, series, start, end, overrides):
            sequence = revisions.get((series.id, occurrence.rule_date), 0)
            lines += _event(municipality, occurrence, stamp, sequence)
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)
