"""Router and console paths not covered by the assistant: coordinator-only commands, actions, console forms."""

from __future__ import annotations

import io

from bot.core.bot import Bot
from bot.core.context import Context
from bot.core.messages import Choice, Choices, Form, FormField, Inbound, Reply, Text
from tests.conversation import Conversation


async def _secret(inbound: Inbound, ctx: Context) -> list[Reply]:
    return [Reply.text("hemmelig liste")]


async def _form(inbound: Inbound, ctx: Context) -> list[Reply]:
    fields = (
        FormField("tema", "Hva vil du ta opp?"),
        FormField(
            "niva", "Hvilket nivå?", kind="select", options=(Choice("Skole", "skole"), Choice("Fritid", "fritid"))
        ),
    )
    return [Reply(parts=(Text("Fyll ut:"), Form(action="test-form", title="Forslag", fields=fields)))]


async def _echo(inbound: Inbound, ctx: Context) -> list[Reply]:
    return [Reply.text(f"mottatt {dict(inbound.values)}")]


async def _menu(inbound: Inbound, ctx: Context) -> list[Reply]:
    return [Reply(parts=(Choices(action="test-form", options=(Choice("Første", "a"), Choice("Andre", "b"))),))]


def _register(bot: Bot) -> None:
    bot.router.command("hemmelig", coordinators_only=True)(_secret)
    bot.router.command("skjematest")(_form)
    bot.router.command("menytest")(_menu)
    bot.router.action("test-form")(_echo)


async def test_coordinator_only_commands_are_refused_politely(bot: Bot, staff: Conversation) -> None:
    _register(bot)
    reply = await staff.say("hemmelig")
    assert "bare for SLT-koordinatorene" in reply and "hemmelig liste" not in reply


async def test_coordinators_may_use_them(bot: Bot, coordinator: Conversation) -> None:
    _register(bot)
    assert "hemmelig liste" in await coordinator.say("hemmelig")


async def test_unknown_action_gets_a_friendly_reply(bot: Bot) -> None:
    replies = await bot.handle(Inbound("slack", "slack:U1", "slack:C1", action="gammel-knapp:1"))
    assert "ikke i bruk lenger" in replies[0].plain


async def test_dialog_button_after_the_dialog_ended(bot: Bot) -> None:
    replies = await bot.handle(
        Inbound("slack", "slack:U1", "slack:C1", action="dialog:bekymring:akutt", values={"value": "nei"})
    )
    assert "avsluttet" in replies[0].plain


async def test_console_numbers_map_to_the_choices_just_shown(bot: Bot, staff: Conversation) -> None:
    _register(bot)
    assert "2) Andre" in await staff.say("menytest")
    assert "mottatt {'value': 'b'}" in await staff.say("2")


async def test_console_fills_a_form_one_prompt_per_field(bot: Bot, staff: Conversation) -> None:
    _register(bot)
    staff.channel.stdin = io.StringIO("Skjermbruk blant 8. trinn\n2\n")
    reply = await staff.say("skjematest")
    assert "Hva vil du ta opp?:" in reply and "2) Fritid" in reply
    assert "mottatt {'tema': 'Skjermbruk blant 8. trinn', 'niva': 'fritid'}" in reply


async def test_console_form_can_be_cancelled_and_nothing_is_sent(bot: Bot, staff: Conversation) -> None:
    _register(bot)
    staff.channel.stdin = io.StringIO("avbryt\n")
    reply = await staff.say("skjematest")
    assert "Skjemaet er avbrutt" in reply and "mottatt" not in reply


async def test_console_form_at_end_of_input_sends_nothing(bot: Bot, staff: Conversation) -> None:
    _register(bot)
    staff.channel.stdin = io.StringIO("bare ett svar\n")
    reply = await staff.say("skjematest")
    assert "mottatt" not in reply
