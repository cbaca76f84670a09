"""Meeting outcomes (referat): the form, validation, screening, follow-up reminders, listing and export."""

from __future__ import annotations

import io

from bot.core.bot import Bot
from handlers.exports import export_records
from handlers.outcomes import remind_follow_ups
from storage.audit import audit_entries
from storage.outbox import pending_for
from tests.conftest import FrozenClock
from tests.conversation import Conversation

# One line per prompt of the referat form, in order.
GOOD_FORM = [
    "4",  # meeting type: Politirådet (the configured series come first, then SLT-innsatsteam)
    "2026-11-20",
    "1, 3, 4, 10",  # Skole, Barneverntjenesten, Politiet, SLT-koordinator
    "2",  # med samtykke
    "Arkivsak 2026/123",
    "Gruppe på ungdomstrinnet med økende rusbruk i helgene",
    "Rus i helgene; Trygg skolevei",
    "Foreldremøte om rus",
    "1",
    "15.12.2026",
    "2027-01-20",  # evaluate on
    "Bekymringssamtaler",
    "4",
    "2026-12-10",
    "",  # evaluate on: four weeks after the deadline
    "",
    "",
    "",
    "",
    "1",  # stafettholder: Skole
    "1",  # bekymringsmelding sendt
    "2026-12-01",
    "1",  # status: åpen
]


def _form_input(lines: list[str]) -> io.StringIO:
    return io.StringIO("".join(line + "\n" for line in lines))


async def test_coordinator_records_a_referat(coordinator: Conversation, bot: Bot) -> None:
    coordinator.channel.stdin = _form_input(GOOD_FORM)
    reply = await coordinator.say("referat")
    assert "Referat fra møte" in reply and "Deltakere (roller eller tjenester)" in reply
    assert "Referat #1 er lagret: Politirådet (styringsgruppe for SLT), 20. november 2026." in reply
    assert "Jeg minner deg på oppfølgingen 1. desember 2026." in reply
    columns, rows = await export_records(bot.context, "outcomes", actor="cli:t")
    assert columns == (
        "id",
        "meeting_type",
        "meeting_date",
        "participants",
        "topics",
        "measures",
        "follow_up_date",
        "status",
    )
    row = rows[0]
    assert row["participants"] == ["Skole", "Barneverntjenesten", "Politiet", "SLT-koordinator"]
    assert row["topics"] == ["Rus i helgene", "Trygg skolevei"]
    assert row["measures"] == [
        {"what": "Foreldremøte om rus", "responsible": "Skole", "due": "2026-12-15"},
        {"what": "Bekymringssamtaler", "responsible": "Politiet", "due": "2026-12-10"},
    ]
    assert row["follow_up_date"] == "2026-12-01" and row["status"] == "open"
    assert "console:koordinator" not in str(row)  # who recorded it is kept for reminders, never exported


async def test_bad_dates_and_personal_data_save_nothing(coordinator: Conversation, bot: Bot) -> None:
    bad = list(GOOD_FORM)
    bad[1] = "i går"
    bad[5] = "Eleven Ola Hansen i 9B ruser seg"
    coordinator.channel.stdin = _form_input(bad + [""] * 25)
    reply = await coordinator.say("referat")
    assert "Referatet er ikke lagret:" in reply
    assert "Møtedato (ÅÅÅÅ-MM-DD eller DD.MM.ÅÅÅÅ): skriv en dato som 2026-12-01" in reply
    assert "personopplysninger (navn, skole og klasse)" in reply
    assert (await export_records(bot.context, "outcomes", actor="t"))[1] == []


async def test_staff_cannot_record_or_read_referat(staff: Conversation, bot: Bot) -> None:
    assert "bare for SLT-koordinatorene" in await staff.say("referat")
    assert "bare for SLT-koordinatorene" in await staff.say("referater")
    from bot.core.messages import Inbound

    forged = Inbound(
        "console", "console:ansatt", "console:ansatt", action="outcome-submit", values={"meeting_type": "x"}
    )
    assert "bare for SLT-koordinatorene" in (await bot.handle(forged))[0].plain


async def test_follow_up_reminder_is_queued_once_on_the_day(
    coordinator: Conversation, bot: Bot, clock: FrozenClock
) -> None:
    coordinator.channel.stdin = _form_input(GOOD_FORM)
    await coordinator.say("referat")
    assert await remind_follow_ups(bot.context) == 0  # 22 November: not yet
    clock.advance(days=9)  # 1 December
    assert await remind_follow_ups(bot.context) == 1
    assert await remind_follow_ups(bot.context) == 0  # a second run (restart, second replica) queues nothing
    async with bot.db.session() as session:
        (message,) = await pending_for(session, target="console:koordinator")
    assert "referat #1" in str(message.payload) and "oppfølging 1. desember 2026" in str(message.payload)


async def test_listing_referater_is_audited(coordinator: Conversation, bot: Bot) -> None:
    coordinator.channel.stdin = _form_input(GOOD_FORM)
    await coordinator.say("referat")
    reply = await coordinator.say("referater")
    assert "#1 · Politirådet (styringsgruppe for SLT) · 20. november 2026 · åpen · oppfølging 1. desember 2026" in reply
    assert "Foreldremøte om rus (Skole, 2026-12-15)" in reply
    async with bot.db.session() as session:
        assert [(e.action, e.kind) for e in await audit_entries(session)] == [("read", "outcomes")]
