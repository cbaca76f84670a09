"""Anonymous topic suggestions, as a user meets them: clean, redacted, rewrite, to escalation, votes, the list."""

from __future__ import annotations

import io

import pytest

from bot.core.bot import Bot
from bot.core.messages import Inbound
from tests.conftest import FrozenClock
from tests.conversation import Conversation


async def test_clean_suggestion_is_stored_and_confirmed(staff: Conversation) -> None:
    reply = await staff.say("tema Skjermbruk og søvn blant elever på ungdomstrinnet")
    assert "Takk! Forslaget er lagret anonymt til SLT-frokostmøte" in reply
    # Nothing that names the stored topic stays in the submitter's chat; «stem» lists what there is to vote on.
    assert "«stem»" in reply and "#" not in reply and not any(ch.isdigit() for ch in reply)


async def test_suggestion_with_personal_data_is_not_stored_as_typed(staff: Conversation, bot: Bot) -> None:
    reply = await staff.say("tema Eleven Ola Hansen i 7B selger snus, ring 922 04 384")
    assert "personopplysninger (navn, telefonnummer, skole og klasse)" in reply
    assert "Jeg har ikke lagret det" in reply
    assert "«Eleven [navn] i [skole og klasse] selger snus, ring [telefonnummer]»" in reply
    assert "1) Lagre uten personopplysningene" in reply
    assert "2) Skriv forslaget på nytt" in reply
    assert "3) Jeg er bekymret for en person (start veiledning)" in reply
    from storage.topics import all_topics

    async with bot.db.session() as session:
        assert await all_topics(session) == []


async def test_store_the_redacted_text(staff: Conversation, bot: Bot) -> None:
    await staff.say("tema Jonas i 9C selger snus til yngre elever")
    reply = await staff.say("1")
    assert "lagret anonymt til" in reply
    from storage.topics import all_topics

    async with bot.db.session() as session:
        assert [topic.text for topic in await all_topics(session)] == [
            "[navn] i [skole og klasse] selger snus til yngre elever"
        ]


async def test_rewrite_offers_the_form_again(staff: Conversation) -> None:
    await staff.say("tema Vi er bekymret for Emma sin rusbruk")
    staff.channel.stdin = io.StringIO("Rusbruk blant jenter på ungdomstrinnet\n")
    reply = await staff.say("2")
    assert "Skriv forslaget på nytt" in reply
    assert "Hva vil du ta opp?" in reply
    assert "lagret anonymt til" in reply


async def test_a_concern_about_a_person_goes_to_the_escalation_routine(staff: Conversation) -> None:
    await staff.say("tema Gutten på 13 i nabolaget har vært savnet to døgn")
    reply = await staff.say("3")
    assert "Er noen i akutt fare akkurat nå?" in reply


async def test_tema_without_text_opens_the_form(staff: Conversation) -> None:
    staff.channel.stdin = io.StringIO("Trygg skolevei\n")
    reply = await staff.say("tema")
    assert "Foreslå tema til frokostmøtet" in reply and "Hva vil du ta opp?" in reply
    assert "lagret anonymt til" in reply


async def test_a_forged_redacted_value_is_screened_again(bot: Bot) -> None:
    forged = Inbound(
        "slack", "slack:U1", "slack:D1", action="topic-found", values={"value": "redacted:Ring Kari på 922 04 384"}
    )
    replies = await bot.handle(forged)
    assert "personopplysninger" in replies[0].plain


@pytest.mark.parametrize(
    "text,answer",
    [
        ("tema    ", "Foreslå tema til frokostmøtet"),
        ("tema \u200b\u200b", "Foreslå tema til frokostmøtet"),
        ("tema " + "skjermbruk " * 60, "Forslaget er for langt"),
    ],
)
async def test_empty_invisible_and_huge_suggestions(staff: Conversation, bot: Bot, text: str, answer: str) -> None:
    reply = await staff.say(text)
    assert answer in reply
    from storage.topics import all_topics

    async with bot.db.session() as session:
        assert await all_topics(session) == []


async def test_odd_unicode_is_normalised(staff: Conversation, bot: Bot) -> None:
    await staff.say("tema Ｓkjermbruk\u00a0og\tsøvn")
    from storage.topics import all_topics

    async with bot.db.session() as session:
        assert [topic.text for topic in await all_topics(session)] == ["Skjermbruk og søvn"]


async def test_vote_twice_counts_once(staff: Conversation, bot: Bot) -> None:
    await staff.say("tema Trygg skolevei")
    assert "Tema #1 har nå 1 stemme." in await staff.say("stem 1")
    assert "Du har allerede stemt på tema #1. Det har 1 stemme." in await staff.say("stem 1")
    other = Conversation(bot, user="kollega")
    assert "Tema #1 har nå 2 stemmer." in await other.say("stem #1")


async def test_vote_from_the_list_by_number(staff: Conversation) -> None:
    await staff.say("tema Trygg skolevei")
    await staff.say("tema Nettvett for foreldre")
    reply = await staff.say("stem")
    assert "#1 · ny · 0 stemmer · Trygg skolevei" in reply
    assert "2) Stem på #2" in reply or "2) Stem på #1" in reply
    assert "stemmen din er telt" in await staff.say("1")


async def test_vote_for_a_missing_topic(staff: Conversation) -> None:
    assert "Fant ikke noe åpent tema #42" in await staff.say("stem 42")
    assert "Skriv nummeret på temaet" in await staff.say("stem den om skolevei")


async def test_a_vote_counts_again_in_the_next_meeting_cycle(staff: Conversation, clock: FrozenClock) -> None:
    await staff.say("tema Trygg skolevei")
    await staff.say("stem 1")
    clock.advance(days=6)  # after the 27 November meeting: the vote key has rotated
    assert "har nå 2 stemmer" in await staff.say("stem 1")


async def test_flood_protection(staff: Conversation) -> None:
    for number in range(10):
        assert "lagret anonymt" in await staff.say(f"tema Forslag nummer {number}")
    assert "Du har sendt mange forslag i dag" in await staff.say("tema Ett til")


async def test_non_coordinator_asks_for_the_list(staff: Conversation) -> None:
    await staff.say("tema Trygg skolevei")
    reply = await staff.say("temaer")
    assert "bare for SLT-koordinatorene" in reply and "Trygg skolevei" not in reply


async def test_coordinator_plans_a_topic_and_it_shows_on_the_agenda(
    staff: Conversation, coordinator: Conversation
) -> None:
    await staff.say("tema Trygg skolevei")
    await staff.say("stem 1")
    reply = await coordinator.say("temaer")
    assert "#1 · ny · 1 stemme · Trygg skolevei" in reply
    assert "1) Planlegg til 27. november 2026" in reply
    assert "Oppdatert: #1 · planlagt 27. november 2026" in await coordinator.say("1")
    answer = await staff.say("når er neste frokostmøte?")
    assert "Tema på agendaen: Trygg skolevei" in answer
    assert "Tema på agendaen: Trygg skolevei" in await staff.say("møteplan")


async def test_coordinator_marks_topics_discussed_and_rejected(staff: Conversation, coordinator: Conversation) -> None:
    await staff.say("tema Trygg skolevei")
    await staff.say("tema Nettvett")
    listing = await coordinator.say("temaer")
    discussed = next(line.split(")")[0].strip() for line in listing.splitlines() if line.endswith(") Diskutert"))
    assert "diskutert" in await coordinator.say(discussed)
    listing = await coordinator.say("temaer")
    assert "Nylig diskutert eller avvist:" in listing
    assert "Åpne temaforslag (1):" in listing


async def test_staff_cannot_forge_a_coordinator_button(bot: Bot) -> None:
    forged = Inbound("slack", "slack:U1", "slack:D1", action="topic-admin:1", values={"value": "rejected"})
    assert "bare for SLT-koordinatorene" in (await bot.handle(forged))[0].plain


async def test_help_lists_topics_and_coordinator_commands(staff: Conversation, coordinator: Conversation) -> None:
    staff_help = await staff.say("hjelp")
    assert "tema <tekst>" in staff_help and "stem <nr>" in staff_help and "temaer" not in staff_help
    assert "temaer: alle temaforslag" in await coordinator.say("hjelp")
