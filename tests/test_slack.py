"""The Slack channel over real signed HTTP requests into the running aiohttp app, with a local fake Web API."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View
from sqlmodel import select

from bot.app import CHANNELS, build_bot
from bot.channels.slack.channel import SlackChannel
from bot.channels.slack.history import REPLY_EVENT
from bot.channels.slack.inbound import Where
from bot.config import BUNDLED_MUNICIPALITY, Settings
from bot.core.messages import Reply
from bot.runtime.inbox import reference
from storage.models import InboxItem
from tests.conftest import FrozenClock
from tests.running import RunningApp
from tests.slack_fake import (
    BOT_TOKEN,
    SIGNING_SECRET,
    FakeSlackApi,
    block_action,
    command_body,
    event_body,
    interaction_body,
    signed_headers,
    view_submission,
)

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def slack_settings(database_url: str, slack_api: FakeSlackApi) -> Settings:
    return Settings(
        database_url=database_url,
        municipality_path=BUNDLED_MUNICIPALITY,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack_api.url,
    )


class Running(RunningApp):
    """The running app, and helpers to post signed Slack requests into it."""

    async def post(self, body: str, content: dict[str, str], **headers: str) -> tuple[int, str, float]:
        started = time.perf_counter()
        response = await self.client.post(
            "/slack/events", data=body, headers={**content, **signed_headers(body), **headers}
        )
        return response.status, await response.text(), time.perf_counter() - started

    async def command(self, command: str, text: str = "", **kwargs: Any) -> int:
        status, _, _ = await self.post(command_body(command, text, **kwargs), FORM)
        return status

    async def interact(self, payload: dict[str, Any]) -> int:
        status, _, _ = await self.post(interaction_body(payload), FORM)
        return status


def text_of(params: dict[str, Any]) -> str:
    """Everything a user would read in a posted message or view."""
    blocks = params.get("blocks") or params.get("view", {}).get("blocks", [])
    parts = [params.get("text", "")]
    for block in blocks:
        parts.append(str(block.get("text", {}).get("text", "")))
        for element in block.get("elements", []):
            parts.append(str(element.get("text", {}).get("text", "")))
            parts += [str(o.get("text", {}).get("text", "")) for o in element.get("options", [])]
        parts.append(str(block.get("label", {}).get("text", "")))
    return "\n".join(parts)


def assert_valid_blocks(api: FakeSlackApi) -> None:
    """Every block the bot sent parses and validates with slack_sdk's Block Kit models."""
    for method, params in api.calls:
        if method in ("views.open", "views.publish"):
            View(**params["view"]).validate_json()
        for block in params.get("blocks") or []:
            parsed = Block.parse(block)
            assert parsed is not None, block
            parsed.validate_json()


async def test_slash_command_is_acknowledged_at_once_and_answered_ephemerally(
    slack_settings: Settings, slack_api: FakeSlackApi, clock: FrozenClock
) -> None:
    async with Running(slack_settings, clock) as app:
        status, body, seconds = await app.post(command_body("/slt", "hvem er politikontakt?"), FORM)
        assert status == 200 and body == "" and seconds < 1.0
        (posted,) = await slack_api.wait_for("chat.postEphemeral")
        assert posted["channel"] == "C0GENERAL" and posted["user"] == "U0STAFF"
        assert "Ola Testrud" in text_of(posted) and "Kilde: Kontaktinformasjon for SLT" in text_of(posted)
    assert_valid_blocks(slack_api)


async def test_slt_tema_without_text_opens_the_modal(
    slack_settings: Settings, slack_api: FakeSlackApi, clock: FrozenClock
) -> None:
    async with Running(slack_settings, clock) as app:
        assert await app.command("/slt-tema", trigger="trig-modal") == 200
        (opened,) = await slack_api.wait_for("views.open")
        assert opened["trigger_id"] == "trig-modal"
        assert opened["view"]["callback_id"] == "topic-submit" and opened["view"]["type"] == "modal"
        assert "Hva vil du ta opp?" in text_of(opened)
    assert_valid_blocks(slack_api)


async def test_topic_paths_through_slack(slack_settings: Settings, slack_api: FakeSlackApi, clock: FrozenClock) -> None:
    async with Running(slack_settings, clock) as app:
        await app.command("/slt-tema", "Skjermbruk og søvn", trigger="t1")
        (clean,) = await slack_api.wait_for("chat.postMessage")
        assert "lagret anonymt til" in text_of(clean)
        await app.command("/slt-tema", "Eleven Ola Hansen i 7B selger snus", trigger="t2")
        found = (await slack_api.wait_for("chat.postMessage", 2))[1]
        assert "personopplysninger (navn, skole og klasse)" in text_of(found)
        buttons = [e for b in found["blocks"] if b["type"] == "actions" for e in b["elements"]]
        redacted = next(b for b in buttons if b["value"].startswith("redacted:"))
        await app.interact(block_action(redacted["action_id"], redacted["value"], channel="D0STAFF", trigger="t3"))
        stored = (await slack_api.wait_for("chat.postMessage", 3))[2]
        assert "lagret anonymt til" in text_of(stored)
        await app.command("/slt", "stem 1", trigger="t4")
        await app.command("/slt", "stem 1", trigger="t5")
        votes = await slack_api.wait_for("chat.postMessage", 5)
        assert "har nå 1 stemme" in text_of(votes[3]) and "allerede stemt" in text_of(votes[4])
        await app.command("/slt", "temaer", trigger="t6")
        assert "bare for SLT-koordinatorene" in text_of((await slack_api.wait_for("chat.postMessage", 6))[5])
    assert_valid_blocks(slack_api)


async def test_direct_message_is_answered_in_the_dm(
    slack_settings: Settings, slack_api: FakeSlackApi, clock: FrozenClock
) -> None:
    async with Running(slack_settings, clock) as app:
        status, _, _ = await app.post(event_body("når er neste frokostmøte?"), JSON)
        assert status == 200
        (posted,) = await slack_api.wait_for("chat.postMessage")
        assert posted["channel"] == "U0STAFF"
        assert "Neste SLT-frokostmøte er fredag 27. november 2026" in text_of(posted)
    assert_valid_blocks(slack_api)


async def test_a_redelivered_event_is_acknowledged_and_not_answered_twice_even_after_restart(
    slack_settings: Settings, slack_api: FakeSlackApi, clock: FrozenClock
) -> None:
    body = event_body("kontakter", event_id="EvRetry")
    async with Running(slack_settings, clock) as app:
        assert (await app.post(body, JSON))[0] == 200
        await slack_api.wait_for("chat.postMessage")
        status, _, _ = await app.post(body, JSON, **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
        assert status == 200
        await asyncio.sleep(0.3)
        assert len(slack_api.of("chat.postMessage")) == 1
    async with Running(slack_settings, clock) as restarted:  # a new process on the same database
        status, _, _ = await restarted.post(body, JSON, **{"X-Slack-Retry-Num": "2"})
        assert status == 200
        await asyncio.sleep(0.3)
        assert len(slack_api.of("chat.postMessage")) == 1


async def test_forged_and_stale_requests_are_rejected_and_not_processed(
    slack_settings: Settings, slack_api: FakeSlackApi, clock: FrozenClock
) -> None:
    body = command_body("/slt", "kontakter")
    async with Running(slack_settings, clock) as app:
        forged = await app.client.post(
            "/slack/events", data=body, headers={**FORM, **signed_headers(body, secret="not-the-secret")}
        )
        assert forged.status == 401
        stale = await app.client.post(
            "/slack/events", data=body, headers={**FORM, **signed_headers(body, timestamp=int(time.time()) - 600)}
        )
        assert stale.status == 401
        unsigned = await app.client.post("/slack/events", data=body, headers=FORM)
        assert unsigned.status == 401
        await asyncio.sleep(0.2)
        async with app.bot.db.session() as session:
            assert (await session.exec(select(InboxItem))).all() == []
    assert slack_api.of("chat.postEphemeral") == [] and slack_api.of("chat.postMessage") == []


async def test_escalation_dialog_with_buttons(
    slack_settings: Settings, slack_api: FakeSlackApi, clock: FrozenClock
) -> None:
    async with Running(slack_settings, clock) as app:
        await app.command("/slt-bekymring", trigger="b0")
        first = (await slack_api.wait_for("chat.postMessage", 2))[-1]
        assert "Er noen i akutt fare akkurat nå?" in text_of(first)
        no = next(e for b in first["blocks"] if b["type"] == "actions" for e in b["elements"] if e["value"] == "nei")
        await app.interact(block_action(no["action_id"], "nei", channel="D0STAFF", trigger="b1"))
        second = (await slack_api.wait_for("chat.postMessage", 3))[-1]
        assert "avverges" in text_of(second)
        # The same click delivered twice (a double click) changes nothing.
        await app.interact(block_action(no["action_id"], "nei", channel="D0STAFF", trigger="b1"))
        await asyncio.sleep(0.3)
        assert len(slack_api.of("chat.postMessage")) == 3
    # In the channel, only the neutral pointer (to the person alone); the routine itself is in the DM.
    pointers = slack_api.of("chat.postEphemeral")
    assert [p["channel"] for p in pointers] == ["C0GENERAL"] and "privat samtale" in text_of(pointers[0])
    assert {p["channel"] for p in slack_api.of("chat.postMessage")} == {"U0STAFF"}
    assert_valid_blocks(slack_api)


async def test_multi_select_with_checkboxes_and_next(
    slack_settings: Settings, slack_api: FakeSlackApi, clock: FrozenClock
) -> None:
    async with Running(slack_settings, clock) as app:
        await app.command("/slt-bekymring", trigger="m0")
        for number, answer in enumerate(["nei", "nei", "nei", "individual", "videregaende", "ja"], start=1):
            latest = (await slack_api.wait_for("chat.postMessage", number + 1))[-1]
            button = next(
                e for b in latest["blocks"] if b["type"] == "actions" for e in b["elements"] if e.get("value") == answer
            )
            await app.interact(block_action(button["action_id"], answer, channel="D0STAFF", trigger=f"m{number}"))
        categories = (await slack_api.wait_for("chat.postMessage", 8))[-1]
        assert "Hva handler bekymringen om?" in text_of(categories)
        boxes = next(
            e
            for b in categories["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
            if e["type"] == "checkboxes"
        )
        done = next(
            e
            for b in categories["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
            if e.get("value") == "__state__"
        )
        picked = {"type": "checkboxes", "selected_options": [boxes["options"][0], boxes["options"][4]]}
        await app.interact(
            block_action(
                done["action_id"],
                "__state__",
                channel="D0STAFF",
                trigger="m9",
                state={"b9": {boxes["action_id"]: picked}},
            )
        )
        assert "Kan saken drøftes anonymt?" in text_of((await slack_api.wait_for("chat.postMessage", 9))[-1])
    assert_valid_blocks(slack_api)


async def test_view_submission_stores_the_suggestion_and_answers_in_the_dm(
    slack_settings: Settings, slack_api: FakeSlackApi, clock: FrozenClock
) -> None:
    async with Running(slack_settings, clock) as app:
        submission = view_submission("topic-submit", {"tekst": {"type": "plain_text_input", "value": "Trygg skolevei"}})
        status, body, _ = await app.post(interaction_body(submission), FORM)
        assert status == 200 and body == ""  # the modal closes
        (posted,) = await slack_api.wait_for("chat.postMessage")
        assert posted["channel"] == "U0STAFF" and "lagret anonymt til" in text_of(posted)


async def test_app_home_for_staff_and_for_coordinators(
    slack_settings: Settings, slack_api: FakeSlackApi, clock: FrozenClock
) -> None:
    def opened(user: str) -> str:
        import json

        return json.dumps(
            {
                "type": "event_callback",
                "event_id": f"EvHome{user}",
                "team_id": "T0EKS",
                "event": {"type": "app_home_opened", "user": user, "tab": "home", "channel": "D1"},
            }
        )

    async with Running(slack_settings, clock) as app:
        await app.post(opened("U0STAFF"), JSON)
        (staff,) = await slack_api.wait_for("views.publish")
        assert staff["user_id"] == "U0STAFF" and staff["view"]["type"] == "home"
        assert "SLT-frokostmøte" in text_of(staff) and "Foreslå tema" in text_of(staff)
        assert "Siste bekymringer" not in text_of(staff)
        await app.post(opened("U0EKSKOORD"), JSON)
        coordinator = (await slack_api.wait_for("views.publish", 2))[1]
        assert "Nye temaforslag" in text_of(coordinator) and "Siste bekymringer" in text_of(coordinator)
        shortcut = next(
            e
            for b in staff["view"]["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
            if e["value"] == "kontakter"
        )
        home_click = block_action(shortcut["action_id"], "kontakter", trigger="h1")
        home_click["container"] = {"type": "view", "view_id": "V0HOME"}
        home_click["view"] = {"type": "home", "id": "V0HOME"}
        del home_click["channel"]
        await app.interact(home_click)
        (answer,) = await slack_api.wait_for("chat.postMessage")
        assert answer["channel"] == "U0STAFF" and "Politikontakt" in text_of(answer)
    assert_valid_blocks(slack_api)


async def test_rate_limited_reply_waits_for_retry_after(
    slack_settings: Settings, slack_api: FakeSlackApi, clock: FrozenClock
) -> None:
    slack_api.fail_next("chat.postMessage", 429, "ratelimited", {"Retry-After": "1"})
    async with Running(slack_settings, clock) as app:
        started = time.monotonic()
        await app.post(event_body("kontakter", event_id="Ev429"), JSON)
        await slack_api.wait_for("chat.postMessage", 2, timeout=10)
        assert time.monotonic() - started >= 0.9  # it waited as Slack asked, then sent


async def test_unfinished_inbox_items_are_processed_on_start(
    slack_settings: Settings, slack_api: FakeSlackApi, clock: FrozenClock
) -> None:
    crashed = build_bot(slack_settings, clock=clock)
    await crashed.start()
    inbound = {
        "channel": "slack",
        "user_id": "slack:U0STAFF",
        "conversation_id": "slack:dm:U0STAFF",
        "text": "kontakter",
        "action": None,
        "values": {},
        "direct": True,
    }
    where = {"channel": None, "user": "U0STAFF", "is_dm": True, "trigger_id": "", "response_url": ""}
    async with crashed.db.session() as session:
        session.add(
            InboxItem(
                key="event:EvCrash", channel="slack", received_at=clock(), payload={"inbound": inbound, "where": where}
            )
        )
    await crashed.close()
    clock.advance(seconds=11)  # the crashed process's hold on its items has run out
    async with Running(slack_settings, clock) as app:
        (posted,) = await slack_api.wait_for("chat.postMessage")
        assert "Kontakter i SLT-arbeidet" in text_of(posted)
        await asyncio.sleep(0.1)
        async with app.bot.db.session() as session:
            item = await session.get(InboxItem, "event:EvCrash")
            assert item is not None and item.processed_at is not None and item.payload == {}


def _crashed_item(key: str, text: str, clock: FrozenClock) -> InboxItem:
    """An inbox row a crashed process left unprocessed: a DM to the bot from U0STAFF."""
    inbound = {
        "channel": "slack",
        "user_id": "slack:U0STAFF",
        "conversation_id": "slack:dm:U0STAFF",
        "text": text,
        "action": None,
        "values": {},
        "direct": True,
    }
    where = {"channel": None, "user": "U0STAFF", "is_dm": True, "trigger_id": "", "response_url": ""}
    return InboxItem(key=key, channel="slack", received_at=clock(), payload={"inbound": inbound, "where": where})


async def _until_processed(app: Running, *keys: str) -> None:
    """Wait until each inbox item is done: marked processed, its payload cleared."""
    deadline = time.monotonic() + 5
    while True:
        async with app.bot.db.session() as session:
            items = [await session.get(InboxItem, key) for key in keys]
        if all(item is not None and item.processed_at is not None and item.payload == {} for item in items):
            return
        assert time.monotonic() < deadline, "the items taken over were not finished"
        await asyncio.sleep(0.02)


async def test_a_reply_found_in_the_dm_after_a_crash_is_not_sent_again(
    slack_settings: Settings, slack_api: FakeSlackApi, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    crashed = build_bot(slack_settings, clock=clock)
    await crashed.start()
    async with crashed.db.session() as session:
        session.add(_crashed_item("event:EvAnswered", "kontakter", clock))
        session.add(_crashed_item("event:EvNotAnswered", "hjelp", clock))
        session.add(_crashed_item("event:EvChanged", "hjelp", clock))
    await crashed.close()
    # The crashed process had posted the first item's reply (its metadata carries the item's tag), not marked it;
    # and one of three replies of an item that, run again, answers with one.
    tag = {"event_type": REPLY_EVENT, "event_payload": {"ref": reference("event:EvAnswered"), "part": 0, "of": 1}}
    slack_api.dms.record({"channel": "U0STAFF", "text": "Kontakter", "metadata": tag})
    tag = {"event_type": REPLY_EVENT, "event_payload": {"ref": reference("event:EvChanged"), "part": 0, "of": 3}}
    slack_api.dms.record({"channel": "U0STAFF", "text": "Noe annet", "metadata": tag})
    clock.advance(seconds=11)  # the crashed process's hold on its items has run out
    caplog.set_level(logging.INFO)
    async with Running(slack_settings, clock) as app:
        await _until_processed(app, "event:EvAnswered", "event:EvNotAnswered", "event:EvChanged")
        posted = slack_api.of("chat.postMessage")  # the answered item was not answered again
        assert not any("Kontakter i SLT-arbeidet" in text_of(post) for post in posted)
        refs = sorted(post["metadata"]["event_payload"]["ref"] for post in posted)
        assert refs == sorted([reference("event:EvNotAnswered"), reference("event:EvChanged")])
    assert "replaying 3 items taken over" in caplog.text
    assert "answers differently now; all its replies are sent" in caplog.text
    assert caplog.text.count("had been answered before the crash (found in Slack)") == 1


async def test_only_the_replies_not_found_after_a_crash_are_posted(
    slack_settings: Settings, slack_api: FakeSlackApi, clock: FrozenClock
) -> None:
    async with Running(slack_settings, clock) as app:
        assert app.client.server is not None
        (channel,) = [c for c in app.client.server.app[CHANNELS] if isinstance(c, SlackChannel)]
        where, ref = Where(None, "U0STAFF", True), reference("event:EvTwo")
        since = clock() - dt.timedelta(seconds=5)
        assert await channel.delivery.answered_before(where, ref, since) == (frozenset(), 0)
        replies = [Reply.text("Første svar"), Reply.text("Andre svar")]
        await channel.delivery.deliver(replies, where, ref=ref, skip=frozenset({1}))  # the crash came in between
        for number in range(250):  # a busy DM since: the reply is on the second page of the history
            slack_api.dms.record({"channel": "U0STAFF", "text": f"Senere {number}"})
        found = await channel.delivery.answered_before(where, ref, since)
        assert found == (frozenset({0}), 2)
        await channel.delivery.deliver(replies, where, ref=ref, skip=found[0])
        assert [p["text"] for p in slack_api.of("chat.postMessage")] == ["Første svar", "Andre svar"]
        assert slack_api.of("conversations.history")[-1]["channel"] == "DU0STAFF"  # asked by the DM's id
        assert await channel.delivery.answered_before(where, reference("event:EvOther"), since) == (frozenset(), 0)
        slack_api.fail_next("conversations.history", 200, "missing_scope")  # an install without im:history
        # Not knowing whether it arrived means answering again: a double is better than a lost answer.
        assert await channel.delivery.answered_before(where, ref, since) == (frozenset(), 0)


async def test_reminders_are_posted_through_the_slack_notifier(
    slack_settings: Settings, slack_api: FakeSlackApi, clock: FrozenClock
) -> None:
    import datetime as dt

    from bot.runtime.outbox import OutboxWorker
    from handlers.reminders import queue_due_reminders

    clock.now = dt.datetime(2026, 11, 26, 12, 0, tzinfo=clock.now.tzinfo)
    async with Running(slack_settings, clock) as app:
        await queue_due_reminders(app.bot.context)
        from slack_sdk.web.async_client import AsyncWebClient

        from bot.channels.slack.notifier import SlackNotifier
        from bot.channels.slack.oauth import SlackTokens

        client = AsyncWebClient(token=BOT_TOKEN, base_url=slack_api.url)
        notifier = SlackNotifier(client, SlackTokens(slack_settings, app.bot.db.engine, client), {})
        await OutboxWorker(db=app.bot.db, clock=clock, notifiers={"slack": notifier}).deliver_due()
        (posted,) = await slack_api.wait_for("chat.postMessage")
        assert posted["channel"] == "C0EKSSLT" and "I morgen: SLT-frokostmøte" in text_of(posted)
    assert_valid_blocks(slack_api)


async def test_a_proactive_dm_that_arrived_before_a_crash_is_found_and_a_channel_is_never_read(
    slack_settings: Settings, slack_api: FakeSlackApi, clock: FrozenClock
) -> None:
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.channels.slack.notifier import SlackNotifier
    from bot.channels.slack.oauth import SlackTokens

    async with Running(slack_settings, clock) as app:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=slack_api.url)
        notifier = SlackNotifier(client, SlackTokens(slack_settings, app.bot.db.engine, client), {})
        since = clock() - dt.timedelta(minutes=5)
        assert not await notifier.arrived("slack:U0KOORD", "tag-1", since=since)
        await notifier.send("slack:U0KOORD", Reply.text("Ukens oppsummering"), tag="tag-1")
        await notifier.send("slack:C0EKSSLT", Reply.text("Påminnelse"), tag="tag-2")
        (dm, post) = slack_api.of("chat.postMessage")
        assert dm["metadata"]["event_payload"]["ref"] == "tag-1" and "metadata" not in post  # a channel: no tag
        assert await notifier.arrived("slack:U0KOORD", "tag-1", since=since)
        assert not await notifier.arrived("slack:U0KOORD", "tag-3", since=since)
        calls = len(slack_api.calls)
        assert not await notifier.arrived("slack:C0EKSSLT", "tag-2", since=since)
        assert len(slack_api.calls) == calls  # a channel's messages are not the bot's to read


async def test_a_reply_that_cannot_be_delivered_is_queued_not_lost(
    slack_settings: Settings, slack_api: FakeSlackApi, clock: FrozenClock
) -> None:
    from storage.outbox import pending_for

    slack_api.fail_next("chat.postMessage", 500, "internal_error")
    slack_api.fail_next("chat.postMessage", 500, "internal_error")
    async with Running(slack_settings, clock) as app:
        await app.post(event_body("kontakter", event_id="EvFail"), JSON)
        await slack_api.wait_for("chat.postMessage", 1)
        for _ in range(100):
            async with app.bot.db.session() as session:
                queued = await pending_for(session, target="slack:U0STAFF")
            if queued:
                break
            await asyncio.sleep(0.02)
        assert queued and "Kontakter i SLT-arbeidet" in str(queued[0].payload)


async def test_socket_mode_connects_with_an_app_token_and_serves_no_http_route(
    database_url: str, slack_api: FakeSlackApi, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

    connected: list[str] = []

    async def connect(self: AsyncSocketModeHandler) -> None:
        connected.append(self.app_token)

    async def close(self: AsyncSocketModeHandler) -> None:
        connected.append("closed")

    monkeypatch.setattr(AsyncSocketModeHandler, "connect_async", connect)
    monkeypatch.setattr(AsyncSocketModeHandler, "close_async", close)
    settings = Settings(
        database_url=database_url,
        municipality_path=BUNDLED_MUNICIPALITY,
        slack_bot_token=BOT_TOKEN,
        slack_app_token="xapp-test",
        slack_api_url=slack_api.url,
    )
    async with Running(settings, clock) as app:
        assert connected == ["xapp-test"]
        response = await app.client.post("/slack/events", data="x")
        assert response.status == 404  # no public URL needed or served
    assert connected == ["xapp-test", "closed"]


# --- trust: malformed input is a 4xx, the Web API being down changes nothing, private work leaves the channel ---


def _malformed_requests() -> list[tuple[str, dict[str, str]]]:
    """Signed requests that are broken in the ways real traffic and attackers break them."""
    action = block_action("x", "y")
    return [
        ("{broken", JSON),
        ('{"type": "event_callback", "event": "not an object"}', JSON),
        ('{"type": "event_callback", "event": {"type": "message", "channel_type": "im"}}', JSON),
        ('{"type": "event_callback", "event": {"type": "app_mention", "user": 5, "text": ["x"]}}', JSON),
        ('{"type": "event_callback", "event": {"type": "app_home_opened", "tab": "home"}}', JSON),
        ("[1, 2, 3]", JSON),
        ("payload=%7Bbroken", FORM),
        ("payload=%5B%5D", FORM),
        (interaction_body({**action, "actions": "not a list"}), FORM),
        (interaction_body({**action, "actions": []}), FORM),
        (interaction_body({**action, "actions": [{"no": "action id"}]}), FORM),
        (interaction_body({**action, "user": None}), FORM),
        (interaction_body({"type": "view_submission", "view": None, "user": {"id": "U1"}}), FORM),
        (interaction_body({"type": "view_submission", "view": {"private_metadata": "{x"}, "user": {"id": "U1"}}), FORM),
        ("command=%2Fslt", FORM),
        ("command=%2Fslt&user_id=U1&text=%ED%A0%80", FORM),
        ("command=%2Fslt-tema&user_id=U1&trigger_id=t&text=" + "a" * 200_000, FORM),
        ("\x00\xff", FORM),
    ]


async def test_malformed_signed_requests_get_4xx_never_5xx(
    slack_settings: Settings, slack_api: FakeSlackApi, clock: FrozenClock
) -> None:
    async with Running(slack_settings, clock) as app:
        statuses = [(await app.post(body, content))[0] for body, content in _malformed_requests()]
        # Still healthy and answering afterwards.
        assert (await app.client.get("/healthz")).status == 200
        assert await app.command("/slt", "kontakter", trigger="after") == 200
        await slack_api.wait_for("chat.postMessage")
    assert [s for s in statuses if s >= 500] == [], statuses
    assert len(statuses) == 18


async def test_a_slash_command_is_verified_and_acknowledged_while_the_web_api_is_down(
    database_url: str, clock: FrozenClock
) -> None:
    settings = Settings(
        database_url=database_url,
        municipality_path=BUNDLED_MUNICIPALITY,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url="http://127.0.0.1:9/api/",  # nothing listens there: auth.test and every call fail
    )
    async with Running(settings, clock) as app:
        status, _, seconds = await app.post(command_body("/slt", "kontakter"), FORM)
        event_status, _, _ = await app.post(event_body("hei", event_id="EvDown"), JSON)
        forged = await app.client.post("/slack/events", data="command=%2Fslt", headers=FORM)
    assert status == 200 and event_status == 200 and seconds < 1.0
    assert forged.status == 401


async def test_a_coordinator_command_in_a_channel_goes_to_the_dm(
    slack_settings: Settings, slack_api: FakeSlackApi, clock: FrozenClock
) -> None:
    mention = json.dumps(
        {
            "type": "event_callback",
            "team_id": "T0EKS",
            "event_id": "EvMention",
            "event": {
                "type": "app_mention",
                "user": "U0EKSKOORD",
                "text": "<@UBOT> oppsummering",
                "channel": "C0GENERAL",
                "ts": "1700000000.000300",
            },
        }
    )
    async with Running(slack_settings, clock) as app:
        assert (await app.post(mention, JSON))[0] == 200
        (digest,) = await slack_api.wait_for("chat.postMessage")
        (pointer,) = await slack_api.wait_for("chat.postEphemeral")
    assert digest["channel"] == "U0EKSKOORD" and "Oppsummering" in text_of(digest)
    assert pointer["channel"] == "C0GENERAL" and pointer["user"] == "U0EKSKOORD"
    assert "Oppsummering" not in text_of(pointer)


async def test_measures_with_buttons_and_the_year_wheel_through_slack(
    slack_settings: Settings, slack_api: FakeSlackApi, clock: FrozenClock
) -> None:
    import datetime as dt

    from storage.models import Measure

    async with Running(slack_settings, clock) as app:
        async with app.bot.db.session() as session:
            session.add(
                Measure(
                    outcome_id=1,
                    what="Foreldremøte om rus",
                    responsible="Skole",
                    due=dt.date(2026, 12, 15),
                    coordinator="slack:U0EKSKOORD",
                    updated_at=clock(),
                )
            )
        await app.command("/slt", "tiltak", user="U0EKSKOORD", channel="D0KOORD", trigger="m0")
        (listing,) = await slack_api.wait_for("chat.postMessage")
        assert "#1 Foreldremøte om rus · Skole · frist 15. desember 2026" in text_of(listing)
        done = next(
            e for b in listing["blocks"] if b["type"] == "actions" for e in b["elements"] if e["value"] == "done"
        )
        await app.interact(block_action(done["action_id"], "done", user="U0EKSKOORD", channel="D0KOORD", trigger="m1"))
        marked = (await slack_api.wait_for("chat.postMessage", 2))[-1]
        assert "merket som gjennomført" in text_of(marked)
        # Staff cannot press a coordinator's button (a forged or forwarded one).
        await app.interact(block_action(done["action_id"], "drop", channel="D0STAFF", trigger="m2"))
        refused = (await slack_api.wait_for("chat.postMessage", 3))[-1]
        assert "bare for SLT-koordinatorene" in text_of(refused)
        await app.command("/slt", "årshjul", trigger="w0")
        wheel = (await slack_api.wait_for("chat.postEphemeral"))[-1]
        assert "Årshjul for SLT i Eksempel kommune 2026" in text_of(wheel) and "Mars" in text_of(wheel)
    assert_valid_blocks(slack_api)
