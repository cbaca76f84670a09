"""Conversation tests for the routines & contacts assistant: hjelp, kontakter, rutiner, møteplan, free questions."""

from __future__ import annotations

import pytest

from tests.conversation import Conversation


async def test_help_lists_what_the_bot_can_do(staff: Conversation) -> None:
    reply = await staff.say("hjelp")
    assert "SLT-assistenten for Eksempel kommune" in reply
    for command in ("kontakter", "rutiner", "møteplan", "bekymring", "avbryt"):
        assert command in reply
    assert "Hvem er politikontakt?" in reply


async def test_contacts_lists_everyone_with_phone_email_and_source(staff: Conversation) -> None:
    reply = await staff.say("kontakter")
    assert "Oppvekst- og SLT-koordinator" in reply
    assert "Hanne Prøvestad" in reply and "400 00 101" in reply
    assert "hanne.provestad@eksempel.kommune.no" in reply
    assert "Politikontakt" in reply and "Ola Testrud" in reply
    assert "Kilde: Kontaktinformasjon for SLT (sist gjennomgått 1. september 2026)" in reply
    assert "112" in reply and "116 111" in reply


async def test_routines_lists_forms_with_links_and_review_dates(staff: Conversation) -> None:
    reply = await staff.say("rutiner")
    assert "Skjemaer" in reply
    assert "Samtykkeskjema: https://www.eksempel.kommune.no/slt/skjema/samtykke" in reply
    assert "Vurderingsskjema til tverrfaglig innsats/SLT-innsatsteam" in reply
    assert "sist gjennomgått 15. august 2026" in reply


async def test_meeting_plan_shows_next_meetings_moved_for_christmas(staff: Conversation) -> None:
    reply = await staff.say("møteplan")
    assert "SLT-frokostmøte" in reply
    assert "Neste: fredag 27. november 2026 kl. 08:00-09:00" in reply
    # 25 December 2026 is første juledag, and romjul is school holiday: moved to the Friday before.
    assert "fredag 18. desember 2026 kl. 08:00-09:00 (flyttet fra 25. desember 2026: første juledag)" in reply
    assert "https://teams.microsoft.com/l/meetup-join/eksempel-kommune-slt-frokost" in reply
    assert "Koordineringsgruppen" in reply and "tirsdag 1. desember 2026" in reply
    assert "Kilde: Møteplan for SLT-arbeidet 2026-2027" in reply


@pytest.mark.parametrize(
    "question",
    [
        "hvem er politikontakt?",
        "Hvem er politikontakten?",
        "HVEM ER POLITIKONTAKT",
        "kven er politikontakten?",  # nynorsk
        "hvem er politkontakt",  # typo
        "hvem er politikontakt i kommunen",
    ],
)
async def test_who_is_the_police_contact(staff: Conversation, question: str) -> None:
    reply = await staff.say(question)
    assert "Politikontakt" in reply and "Ola Testrud" in reply and "400 00 102" in reply
    assert "Kilde: Kontaktinformasjon for SLT (sist gjennomgått 1. september 2026)" in reply


@pytest.mark.parametrize(
    "question",
    [
        "hvor finner jeg samtykkeskjema?",
        "Hvor finner jeg samtykkeskjemaet?",
        "kvar finn eg samtykkeskjemaet?",  # nynorsk
        "hvor finner jeg samtykkeerklaering",  # æ written as ae
        "hvor finner jeg samtykeskjema",  # typo
    ],
)
async def test_where_is_the_consent_form(staff: Conversation, question: str) -> None:
    reply = await staff.say(question)
    assert "Samtykkeskjema: https://www.eksempel.kommune.no/slt/skjema/samtykke" in reply
    assert "Kilde: Samtykkeskjema (sist gjennomgått 20. juni 2026)" in reply


@pytest.mark.parametrize(
    "question",
    ["når er neste frokostmøte?", "naar er neste frokostmoete?", "Når er neste frokostmote", "når er frokostmøtet"],
)
async def test_when_is_the_next_breakfast_meeting(staff: Conversation, question: str) -> None:
    reply = await staff.say(question)
    assert "Neste SLT-frokostmøte er fredag 27. november 2026 kl. 08:00-09:00." in reply
    assert "Deretter: fredag 18. desember 2026" in reply
    assert "https://teams.microsoft.com/l/meetup-join/eksempel-kommune-slt-frokost" in reply
    assert "Kilde: Møteplan for SLT-arbeidet 2026-2027 (sist gjennomgått 1. oktober 2026)" in reply


async def test_next_breakfast_meeting_moves_on_after_the_meeting(staff: Conversation, clock) -> None:  # type: ignore[no-untyped-def]
    clock.advance(days=5, hours=-1, minutes=30)  # Friday 27 November 09:30, the meeting has ended
    reply = await staff.say("når er neste frokostmøte?")
    assert "Neste SLT-frokostmøte er fredag 18. desember 2026" in reply


@pytest.mark.parametrize(
    "question",
    [
        "hva gjør jeg hvis jeg er bekymret for en elev?",
        "Hva gjor jeg hvis jeg er bekymret for en elev",
        "kva gjer eg om eg er uroa for ein elev?",  # nynorsk
    ],
)
async def test_what_to_do_when_worried_about_a_pupil(staff: Conversation, question: str) -> None:
    reply = await staff.say(question)
    assert "SLT-varslingsrutiner" in reply
    assert "112" in reply and "skolens tverrfaglige team" in reply
    assert "«bekymring»" in reply  # points to the guided routine
    assert "Kilde: SLT-varslingsrutiner (sist gjennomgått 15. august 2026)" in reply


async def test_when_is_the_next_meeting_gives_the_plan(staff: Conversation) -> None:
    reply = await staff.say("når er neste møte?")
    assert "Møteplan for SLT-arbeidet i Eksempel kommune" in reply
    assert "fredag 27. november 2026" in reply


async def test_unanswerable_question_gets_a_helpful_fallback(staff: Conversation) -> None:
    reply = await staff.say("hvordan bestiller jeg nye kontorstoler?")
    assert "Det fant jeg ikke noe svar på" in reply
    assert "hjelp" in reply
    assert "Hanne Prøvestad" in reply and "400 00 101" in reply


@pytest.mark.parametrize("line", ["", "   ", "🙂", "\u200b\u200b", "?"])
async def test_empty_or_odd_input_is_never_met_with_silence(staff: Conversation, line: str) -> None:
    reply = await staff.say(line)
    assert reply.strip()


async def test_huge_input_is_answered(staff: Conversation) -> None:
    reply = await staff.say("hvem er politikontakt? " + "bla " * 50_000)
    assert reply.strip()


@pytest.mark.parametrize("word", ["Kontakter", "kontakte", "kontaktar", "KONTAKTER!"])
async def test_commands_tolerate_case_typos_and_nynorsk(staff: Conversation, word: str) -> None:
    reply = await staff.say(word)
    assert "Kontakter i SLT-arbeidet i Eksempel kommune" in reply


@pytest.mark.parametrize("word", ["moteplan", "moeteplan", "Møteplan", "møtepaln"])
async def test_meeting_plan_tolerates_spellings(staff: Conversation, word: str) -> None:
    reply = await staff.say(word)
    assert "Møteplan for SLT-arbeidet i Eksempel kommune" in reply


@pytest.mark.parametrize("word", ["rutiner", "rutinar", "Rutinr"])
async def test_routines_tolerate_spellings(staff: Conversation, word: str) -> None:
    reply = await staff.say(word)
    assert "Rutiner, planer og skjemaer" in reply


async def test_cancel_with_nothing_to_cancel(staff: Conversation) -> None:
    assert "ingen påbegynt samtale" in await staff.say("avbryt")


async def test_a_database_failure_gets_a_friendly_answer(staff: Conversation, bot, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import OperationalError

    async def locked(*_args: object) -> bool:
        raise OperationalError("SELECT", {}, Exception("database is locked: hvem er politikontakt"))

    monkeypatch.setattr(bot.context.dialogs, "active", locked)
    reply = await staff.say("hvem er politikontakt?")
    assert "Jeg får ikke lagret akkurat nå" in reply and "112" in reply
    # The log names the failure but never what the user wrote.
    assert "OperationalError" in caplog.text and "politikontakt" not in caplog.text


async def test_a_command_word_followed_by_a_question_is_a_question(staff: Conversation) -> None:
    reply = await staff.say("hjelp, jeg er bekymret for en elev")
    assert "SLT-varslingsrutiner" in reply
    assert "Dette kan du skrive" not in reply
