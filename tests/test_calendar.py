"""The meeting calendar (RFC 5545): parses, has the time zone, stable UIDs, cancelled occurrences, and is served."""

from __future__ import annotations

import datetime as dt

import icalendar
from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_web_app
from bot.core.bot import Bot
from bot.core.content import Content
from handlers.planning.calendar import calendar_ics
from tests.conversation import Conversation


async def _events(bot: Bot, start: str = "2026-11-01", end: str = "2027-12-31") -> dict[str, icalendar.Event]:
    text = await calendar_ics(bot.context, dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    calendar = icalendar.Calendar.from_ical(text)
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Europe/Oslo"
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


async def test_calendar_has_every_occurrence_with_local_times(bot: Bot) -> None:
    events = await _events(bot)
    christmas = events["frokostmote-2026-12-25@eksempel-kommune.slt-assistenten"]
    assert christmas.decoded("DTSTART") == dt.datetime(2026, 12, 18, 8, 0, tzinfo=christmas.decoded("DTSTART").tzinfo)
    assert str(christmas.decoded("DTSTART").tzinfo) in ("Europe/Oslo", "CET")
    assert christmas["STATUS"] == "CONFIRMED"
    assert "Flyttet fra 2026-12-25" in str(christmas["DESCRIPTION"])
    assert str(christmas["URL"]).endswith("eksempel-kommune-slt-frokost")
    summer = events["frokostmote-2027-06-25@eksempel-kommune.slt-assistenten"]
    assert summer.decoded("DTSTART").utcoffset() == dt.timedelta(hours=2)  # CEST
    seminar = events["frokostseminar-2027-02-05@eksempel-kommune.slt-assistenten"]
    assert "Taushetsplikt i tverrfaglig samhandling" in str(seminar["SUMMARY"])


async def test_skipped_and_cancelled_occurrences_are_cancelled_events(bot: Bot, coordinator: Conversation) -> None:
    await coordinator.say("avlys")
    await coordinator.say("1")  # cancel 27 November
    events = await _events(bot)
    cancelled = events["frokostmote-2026-11-27@eksempel-kommune.slt-assistenten"]
    assert cancelled["STATUS"] == "CANCELLED" and int(cancelled["SEQUENCE"]) == 1
    july = events["frokostmote-2027-07-30@eksempel-kommune.slt-assistenten"]
    assert july["STATUS"] == "CANCELLED"


async def test_uids_are_stable_when_a_meeting_moves(bot: Bot, coordinator: Conversation) -> None:
    import io

    before = set(await _events(bot))
    coordinator.channel.stdin = io.StringIO("1\n2026-12-04\n")
    await coordinator.say("flytt")
    after = await _events(bot)
    assert set(after) == before
    moved = after["frokostmote-2026-11-27@eksempel-kommune.slt-assistenten"]
    assert moved.decoded("DTSTART").date() == dt.date(2026, 12, 4) and int(moved["SEQUENCE"]) == 1


async def test_folding_counts_bytes_not_characters(bot: Bot) -> None:
    import dataclasses

    municipality = bot.municipality
    long = municipality.meetings[0].model_copy(update={"description": "æøå" * 60})
    changed = municipality.model_copy(update={"meetings": (long, *municipality.meetings[1:])})
    ctx = dataclasses.replace(bot.context, content=Content(changed))
    text = await calendar_ics(ctx, dt.date(2026, 11, 1), dt.date(2026, 12, 31))
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    events = icalendar.Calendar.from_ical(text).walk("VEVENT")
    assert any("æøå" * 60 in str(event["DESCRIPTION"]) for event in events)


async def test_calendar_is_served_for_subscription(bot: Bot) -> None:
    async with TestClient(TestServer(build_web_app(bot))) as client:
        response = await client.get("/calendar.ics")
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/calendar")
        body = await response.text()
    assert body.startswith("BEGIN:VCALENDAR\r\n") and "SLT-frokostmøte" in body


async def test_every_change_of_an_occurrence_raises_its_sequence(bot: Bot) -> None:
    from storage.meetings import set_override

    rule_date = dt.date(2026, 11, 27)
    for expected, (action, new_date) in enumerate(
        [("move", dt.date(2026, 12, 4)), ("move", dt.date(2026, 12, 3)), ("cancel", None)], start=1
    ):
        async with bot.db.session() as session:
            await set_override(
                session,
                series_id="frokostmote",
                rule_date=rule_date,
                action=action,
                new_date=new_date,
                now=bot.context.clock(),
            )
        event = (await _events(bot))["frokostmote-2026-11-27@eksempel-kommune.slt-assistenten"]
        assert int(event["SEQUENCE"]) == expected  # a subscriber's client only applies a higher SEQUENCE
