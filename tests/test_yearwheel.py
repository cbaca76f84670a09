"""The year wheel (årshjul): the SVG parsed and checked, the PNG, the list by month, calendar and reminders."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import icalendar
import jsonschema
import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_bot, build_web_app
from bot.channels.slack.render import blocks_for
from bot.channels.teams.render import card
from bot.config import BUNDLED_MUNICIPALITY, Settings, SettingsError
from bot.core.bot import Bot
from bot.core.messages import Image
from bot.municipality import MunicipalityError, load_municipality
from handlers.planning.calendar import calendar_ics
from handlers.planning.yearwheel import remind_tasks, wheel_svg, year_items
from storage.outbox import pending_for
from tests.conftest import FROZEN_NOW, FrozenClock
from tests.conversation import Conversation

SVG = "{http://www.w3.org/2000/svg}"
CARD_SCHEMA = Path(__file__).parent / "data" / "adaptive-card-1.5.json"


def _classes(element: ET.Element) -> set[str]:
    return set(element.get("class", "").split())


async def test_the_wheel_has_twelve_months_a_mark_per_meeting_and_task_and_today(bot: Bot) -> None:
    root = ET.fromstring(await wheel_svg(bot.context))  # 2026, the year of the frozen clock (22 November)
    elements = list(root.iter())
    months = [e for e in elements if e.tag == f"{SVG}path" and "month" in _classes(e)]
    assert sorted(int(e.get("data-month", "0")) for e in months) == list(range(1, 13))
    marks = [e for e in elements if "mark" in _classes(e)]
    items = await year_items(bot.context, 2026)
    assert len(marks) == len(items) > 20
    meetings = [e for e in marks if e.get("data-kind") == "meeting"]
    tasks = [e for e in marks if e.get("data-kind") == "task"]
    assert len(meetings) == sum(1 for i in items if i.kind == "meeting")
    assert len(tasks) == sum(1 for i in items if i.kind == "task") >= 8  # the default cycle, without Ungdata in 2026
    # Every mark tells what it is, for a screen reader or a hover; rings are the three levels.
    assert all(mark.find(f"{SVG}title") is not None for mark in marks)
    assert {e.get("data-level") for e in marks} == {"politisk", "koordinering", "operativ"}
    politiraad = [e for e in meetings if "Politirådet" in (e.findtext(f"{SVG}title") or "")]
    assert politiraad and all(e.get("data-level") == "politisk" for e in politiraad)
    (today,) = [e for e in elements if e.get("id") == "today"]
    assert today.get("data-date") == "2026-11-22"
    # Another year: no today mark, and Ungdata (every third year from 2027) is there.
    other = ET.fromstring(await wheel_svg(bot.context, 2027))
    assert not [e for e in other.iter() if e.get("id") == "today"]
    assert any("Ungdata" in (e.findtext(f"{SVG}title") or "") for e in other.iter())


async def test_arshjul_answers_with_the_list_by_month_and_the_picture(database_url: str) -> None:
    settings = Settings(database_url=database_url, public_url="https://slt.example.no")
    bot = build_bot(settings, clock=FrozenClock(FROZEN_NOW))
    await bot.start()
    try:
        person = Conversation(bot, user="ansatt")
        reply = await person.say("årshjul")
        assert "Årshjul for SLT i Eksempel kommune 2026" in reply
        assert "Mars: " in reply and "Årsrapport til politirådet (hele måneden, SLT-koordinator)" in reply
        assert "https://slt.example.no/arshjul.png?year=2026&d=2026-11-22" in reply
        assert "Ungdata-undersøkelsen" in await person.say("årshjul 2027")
        assert "«20277» er ikke et årstall" in await person.say("årshjul 20277")
        # In Slack an image block, in Teams an Image in a valid Adaptive Card.
        replies = await bot.handle(replace(person.channel.inbound("årshjul")))
        parts = replies[0].parts
        assert any(
            b["type"] == "image" and b["image_url"].startswith("https://slt.example.no/") for b in blocks_for(parts)
        )
        adaptive = card(parts)
        jsonschema.Draft6Validator(yaml.safe_load(CARD_SCHEMA.read_text(encoding="utf-8"))).validate(adaptive)
        assert any(element["type"] == "Image" and element["altText"] for element in adaptive["body"])
        assert any(isinstance(part, Image) and "2026" in part.alt for part in parts)
    finally:
        await bot.close()


async def test_without_a_public_address_the_list_only(bot: Bot) -> None:
    reply = await Conversation(bot, user="ansatt").say("årshjul")
    assert "Januar: " in reply and "arshjul.png" not in reply


async def test_the_wheel_is_served_as_svg_and_png(bot: Bot) -> None:
    async with TestClient(TestServer(build_web_app(bot))) as client:
        svg = await client.get("/arshjul.svg")
        assert svg.status == 200 and svg.headers["Content-Type"].startswith("image/svg+xml")
        assert ET.fromstring(await svg.text()).tag == f"{SVG}svg"
        png = await client.get("/arshjul.png?year=2027")
        assert png.status == 200 and png.headers["Content-Type"] == "image/png"
        assert (await png.read()).startswith(b"\x89PNG\r\n\x1a\n")
        assert (await client.get("/arshjul.svg?year=abc")).status == 404
        assert (await client.get("/arshjul.svg?year=99999")).status == 404


async def test_tasks_are_in_the_calendar_as_all_day_events(bot: Bot) -> None:
    text = await calendar_ics(bot.context, dt.date(2027, 1, 1), dt.date(2027, 12, 31))
    events = {str(e["UID"]): e for e in icalendar.Calendar.from_ical(text).walk("VEVENT")}
    report = events["task-arsrapport-2027@eksempel-kommune.slt-assistenten"]
    assert report.decoded("DTSTART") == dt.date(2027, 3, 1) and report.decoded("DTEND") == dt.date(2027, 4, 1)
    assert "Årsrapport til politirådet" in str(report["SUMMARY"])
    ungdata = events["task-ungdata-2027@eksempel-kommune.slt-assistenten"]
    assert ungdata.decoded("DTSTART") == dt.date(2027, 1, 25)  # Monday of ISO week 4


async def test_the_coordinators_are_reminded_of_a_task_once(bot: Bot, clock: FrozenClock) -> None:
    clock.advance(days=79)  # 9 February 2027: three weeks before the annual report (March)
    assert await remind_tasks(bot.context) >= 1
    assert await remind_tasks(bot.context) == 0  # again (a restart, a second replica): nothing new
    async with bot.db.session() as session:
        texts = [str(m.payload) for m in await pending_for(session, target="console:koordinator")]
    assert sum("Årsrapport til politirådet" in text for text in texts) == 1


@pytest.fixture
def wheel_file(tmp_path: Path) -> Path:
    data = yaml.safe_load(BUNDLED_MUNICIPALITY.read_text(encoding="utf-8"))
    data["yearly_tasks"] = [
        {"id": "budsjett", "name": "Budsjettinnspill", "level": "politisk", "date": "05-15", "reminder_days": 0},
        {
            "id": "ungdata",
            "name": "Ungdata",
            "level": "operativ",
            "weeks": "4-12",
            "every_years": 3,
            "first_year": 2026,
        },
    ]
    path = tmp_path / "kommune.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
async def own_wheel(database_url: str, wheel_file: Path) -> AsyncIterator[Bot]:
    bot = build_bot(Settings(database_url=database_url, municipality_path=wheel_file), clock=FrozenClock(FROZEN_NOW))
    await bot.start()
    yield bot
    await bot.close()


async def test_a_municipality_sets_its_own_tasks(own_wheel: Bot) -> None:
    tasks = [i for i in await year_items(own_wheel.context, 2026) if i.kind == "task"]
    assert [(i.name, i.start, i.end) for i in tasks] == [
        ("Ungdata", dt.date(2026, 1, 19), dt.date(2026, 3, 22)),
        ("Budsjettinnspill", dt.date(2026, 5, 15), dt.date(2026, 5, 15)),
    ]
    assert not [i for i in await year_items(own_wheel.context, 2027) if i.name == "Ungdata"]


def test_a_task_needs_exactly_one_rule(tmp_path: Path) -> None:
    data = yaml.safe_load(BUNDLED_MUNICIPALITY.read_text(encoding="utf-8"))
    data["yearly_tasks"] = [{"id": "x", "name": "X", "month": 3, "weeks": "4-12"}]
    path = tmp_path / "kommune.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(MunicipalityError, match="nøyaktig én av month"):
        load_municipality(path)


def test_a_public_address_must_be_a_web_address() -> None:
    with pytest.raises(SettingsError, match="SLT_PUBLIC_URL"):
        Settings(public_url="javascript:alert(1)")


def _with_tasks(tmp_path: Path, tasks: list[dict[str, object]], name: str = "Eksempel kommune") -> Path:
    data = yaml.safe_load(BUNDLED_MUNICIPALITY.read_text(encoding="utf-8"))
    data["yearly_tasks"], data["name"] = tasks, name
    path = tmp_path / "kommune.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


async def test_week_53_january_tasks_and_odd_characters(database_url: str, tmp_path: Path) -> None:
    tasks: list[dict[str, object]] = [
        {"id": "uke53", "name": "Uke 53", "weeks": "53-53", "reminder_days": 0},
        {"id": "januar", "name": "Kunnskapsgrunnlag\u000b", "month": 1, "reminder_days": 14},
        {"id": "uke1", "name": "Uke én <b>&", "weeks": "1-2", "reminder_days": 7},
    ]
    path = _with_tasks(tmp_path, tasks)
    clock = FrozenClock(dt.datetime(2026, 12, 20, 9, 0, tzinfo=FROZEN_NOW.tzinfo))
    bot = build_bot(Settings(database_url=database_url, municipality_path=path), clock=clock)
    await bot.start()
    try:
        # 20 December: the January task (14 days' notice) and week 1 of 2027 (from 4 January, 7 days) are ahead.
        everyone = len(bot.context.municipality.coordinators)  # one reminder to each coordinator
        assert await remind_tasks(bot.context) == everyone  # January's; week 1 is more than a week away
        clock.advance(days=8)  # 28 December: week 1 of 2027 starts on 4 January
        assert await remind_tasks(bot.context) == everyone
        assert await remind_tasks(bot.context) == 0
        # 2027 has 52 ISO weeks: the week-53 task is simply not there (2026 has one).
        assert not [i for i in await year_items(bot.context, 2027) if i.name == "Uke 53"]
        assert [i.start for i in await year_items(bot.context, 2026) if i.name == "Uke 53"] == [dt.date(2026, 12, 28)]
        # ISO week 1 of 2026 begins on 29 December 2025: the 2026 wheel shows it from 1 January.
        (week_one,) = [i for i in await year_items(bot.context, 2026) if i.name.startswith("Uke én")]
        assert week_one.start == dt.date(2026, 1, 1)
        # A name with a character XML cannot hold still gives a valid SVG and PNG; markup in a name is text.
        root = ET.fromstring(await wheel_svg(bot.context, 2027))
        assert any("Uke én <b>&" in (e.findtext(f"{SVG}title") or "") for e in root.iter())
        async with TestClient(TestServer(build_web_app(bot))) as client:
            assert (await client.get("/arshjul.png?year=2027")).status == 200
            assert (await client.get("/arshjul.svg?year=%C2%B2%C2%B2%C2%B2%C2%B2")).status == 404
            assert (await client.get("/calendar.ics")).status == 200
        assert "«²»" in await Conversation(bot, user="ansatt").say("årshjul ²")
    finally:
        await bot.close()


def test_task_ids_are_unique_and_every_few_years_needs_a_first_year(tmp_path: Path) -> None:
    twice = [{"id": "x", "name": "X", "month": 3}, {"id": "x", "name": "Y", "month": 4}]
    with pytest.raises(MunicipalityError, match=r"yearly_tasks\[1\]\.id"):
        load_municipality(_with_tasks(tmp_path, twice))
    with pytest.raises(MunicipalityError, match="every_years krever first_year"):
        load_municipality(_with_tasks(tmp_path, [{"id": "u", "name": "U", "weeks": "4-12", "every_years": 3}]))
