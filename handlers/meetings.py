"""`møteplan`: the next occurrences of each meeting series, and the next meeting as an answer to a question."""

from __future__ import annotations

import datetime as dt

from bot.core.catalog import t
from bot.core.context import Context
from bot.core.messages import Facts, Inbound, Link, Part, Reply, Text
from bot.core.parts import norwegian_date, source_line
from bot.municipality import MeetingSeries, Municipality
from handlers.planning.agenda import agenda_lines
from handlers.planning.schedule import Occurrence, coming

SHOWN_PER_SERIES = 3


def describe(occurrence: Occurrence, municipality: Municipality) -> str:
    """'fredag 18. desember 2026 kl. 08:00-09:00 (flyttet fra 25. desember: første juledag)'."""
    series = occurrence.series
    text = t(
        "meetings.when",
        date=norwegian_date(occurrence.day, weekday=True),
        start=series.start.strftime("%H:%M"),
        end=series.end.strftime("%H:%M"),
    )
    if occurrence.moved:
        text += " " + t("meetings.moved", date=norwegian_date(occurrence.rule_date), reason=occurrence.reason.lower())
    if occurrence.theme:
        text += " " + t("meetings.theme", theme=occurrence.theme)
    return text


async def meeting_plan(inbound: Inbound, ctx: Context) -> list[Reply]:
    """The next few occurrences of every series, with place, link and source."""
    municipality = ctx.municipality
    parts: list[Part] = [Text(t("meetings.intro", municipality=municipality.name))]
    sources: list[str] = []
    for series in municipality.meetings:
        next_ones = await coming(ctx, series, SHOWN_PER_SERIES)
        items = [
            (t("meetings.next" if i == 0 else "meetings.then"), describe(o, municipality))
            for i, o in enumerate(next_ones)
        ]
        if not items:
            items = [(t("meetings.next"), t("meetings.none_planned"))]
        if series.location:
            items.append((t("meetings.where"), series.location))
        parts.append(Facts(title=series.name, items=tuple(items)))
        if next_ones:
            parts += await _agenda(ctx, series, next_ones[0].day)
        if series.teams_url:
            parts.append(Link(title=t("meetings.teams_link", name=series.name), url=series.teams_url))
        sources.append(series.source)
    parts += [source_line(municipality.routine(s)) for s in dict.fromkeys(sources)]
    return [Reply(parts=tuple(parts))]


async def _agenda(ctx: Context, series: MeetingSeries, day: dt.date) -> list[Part]:
    """The topics planned for this meeting, if the series takes topic suggestions."""
    if not series.takes_topics:
        return []
    planned = await agenda_lines(ctx, day)
    return [Text(t("meetings.agenda", topics="; ".join(planned)))] if planned else []


async def next_meeting_answer(ctx: Context, series: MeetingSeries) -> Reply:
    """The answer to 'when is the next ...?': date and time, place, link, description and source."""
    municipality = ctx.municipality
    next_ones = await coming(ctx, series, 2)
    if not next_ones:
        parts: list[Part] = [Text(t("meetings.next_none", name=series.name))]
    else:
        parts = [Text(t("meetings.next_is", name=series.name, when=describe(next_ones[0], municipality)))]
        parts += await _agenda(ctx, series, next_ones[0].day)
        if len(next_ones) > 1:
            parts.append(Text(t("meetings.after_that", when=describe(next_ones[1], municipality))))
    if series.location:
        parts.append(Text(t("meetings.where_is", where=series.location)))
    if series.teams_url:
        parts.append(Link(title=t("meetings.teams_link", name=series.name), url=series.teams_url))
    if series.description:
        parts.append(Text(series.description))
    parts.append(source_line(municipality.routine(series.source)))
    return Reply(parts=tuple(parts))


async def next_of_each(ctx: Context) -> list[tuple[str, str]]:
    """(series name, when) of the next meeting in every series that has one planned."""
    found = []
    for series in ctx.municipality.meetings:
        next_one = await coming(ctx, series, 1)
        if next_one:
            found.append((series.name, describe(next_one[0], ctx.municipality)))
    return found
