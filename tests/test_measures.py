"""Measures (tiltak): from a referat to the list, done, evaluated, moved, overdue in the digest, reminded once."""

from __future__ import annotations

from dataclasses import replace

from bot.app import build_bot
from bot.config import Settings
from bot.core.bot import Bot
from bot.runtime.outbox import OutboxWorker
from handlers.digest import build_digest
from handlers.exports import export_records
from handlers.measures import remind_measures
from storage.audit import audit_entries
from tests.conftest import FROZEN_NOW, FrozenClock
from tests.conversation import Conversation
from tests.test_outbox import FakeNotifier
from tests.test_outcomes import GOOD_FORM, _form_input


async def _referat(coordinator: Conversation) -> None:
    coordinator.channel.stdin = _form_input(GOOD_FORM)
    assert "Referat #1 er lagret" in await coordinator.say("referat")


async def _click(bot: Bot, person: Conversation, action: str, *typed: str, **values: str) -> str:
    """A button or a form submit, shown in the console as the person sees it (`typed`: answers to a form)."""
    person.channel.stdin = _form_input(list(typed))
    start = person.out.tell()
    await person.channel.show(await bot.handle(replace(person.channel.inbound(""), action=action, values=values)))
    person.out.seek(start)
    return person.out.read()


async def test_every_measure_in_a_referat_is_followed_up(coordinator: Conversation, bot: Bot) -> None:
    await _referat(coordinator)
    listing = await coordinator.say("tiltak")
    assert "Tiltak som følges opp" in listing
    # The nearest deadline first; the evaluation date as given, or four weeks after the deadline.
    first, second = listing.index("#2 Bekymringssamtaler"), listing.index("#1 Foreldremøte om rus")
    assert first < second
    assert "#2 Bekymringssamtaler · Politiet · frist 10. desember 2026 · evalueres 7. januar 2027 · åpent" in listing
    assert "#1 Foreldremøte om rus · Skole · frist 15. desember 2026 · evalueres 20. januar 2027" in listing
    assert "Gjennomført" in listing and "Evaluer" in listing and "Flytt dato" in listing
    async with bot.db.session() as session:
        assert ("read", "measures") in [(e.action, e.kind) for e in await audit_entries(session)]


async def test_done_then_evaluated_with_the_personal_data_screen(coordinator: Conversation, bot: Bot) -> None:
    await _referat(coordinator)
    assert "merket som gjennomført" in await _click(bot, coordinator, "measure:1", value="done")
    assert "#1 Foreldremøte om rus (Skole, 2026-12-15) gjennomført" in await coordinator.say("referater")
    # The form opens; the first answer names a pupil and is refused, the form comes back, the second is saved.
    shown = await _click(
        bot, coordinator, "measure:1", "Ola Hansen i 9B kom ikke", "Godt oppmøte, 40 foresatte kom.", value="evaluate"
    )
    assert "Evaluer tiltak #1" in shown and "Hvordan gikk det?" in shown
    assert "Evalueringen er ikke lagret" in shown and "personopplysninger" in shown
    assert "Evalueringen av tiltak #1 er lagret" in shown
    _, rows = await export_records(bot.context, "measures", actor="t")
    assert rows[0]["status"] == "evaluated" and rows[0]["evaluation"] == "Godt oppmøte, 40 foresatte kom."
    assert "#1 Foreldremøte" not in await coordinator.say("tiltak")  # evaluated: no longer followed up
    # A button left in the chat history does not undo the evaluation.
    assert "er evaluert, så det kan ikke endres" in await _click(bot, coordinator, "measure:1", value="done")
    assert "er evaluert, så det kan ikke endres" in await _click(bot, coordinator, "measure:1", value="drop")
    _, rows = await export_records(bot.context, "measures", actor="t")
    assert rows[0]["status"] == "evaluated"


async def test_move_a_date_and_drop(coordinator: Conversation, bot: Bot) -> None:
    await _referat(coordinator)
    moved = await _click(bot, coordinator, "measure:2", "neste uke", "", "2027-01-10", "", value="move")
    assert "Ny frist" in moved and "skriv en dato" in moved
    # The evaluation follows the moved deadline (else it would fall due before it).
    assert "frist 10. januar 2027 · evalueres 7. februar 2027" in moved
    refused = await _click(bot, coordinator, "measure-move:2", evaluate_on="2027-01-01")
    assert "Evalueringen kan ikke være før fristen" in refused
    assert "avsluttet uten gjennomføring" in await _click(bot, coordinator, "measure:1", value="drop")
    assert "Jeg finner ikke det tiltaket" in await _click(bot, coordinator, "measure:99", value="done")


async def test_staff_cannot_touch_measures(staff: Conversation, coordinator: Conversation, bot: Bot) -> None:
    await _referat(coordinator)
    assert "bare for SLT-koordinatorene" in await staff.say("tiltak")
    assert "bare for SLT-koordinatorene" in await _click(bot, staff, "measure:1", value="drop")
    assert "bare for SLT-koordinatorene" in await _click(bot, staff, "measure-evaluate:1", evaluation="Bra")
    # Nor open a measure's form, which would show its text.
    opened = await bot.open_form(replace(staff.channel.inbound(""), action="measure-evaluate:1"))
    assert "Foreldremøte" not in "\n".join(r.plain for r in opened)
    _, rows = await export_records(bot.context, "measures", actor="t")
    assert [row["status"] for row in rows] == ["open", "open"]


async def test_overdue_measures_are_in_the_digest(coordinator: Conversation, bot: Bot, clock: FrozenClock) -> None:
    await _referat(coordinator)
    assert "Forfalte tiltak" not in (await build_digest(bot.context)).plain
    clock.advance(days=20)  # 12 December: the deadline of #2 (10 December) has passed
    digest = (await build_digest(bot.context)).plain
    assert "Forfalte tiltak" in digest and "#2 Bekymringssamtaler" in digest and "forfalt" in digest
    assert "#1 Foreldremøte" not in digest


async def test_a_reminder_before_the_deadline_is_sent_once_across_a_restart(database_url: str) -> None:
    settings = Settings(database_url=database_url)
    notifier = FakeNotifier()
    notifier.platform = "console"
    for run in range(2):
        clock = FrozenClock(FROZEN_NOW)
        bot = build_bot(settings, clock=clock)
        await bot.start()
        try:
            if run == 0:
                await _referat(Conversation(bot, user="koordinator"))
            clock.advance(days=12)  # 4 December: within a week of the deadline of #2 (10 December), not of #1
            queued = await remind_measures(bot.context)
            assert queued == (1 if run == 0 else 0)
            worker = OutboxWorker(db=bot.db, clock=clock, notifiers={"console": notifier})
            await worker.deliver_due()
        finally:
            await bot.close()
    assert len(notifier.sent) == 1
    target, text = notifier.sent[0]
    assert target == "console:koordinator"
    assert "fristen for et tiltak nærmer seg" in text and "#2 Bekymringssamtaler" in text


async def test_no_reminder_for_a_date_gone_by(coordinator: Conversation, bot: Bot, clock: FrozenClock) -> None:
    await _referat(coordinator)
    clock.advance(days=80)  # 10 February 2027: every deadline and evaluation date has passed
    assert await remind_measures(bot.context) == 0  # they are overdue in the digest, not "coming up"
    assert "Forfalte tiltak" in (await build_digest(bot.context)).plain


async def test_a_name_as_responsible_or_a_huge_text_saves_nothing(coordinator: Conversation, bot: Bot) -> None:
    values = {"meeting_type": "SLT-innsatsteam", "meeting_date": "2026-11-20", "status": "open"}
    forged = {**values, "measure1_what": "Samtale", "measure1_responsible": "Kari Nordmann"}
    reply = await _click(bot, coordinator, "outcome-submit", *[""] * 40, **forged)
    assert "velg en tjeneste eller rolle fra listen" in reply
    huge = {**values, "measure1_what": "tiltak " * 60, "measure1_responsible": "Skole"}
    assert "for lang (høyst 300 tegn)" in await _click(bot, coordinator, "outcome-submit", *[""] * 40, **huge)
    assert (await export_records(bot.context, "measures", actor="t"))[1] == []
    assert (await export_records(bot.context, "outcomes", actor="t"))[1] == []
