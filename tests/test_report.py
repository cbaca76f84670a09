"""The yearly report: made from seeded data, opened as Word, PDF and Excel; headings, charts, no small counts; links."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import docx
import openpyxl
import pytest
from aiohttp.test_utils import TestClient, TestServer
from pypdf import PdfReader

from bot.app import build_bot, build_web_app
from bot.config import Settings
from bot.core.bot import Bot
from bot.report import render
from handlers.report import build_report
from storage.audit import audit_entries
from storage.models import Topic
from tests.conftest import FROZEN_NOW, FrozenClock
from tests.conversation import Conversation
from tests.test_languages import _municipality_file
from tests.test_measures import _referat
from tests.test_small_counts import _add

HEADINGS = ("Møter", "Temaer til frokostmøtene", "Bekymringer", "Tiltak og evaluering", "Forslag til prioriteringer")


async def _seed(bot: Bot, coordinator: Conversation) -> None:
    # 7 records on drugs, 6 of them recommending the innsatsteam; 2 on violence: those must never show as 2.
    await _add(
        bot,
        (6, "innsatsteam_samtykke", ["rusbruk"]),
        (1, "frokostmote", ["rusbruk"]),
        (2, "barnevern", ["vold"]),
    )
    async with bot.db.session() as session:
        for number, status in enumerate(("discussed", "discussed", "planned", "rejected", "new")):
            day = dt.date(2026, 3 + number, 10)
            session.add(Topic(text=f"Skjermbruk og søvn {number}", status=status, created_on=day, votes=number))
    await _referat(coordinator)


def _docx_tables(data: bytes) -> list[list[list[str]]]:
    document = docx.Document(io.BytesIO(data))
    return [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables]


async def test_the_report_has_its_headings_charts_and_no_count_below_five(bot: Bot, coordinator: Conversation) -> None:
    await _seed(bot, coordinator)
    report = await build_report(bot.context, 2026)
    data = render(report, "docx")
    document = docx.Document(io.BytesIO(data))
    headings = [
        p.text for p in document.paragraphs if p.style is not None and p.style.name.startswith(("Heading", "Title"))
    ]
    assert headings[0] == "Årsrapport for SLT i Eksempel kommune 2026"
    assert all(any(h.startswith(wanted) for h in headings) for wanted in HEADINGS), headings
    assert len(document.inline_shapes) >= 3  # charts as pictures
    text = "\n".join(p.text for p in document.paragraphs)
    assert "9 i året" in text  # the total is at least five: shown
    # Every count of escalation records in a table is at least five, or folded: never the 2 on violence.
    counted = [rows for rows in _docx_tables(data) if rows[0] == ["Hva", "Antall"]]
    assert counted
    numbers = [int(row[1]) for rows in counted for row in rows[1:] if row[1].isdigit()]
    assert numbers and all(n >= 5 for n in numbers), counted
    assert not any("Vold" in row[0] for rows in counted for row in rows)
    # Topics discussed, measures with their status, the coordinator's own section.
    tables = "\n".join(" | ".join(row) for rows in _docx_tables(data) for row in rows)
    assert "Skjermbruk og søvn 0 | drøftet" in tables and "Foreldremøte om rus | Skole" in tables
    assert "SLT-koordinatorens forslag" in text


async def test_pdf_and_excel_hold_the_same(bot: Bot, coordinator: Conversation) -> None:
    await _seed(bot, coordinator)
    report = await build_report(bot.context, 2026)
    pdf = PdfReader(io.BytesIO(render(report, "pdf")))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "Årsrapport for SLT i Eksempel kommune 2026" in text
    assert all(wanted.split()[0] in text for wanted in HEADINGS)
    assert sum(len(page.images) for page in pdf.pages) >= 3
    assert not re.search(r"Vold\s+\d", text)
    workbook = openpyxl.load_workbook(io.BytesIO(render(report, "xlsx")))
    first, charts = workbook.worksheets
    assert first["A1"].value == "Årsrapport for SLT i Eksempel kommune 2026"
    assert len(charts._images) >= 3


@pytest.fixture
async def served(database_url: str) -> Bot:
    bot = build_bot(
        Settings(database_url=database_url, public_url="https://slt.example.no"), clock=FrozenClock(FROZEN_NOW)
    )
    return bot


async def test_rapport_in_chat_gives_a_short_lived_signed_link(served: Bot) -> None:
    bot = served
    async with TestClient(TestServer(build_web_app(bot))) as client:
        coordinator = Conversation(bot, user="koordinator")
        assert "bare for SLT-koordinatorene" in await Conversation(bot, user="ansatt").say("rapport")
        reply = await coordinator.say("rapport 2026 pdf")
        (url,) = re.findall(r"https://slt\.example\.no(/rapport/\S+)", reply)
        assert "15 minutter" in reply
        response = await client.get(url)
        assert response.status == 200 and response.headers["Content-Type"] == "application/pdf"
        assert "attachment" in response.headers["Content-Disposition"]
        assert (await response.read()).startswith(b"%PDF")
        # A changed year, a changed signature, another format: refused.
        assert (await client.get(url.replace("~2026~", "~2025~"))).status == 404
        assert (await client.get(url[:-3] + ("000" if not url.endswith("000") else "111"))).status == 404
        assert (await client.get(url.replace("~pdf~", "~xlsx~"))).status == 404
        assert (await client.get("/rapport/../../etc/passwd")).status == 404
        # After a quarter of an hour the link is dead.
        clock = bot.context.clock
        assert isinstance(clock, FrozenClock)
        clock.advance(minutes=16)
        expired = await client.get(url)
        assert expired.status == 404 and "utløpt" in await expired.text()
        async with bot.db.session() as session:
            logged = [(e.action, e.kind) for e in await audit_entries(session)]
        assert ("link", "report") in logged and ("report", "report") in logged
        assert "Jeg forstår ikke «neste»" in await coordinator.say("rapport neste")


async def test_without_a_public_address_the_coordinator_is_told_how(bot: Bot, coordinator: Conversation) -> None:
    reply = await coordinator.say("rapport")
    assert "slt-bot report --year 2026" in reply and "/rapport/" not in reply


async def test_a_report_in_english_for_an_english_municipality(database_url: str, tmp_path: Path) -> None:
    path = _municipality_file("en", tmp_path)
    bot = build_bot(Settings(database_url=database_url, municipality_path=path), clock=FrozenClock(FROZEN_NOW))
    await bot.start()
    try:
        report = await build_report(bot.context, 2026)
    finally:
        await bot.close()
    assert report.title == "SLT annual report for Eksempel kommune 2026"
    document = docx.Document(io.BytesIO(render(report, "docx")))
    assert "Proposed priorities for next year" in [p.text for p in document.paragraphs]
