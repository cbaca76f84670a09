"""The guided-dialog engine: the default escalation flow end to end, back, cancel, stale buttons, expiry, validation."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.app import load_flows
from bot.config import BUNDLED_MUNICIPALITY
from bot.core.bot import Bot
from bot.core.content import Content
from bot.core.dialogs import CONTROL_ACTION, DIALOG_ACTION, DialogEngine
from bot.core.flows import Flow, FlowError, Gap, flow_gaps, flow_problems, load_flow
from bot.core.messages import Choices, Inbound
from bot.municipality import load_municipality
from tests.conftest import FrozenClock
from tests.conversation import Conversation

# Every branch of the default routine, answered by number, label or value as a user might.
BRANCHES = {
    "acute": (["ja"], "Ring nå."),
    "avvergeplikt": (["nei", "ja"], "Varsle politiet nå"),
    "avvergeplikt unsure": (["nei", "usikker"], "Drøft det med politiet i dag"),
    "opplysningsplikt": (["nei", "nei", "ja"], "Send en bekymringsmelding til barneverntjenesten"),
    "opplysningsplikt unsure": (["nei", "nei", "usikker"], "Drøft saken anonymt med barneverntjenesten"),
    "group, needs action": (
        ["nei", "nei", "nei", "en gruppe", "fritid", "1", "1, 5"],
        "Meld det til SLT-innsatsteamet",
    ),
    "environment, general picture": (["2", "3", "3", "2", "4", "2"], "Ta det opp på SLT-frokostmøtet"),
    "trend, system level": (["nei", "nei", "nei", "4", "annet", "3"], "Løft det til koordineringsgruppen"),
    "individual, school team not yet": (
        ["nei", "nei", "nei", "én person", "grunnskole", "nei"],
        "Ta saken til skolens tverrfaglige team først",
    ),
    "not SLT-relevant": (["nei", "nei", "nei", "1", "videregående skole", "nei"], "Fortsett arbeidet i BTI"),
    "anonymous innsatsteam": (
        ["nei", "nei", "nei", "1", "1", "ja", "ja", "rusbruk, kriminelle handlinger", "ja"],
        "Meld saken til SLT-innsatsteamet for anonym drøfting",
    ),
    "consent given": (
        ["nei", "nei", "nei", "1", "4", "ja", "1 2", "nei", "2"],
        "Meld saken til SLT-innsatsteamet for drøfting med samtykke",
    ),
    "consent missing": (
        ["nei", "nei", "nei", "1", "barnehage", "ja", "3", "nei", "nei, ikke ennå"],
        "Innhent samtykke, eller gjør saken anonym",
    ),
}


@pytest.mark.parametrize("answers,conclusion", BRANCHES.values(), ids=BRANCHES.keys())
async def test_every_branch_reaches_its_recommendation(
    staff: Conversation, bot: Bot, answers: list[str], conclusion: str
) -> None:
    reply = await staff.say("bekymring")
    assert "Er noen i akutt fare akkurat nå?" in reply
    assert "Hvorfor jeg spør:" in reply
    for answer in answers:
        reply = await staff.say(answer)
        assert "forsto jeg ikke" not in reply, f"{answer!r} was not understood"
    assert conclusion in reply
    assert not await bot.context.dialogs.active(staff.channel.inbound(""))


async def test_acute_branch_shows_emergency_numbers_and_stops(staff: Conversation) -> None:
    await staff.say("bekymring")
    reply = await staff.say("1")
    for number in ("112", "113", "110", "116 111", "400 00 104"):
        assert number in reply
    assert "hjelp" in await staff.say("hjelp")  # the dialog is over: help is help again


async def test_back_returns_to_the_previous_question_and_forgets_its_answer(staff: Conversation) -> None:
    await staff.say("bekymring")
    await staff.say("nei")
    reply = await staff.say("tilbake")
    assert "Er noen i akutt fare akkurat nå?" in reply
    reply = await staff.say("nei")
    assert "avverges" in reply


async def test_back_on_the_first_question(staff: Conversation) -> None:
    await staff.say("bekymring")
    assert "Du er på første spørsmål" in await staff.say("tilbake")


async def test_cancel_at_any_step_keeps_nothing(staff: Conversation, bot: Bot) -> None:
    await staff.say("bekymring")
    await staff.say("nei")
    await staff.say("nei")
    reply = await staff.say("avbryt")
    assert "er avbrutt" in reply and "Ingenting av det du svarte er lagret" in reply
    assert not await bot.context.dialogs.active(staff.channel.inbound(""))
    assert "Politikontakt" in await staff.say("hvem er politikontakt?")


async def test_cancel_by_its_numbered_choice(staff: Conversation) -> None:
    reply = await staff.say("bekymring")
    cancel_number = next(line.split(")")[0].strip() for line in reply.splitlines() if line.endswith(") Avbryt"))
    assert "er avbrutt" in await staff.say(cancel_number)


async def test_unclear_answer_is_asked_again(staff: Conversation) -> None:
    await staff.say("bekymring")
    reply = await staff.say("kanskje i morgen")
    assert "Det svaret forsto jeg ikke" in reply
    assert "Er noen i akutt fare akkurat nå?" in reply


async def test_help_mid_dialog_explains_and_shows_the_question(staff: Conversation) -> None:
    await staff.say("bekymring")
    reply = await staff.say("hjelp")
    assert "midt i en veiledning" in reply and "Er noen i akutt fare akkurat nå?" in reply


async def test_multi_select_needs_known_choices(staff: Conversation) -> None:
    for answer in ["bekymring", "nei", "nei", "nei", "1", "1", "ja"]:
        await staff.say(answer)
    assert "Hva handler bekymringen om?" in await staff.say("ja")
    reply = await staff.say("1, 99")
    assert "Svar med ett eller flere numre" in reply


async def test_a_button_from_an_earlier_question_does_not_answer_this_one(bot: Bot) -> None:
    user = Inbound("slack", "slack:U1", "slack:D1", text="bekymring")
    first = (await bot.handle(user))[-1]
    button = next(p for p in first.parts if isinstance(p, Choices) and p.action.startswith(DIALOG_ACTION))
    no = Inbound("slack", "slack:U1", "slack:D1", action=button.action, values={"value": "nei"})
    second = await bot.handle(no)
    assert "avverges" in second[-1].plain
    # A double click delivers the same button again: it must not answer the avvergeplikt question.
    again = await bot.handle(no)
    assert "allerede besvart" in again[0].plain
    assert "avverges" in again[-1].plain


async def test_control_buttons_go_back_and_cancel(bot: Bot) -> None:
    await bot.handle(Inbound("teams", "teams:U1", "teams:C1", text="bekymring"))
    await bot.handle(Inbound("teams", "teams:U1", "teams:C1", text="nei"))
    back = Inbound(
        "teams", "teams:U1", "teams:C1", action=f"{CONTROL_ACTION}:bekymring:avvergeplikt", values={"value": "tilbake"}
    )
    assert "akutt fare" in (await bot.handle(back))[-1].plain
    cancel = Inbound(
        "teams", "teams:U1", "teams:C1", action=f"{CONTROL_ACTION}:bekymring:akutt", values={"value": "avbryt"}
    )
    assert "avbrutt" in (await bot.handle(cancel))[0].plain


async def test_dialogs_are_per_user_and_conversation(bot: Bot) -> None:
    await bot.handle(Inbound("slack", "slack:U1", "slack:C1", text="bekymring"))
    other = await bot.handle(Inbound("slack", "slack:U2", "slack:C1", text="nei"))
    assert "akutt fare" not in other[0].plain  # U2 has no dialog: "nei" is a free question to them


async def test_abandoned_dialog_expires(staff: Conversation, bot: Bot, clock: FrozenClock) -> None:
    await staff.say("bekymring")
    clock.advance(hours=25)
    reply = await staff.say("nei")
    assert "ikke brukt på lenge og er slettet" in reply
    assert not await bot.context.dialogs.active(staff.channel.inbound(""))


async def test_expire_deletes_only_stale_dialogs(bot: Bot, clock: FrozenClock) -> None:
    await bot.handle(Inbound("console", "console:a", "console:a", text="bekymring"))
    clock.advance(hours=20)
    await bot.handle(Inbound("console", "console:b", "console:b", text="bekymring"))
    clock.advance(hours=5)
    assert await bot.context.dialogs.expire() == 1
    assert await bot.context.dialogs.active(Inbound("console", "console:b", "console:b"))


async def test_resume_in_the_same_database_after_restart(staff: Conversation, bot: Bot, settings, clock) -> None:  # type: ignore[no-untyped-def]
    from bot.app import build_bot

    await staff.say("bekymring")
    await staff.say("nei")
    await bot.close()
    restarted = build_bot(settings, clock=clock)
    await restarted.start()
    try:
        again = Conversation(restarted, user="ansatt")
        shown = await again.resume()
        assert "Du har en påbegynt veiledning: Bekymring for barn eller unge" in shown
        assert "avverges" in shown
        assert "menneskehandel" in await again.say("nei")  # the next question: opplysningsplikt
    finally:
        await restarted.close()


# --- flow validation --------------------------------------------------------------------------------

MUNICIPALITY = load_municipality(BUNDLED_MUNICIPALITY)


def _flow(steps: dict[str, object], start: str = "a") -> Flow:
    return Flow.model_validate({"id": "test", "title": "Test", "start": start, "steps": steps})


def test_the_bundled_flows_are_sound() -> None:
    for flow in load_flows(MUNICIPALITY, BUNDLED_MUNICIPALITY.parent).values():
        assert flow_problems(flow) == []
        assert flow_gaps(flow, MUNICIPALITY) == [], "the bundled example has every contact and routine its flow needs"


def test_broken_flow_names_each_bad_step() -> None:
    broken = _flow(
        {
            "a": {
                "ask": "Spørsmål?",
                "why": "Fordi.",
                "choices": [
                    {"label": "Ja", "value": "ja", "next": "finnes_ikke"},
                    {"label": "Nei", "value": "nei", "next": "slutt"},
                ],
            },
            "slutt": {"kind": "end", "text": ""},
            "uten_why": {
                "ask": "Hvorfor?",
                "choices": [
                    {"label": "Ja", "value": "ja", "next": "slutt"},
                    {"label": "Nei", "value": "nei", "next": "slutt"},
                ],
            },
            "ukjent_kontakt": {"kind": "end", "text": "Ferdig.", "contacts": ["nobody"]},
        }
    )
    problems = flow_problems(broken)
    assert "steg «a»: går til steget «finnes_ikke», som ikke finnes" in problems
    assert "steg «slutt»: slutt-steget mangler text" in problems
    assert "steg «uten_why»: mangler why (hvorfor vi spør)" in problems
    # A contact the file lacks is a gap the step is shown without, not an error.
    assert not any("ukjent_kontakt" in problem for problem in problems)
    assert flow_gaps(broken, MUNICIPALITY) == [Gap("ukjent_kontakt", "contact", "nobody")]


def test_unreachable_and_dead_end_steps_are_errors() -> None:
    flow = _flow(
        {
            "a": {
                "ask": "Spørsmål?",
                "why": "Fordi.",
                "choices": [
                    {"label": "Ja", "value": "ja", "next": "b"},
                    {"label": "Nei", "value": "nei", "next": "slutt"},
                ],
            },
            "b": {
                "ask": "Igjen?",
                "why": "Fordi.",
                "choices": [{"label": "Ja", "value": "ja", "next": "a"}, {"label": "Nei", "value": "nei", "next": "b"}],
            },
            "slutt": {"kind": "end", "text": "Ferdig."},
            "glemt": {"kind": "end", "text": "Ingen kommer hit."},
        }
    )
    problems = flow_problems(flow)
    assert "steg «glemt»: kan ikke nås fra start" in problems
    assert problems == ["steg «glemt»: kan ikke nås fra start"]  # b can still reach slutt through a


def test_engine_refuses_a_broken_flow_at_start(bot: Bot) -> None:
    flow = _flow({"a": {"kind": "end", "text": "x"}}, start="mangler")
    with pytest.raises(FlowError, match="flyten «test» er ugyldig: start: steget «mangler» finnes ikke"):
        DialogEngine(
            db=bot.db,
            content=Content(MUNICIPALITY),
            clock=bot.context.clock,
            flows={"test": flow},
            hooks={},
            timeout=bot.context.dialogs.timeout,
        )


def test_malformed_flow_file_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "flyt.yaml"
    path.write_text("id: x\ntitle: X\nstart: a\nsteps:\n  a: {kind: kanskje}\n", encoding="utf-8")
    with pytest.raises(FlowError, match=r"flyt.yaml: steps.a.kind"):
        load_flow(path)


@pytest.mark.parametrize("step", ["intro", "status", "none_yet", "function"])
def test_a_flow_error_names_the_step_whatever_it_is_called(tmp_path: Path, step: str) -> None:
    # Step names are the municipality's own words; none may be mistaken for one of pydantic's location tags.
    path = tmp_path / "flyt.yaml"
    path.write_text(f"id: x\ntitle: X\nstart: {step}\nsteps:\n  {step}:\n    choices: [{{value: v}}]\n")
    with pytest.raises(FlowError, match=rf"steps\.{step}\.choices\[0\]\.label: mangler"):
        load_flow(path)


async def test_two_concurrent_clicks_on_the_last_step_make_one_record_and_one_answer(postgres_url: str) -> None:
    """PostgreSQL runs the clicks truly side by side (Slack has several workers): the step's row lock decides."""
    import asyncio

    from bot.app import build_bot
    from bot.config import BUNDLED_MUNICIPALITY, Settings
    from bot.core.messages import Choices
    from storage.escalations import all_escalations

    bot = build_bot(Settings(database_url=postgres_url, municipality_path=BUNDLED_MUNICIPALITY))
    await bot.start()
    try:
        user = Inbound("slack", "slack:U0DOBBEL", "slack:dm:U0DOBBEL", text="bekymring")
        await bot.handle(user)
        asked = await bot.handle(replace(user, text="nei"))  # not acute: now the avvergeplikt question
        action = next(p.action for r in asked for p in r.parts if isinstance(p, Choices) and "dialog:" in p.action)
        click = replace(user, text="", action=action, values={"value": "ja"})
        for _ in range(5):  # several rounds, so the race gets its chances
            first, second = await asyncio.gather(bot.handle(click), bot.handle(click))
            answers = [r.plain for r in [*first, *second] if "Varsle politiet nå" in r.plain]
            assert len(answers) == 1
            await bot.handle(user)
            await bot.handle(replace(user, text="nei"))
        async with bot.db.session() as session:
            assert len(await all_escalations(session)) == 5
    finally:
        await bot.close()
