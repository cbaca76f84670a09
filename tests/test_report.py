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
from bot.core.document import Paragraph
from bot.report import render
from handlers.report import build_report
from storage.audit import audit_entries
from storage.models import Topic
from tests.conftest import FROZEN_NOW, FrozenClock
from tests.conversation import Conversation
from tests.test_languages import _municipality_file
from tests.test_measures import _referat
from tests.test_outcomes import GOOD_FORM, _form_input
from tests.test_small_counts import _add

HEADINGS = ("Møter", "Temaer til frokostmøtene", "Bekymringer", "Tiltak og evaluering", "Forslag til prioriteringer")


async def _seed(bot: Bot, coordinator: Conversation) -> None:
    # 11 records on drugs (6 recommending the innsatsteam, 5 the breakfast meeting); 2 on violence, which must
    # never show as 2 nor be recoverable from a total.
    await _add(
        bot,
        (6, "innsatsteam_samtykke", ["rusbruk"]),
        (5, "frokostmote", ["rusbruk"]),
        (2, "barnevern", ["vold"]),
    )
    async with bot.db.session() as session:
        for number, status in enumerate(("discussed", "discussed", "planned", "rejected", "new")):
            day = dt.date(2026, 3 + number, 10)
            session.add(Topic(text=f"Skjermbruk og søvn {number}", status=status, created_on=day, votes=number))
    await _referat(coordinator)  # a case discussed with consent: its measures are private to the case
    general = list(GOOD_FORM)
    general[3], general[4] = "1", ""  # anonymous: a general measure, listed in the report
    coordinator.channel.stdin = _form_input(general)
    assert "Referat #2 er lagret" in await coordinator.say("referat")


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
    assert "13 i året" in text  # the total is at least five: shown
    # Every count of escalation records in a table is at least five, or folded: never the 2 on violence.
    counted = [rows for rows in _docx_tables(data) if rows[0] == ["Hva", "Antall"]]
    assert counted
    numbers = [int(row[1]) for rows in counted for row in rows[1:] if row[1].isdigit()]
    assert numbers and all(n >= 5 for n in numbers), counted
    assert not any("Vold" in row[0] for rows in counted for row in rows)
    # Topics discussed, measures with their status, the coordinator's own section.
    tables = "\n".join(" | ".join(row) for rows in _docx_tables(data) for row in rows)
    assert "Skjermbruk og søvn 0 | drøftet" in tables
    # Measures of the general referat are listed; those of the case discussed with consent only counted.
    assert tables.count("Foreldremøte om rus | Skole") == 1 and "Tiltak i enkeltsaker" in text
    assert "Utkast: året er ikke over" in text  # 2026 is not over on 22 November
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
        # Opening the link shows a button (a link scanner's GET gets no report); the button's POST gets the file.
        page = await client.get(url)
        assert page.status == 200 and '<form method="post">' in await page.text()
        assert (await client.head(url)).status == 405
        response = await client.post(url)
        assert response.status == 200 and response.headers["Content-Type"] == "application/pdf"
        assert "attachment" in response.headers["Content-Disposition"]
        assert (await response.read()).startswith(b"%PDF")
        # A changed year, a changed signature, another format: refused.
        assert (await client.post(url.replace("~2026~", "~2025~"))).status == 404
        assert (await client.post(url[:-3] + ("000" if not url.endswith("000") else "111"))).status == 404
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
    assert "slt-bot report --year 2025" in reply and "/rapport/" not in reply  # last year, a finished one


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


async def test_an_older_years_report_has_no_measures_from_later_years(bot: Bot, coordinator: Conversation) -> None:
    await _seed(bot, coordinator)  # referats of November 2026
    older = await build_report(bot.context, 2025)
    text = "\n".join(block.text for block in older.blocks if isinstance(block, Paragraph))
    assert "Ingen tiltak er registrert for året" in text


def test_a_report_link_never_reaches_the_log() -> None:
    from bot.runtime.logs import redact

    line = '127.0.0.1 "GET /rapport/eksempel-kommune~2026~pdf~1795000000~0123456789abcdef0123456789abcdef HTTP/1.1" 200'
    assert "0123456789abcdef" not in redact(line) and "/rapport/" in redact(line)
