"""The escalation routine's records: what is stored per branch, the coordinators' summary, audit and export."""

from __future__ import annotations

import io
import json

import pytest

from bot.core.bot import Bot
from handlers.exports import export_records
from storage.audit import audit_entries
from storage.escalations import all_escalations
from storage.outbox import pending_for
from tests.conversation import Conversation
from tests.test_dialogs import BRANCHES

RECOMMENDATIONS = {
    "acute": None,
    "avvergeplikt": "politi_avvergeplikt",
    "avvergeplikt unsure": "politikontakt",
    "opplysningsplikt": "bekymringsmelding",
    "opplysningsplikt unsure": "droft_barnevern_anonymt",
    "group, needs action": "innsatsteam_anonymt",
    "environment, general picture": "frokostmote",
    "trend, system level": "koordineringsgruppe",
    "individual, school team not yet": "tverrfaglig_team",
    "not SLT-relevant": "bti",
    "anonymous innsatsteam": "innsatsteam_anonymt",
    "consent given": "innsatsteam_samtykke",
    "consent missing": "skaff_samtykke",
}


async def _walk(conversation: Conversation, answers: list[str]) -> str:
    reply = await conversation.say("bekymring")
    for answer in answers:
        reply = await conversation.say(answer)
    return reply


@pytest.mark.parametrize("branch", list(BRANCHES), ids=list(BRANCHES))
async def test_each_branch_stores_its_recommendation(staff: Conversation, bot: Bot, branch: str) -> None:
    await _walk(staff, BRANCHES[branch][0])
    async with bot.db.session() as session:
        (record,) = await all_escalations(session)
    assert record.recommendation == RECOMMENDATIONS[branch]
    assert record.started_on.isoformat() == "2026-11-22" and record.completed_on.isoformat() == "2026-11-22"


async def test_acute_records_only_that_it_was_taken(staff: Conversation, bot: Bot) -> None:
    reply = await _walk(staff, ["ja"])
    assert "Registrert" not in reply and "sammendrag" not in reply
    _, rows = await export_records(bot.context, "escalations", actor="cli:test")
    assert rows[0]["acute"] is True
    assert {k: v for k, v in rows[0].items() if k not in ("id", "started_at", "completed_at", "acute")} == {
        "subject": None,
        "setting": None,
        "categories": [],
        "school_team_discussed": None,
        "anonymous": None,
        "consent": None,
        "recommendation": None,
        "coordinator_notified": False,
    }


async def test_consent_branch_records_the_structured_answers(staff: Conversation, bot: Bot) -> None:
    await _walk(staff, BRANCHES["consent given"][0])
    _, rows = await export_records(bot.context, "escalations", actor="cli:test")
    row = rows[0]
    assert row["subject"] == "individual" and row["setting"] == "fritid"
    assert row["categories"] == ["rusbruk", "kriminalitet"]
    assert row["anonymous"] is False and row["consent"] == "foresatte"
    assert row["school_team_discussed"] is None  # not asked outside grunnskole
    assert row["id"].startswith("B-") and len(row["id"]) == 8


async def test_cancelled_dialog_leaves_no_record(staff: Conversation, bot: Bot) -> None:
    await _walk(staff, ["nei", "nei", "avbryt"])
    async with bot.db.session() as session:
        assert await all_escalations(session) == []


async def test_notify_the_coordinators_with_a_screened_description(staff: Conversation, bot: Bot) -> None:
    reply = await _walk(staff, BRANCHES["anonymous innsatsteam"][0])
    # No reference in the person's chat until they choose to notify (then they are the stafettholder).
    assert "Registrert anonymt." in reply and "B-" not in reply
    assert "1) Ja, send sammendrag" in reply
    staff.channel.stdin = io.StringIO("Eleven Jonas i 7B selger snus\n")
    reply = await staff.say("1")
    assert (
        "personopplysninger (navn, skole og klasse)" in reply
        and "«Eleven [navn] i [skole og klasse] selger snus»" in reply
    )
    async with bot.db.session() as session:
        assert await pending_for(session, target="console:koordinator") == []
    reply = await staff.say("1")  # send the redacted text
    assert "SLT-koordinator har fått et anonymt sammendrag" in reply and "stafettholder" in reply
    async with bot.db.session() as session:
        queued = await pending_for(session, target="console:koordinator")
        assert len(queued) == 1 and len(await pending_for(session, target="slack:U0EKSKOORD")) == 1
    text = json.dumps(queued[0].payload, ensure_ascii=False)
    assert "Eleven [navn] i [skole og klasse] selger snus" in text and "Jonas" not in text
    assert "SLT-innsatsteam, anonymt" in text and "Rusbruk, Kriminelle handlinger" in text
    assert "console:ansatt" not in text


async def test_the_coordinator_sees_the_summary_when_starting_a_chat(staff: Conversation, bot: Bot) -> None:
    await _walk(staff, BRANCHES["group, needs action"][0])
    staff.channel.stdin = io.StringIO("\n")
    await staff.say("1")
    from bot.channels.console.channel import ConsoleChannel

    out = io.StringIO()
    await ConsoleChannel(bot, user="koordinator", stdin=io.StringIO(""), stdout=out).run()
    shown = out.getvalue()
    assert "Du har 1 melding(er)" in shown and "Ny bekymring meldt gjennom SLT-assistenten" in shown
    assert "Meld det til SLT-innsatsteamet" not in shown  # only the summary, not the staff member's screen
    out2 = io.StringIO()
    await ConsoleChannel(bot, user="koordinator", stdin=io.StringIO(""), stdout=out2).run()
    assert "Ny bekymring" not in out2.getvalue()  # delivered once


async def test_notifying_twice_sends_once(staff: Conversation, bot: Bot) -> None:
    await _walk(staff, BRANCHES["consent missing"][0])
    staff.channel.stdin = io.StringIO("\n\n")
    await staff.say("1")
    reference = (await export_records(bot.context, "escalations", actor="t"))[1][0]["id"]
    from bot.core.messages import Inbound
    from handlers.escalation import OFFER_KEY, _offer_token
    from storage.keys import period_secret

    async with bot.db.session() as session:
        secret = await period_secret(session, purpose=OFFER_KEY, period="2026-11-22")
    token = _offer_token(secret, reference)
    again = Inbound("console", "console:ansatt", "console:ansatt", action=f"escalation-summary:{token}")
    assert "allerede fått sammendraget" in (await bot.handle(again))[0].plain
    # The raw reference in a button does nothing, and the next day the offer's key is gone.
    forged = Inbound("console", "console:ansatt", "console:ansatt", action=f"escalation-summary:{reference}")
    assert "gjaldt bare samme dag" in (await bot.handle(forged))[0].plain
    bot.context.clock.advance(days=1)  # type: ignore[attr-defined]
    assert "gjaldt bare samme dag" in (await bot.handle(again))[0].plain


async def test_declining_notification(staff: Conversation, bot: Bot) -> None:
    await _walk(staff, BRANCHES["not SLT-relevant"][0])
    assert "ingen varsling er sendt" in await staff.say("2")
    _, rows = await export_records(bot.context, "escalations", actor="t")
    assert rows[0]["coordinator_notified"] is False


async def test_coordinator_overview_is_audited(staff: Conversation, coordinator: Conversation, bot: Bot) -> None:
    await _walk(staff, BRANCHES["consent given"][0])
    await _walk(staff, ["ja"])
    reply = await coordinator.say("bekymringer")
    # Two records: the count is too small to show (tests/test_small_counts.py); the records are listed.
    assert "I alt: under 5" in reply and "SLT-innsatsteam med samtykke: 1" not in reply
    assert "SLT-innsatsteam med samtykke\n" in reply and "akutt (ringte nødnummer)" in reply
    assert "bare for SLT-koordinatorene" in await staff.say("bekymringer")
    async with bot.db.session() as session:
        entries = await audit_entries(session)
    assert [(e.actor, e.action, e.kind, e.count) for e in entries] == [
        ("console:koordinator", "read", "escalations", 2)
    ]


async def test_exports_carry_categories_and_recommendation_and_no_user_id(staff: Conversation, bot: Bot) -> None:
    for branch in ("consent given", "group, needs action", "acute"):
        await _walk(staff, BRANCHES[branch][0])
    columns, rows = await export_records(bot.context, "escalations", actor="cli:ops")
    assert columns == (
        "id",
        "started_at",
        "completed_at",
        "acute",
        "subject",
        "setting",
        "categories",
        "school_team_discussed",
        "anonymous",
        "consent",
        "recommendation",
        "coordinator_notified",
    )
    assert sorted(r["recommendation"] or "" for r in rows) == ["", "innsatsteam_anonymt", "innsatsteam_samtykke"]
    assert ["rusbruk", "vold"] in [r["categories"] for r in rows]
    assert "console:ansatt" not in json.dumps(rows) and "ansatt" not in json.dumps(rows)
    async with bot.db.session() as session:
        entries = await audit_entries(session)
    assert (entries[0].actor, entries[0].action, entries[0].kind, entries[0].count) == (
        "cli:ops",
        "export",
        "escalations",
        3,
    )
