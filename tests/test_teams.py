"""The Teams channel: real Bot Framework activities into the running aiohttp app, a local fake connector."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bot.channels.teams.render import CARD_CONTENT_TYPE, activity
from bot.config import BUNDLED_MUNICIPALITY, Settings
from bot.core.bot import Bot
from bot.core.messages import Inbound, Reply
from storage.models import Measure
from tests.conftest import FrozenClock
from tests.running import RunningApp
from tests.teams_fake import FakeConnector, installed, message

CARD_SCHEMA = json.loads((Path(__file__).parent / "data" / "adaptive-card-1.5.json").read_text(encoding="utf-8"))
CARD_VALIDATOR = jsonschema.Draft6Validator(CARD_SCHEMA)


@pytest.fixture
def teams_settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, municipality_path=BUNDLED_MUNICIPALITY, teams_emulator=True)


class Running(RunningApp):
    """The running app, and a helper to post Bot Framework activities into it."""

    async def send(self, activity_json: dict[str, Any], **headers: str) -> int:
        response = await self.client.post("/api/messages", json=activity_json, headers=headers)
        return response.status


def card_of(posted: dict[str, Any]) -> dict[str, Any]:
    (attachment,) = posted["attachments"]
    assert attachment["contentType"] == CARD_CONTENT_TYPE
    return dict(attachment["content"])


def text_of(posted: dict[str, Any]) -> str:
    return json.dumps(posted, ensure_ascii=False)


def assert_valid_card(content: dict[str, Any]) -> None:
    errors = sorted(CARD_VALIDATOR.iter_errors(content), key=str)
    assert errors == [], [f"{list(e.path)}: {e.message}" for e in errors[:3]]
    assert len(json.dumps(content).encode()) < 100_000


async def test_a_question_is_answered_with_a_card(
    teams_settings: Settings, connector: FakeConnector, clock: FrozenClock
) -> None:
    async with Running(teams_settings, clock) as app:
        status = await app.send(message(connector.url, "hvem er politikontakt?", activity_id="q1"))
        assert status == 200
        (posted,) = await connector.wait_for(1)
    assert connector.paths == ["/v3/conversations/a:personal-staff/activities/q1"]
    assert posted["replyToId"] == "q1" and posted["recipient"]["aadObjectId"] == "aad-staff"
    content = card_of(posted)
    assert_valid_card(content)
    assert "Ola Testrud" in text_of(posted) and "Kilde: Kontaktinformasjon for SLT" in text_of(posted)


async def test_a_card_submit_in_the_escalation_dialog(
    teams_settings: Settings, connector: FakeConnector, clock: FrozenClock
) -> None:
    async with Running(teams_settings, clock) as app:
        await app.send(message(connector.url, "bekymring"))
        first = card_of((await connector.wait_for(2))[-1])
        assert_valid_card(first)
        no = next(
            a
            for block in first["body"]
            if block["type"] == "ActionSet"
            for a in block["actions"]
            if a["data"].get("value") == "nei"
        )
        assert no["type"] == "Action.Submit" and no["data"]["action"] == "dialog:bekymring:akutt"
        await app.send(message(connector.url, value=no["data"]))
        second = (await connector.wait_for(3))[-1]
        assert "avverges" in text_of(second)


async def test_install_welcomes_and_saves_the_reference(
    teams_settings: Settings, connector: FakeConnector, clock: FrozenClock
) -> None:
    async with Running(teams_settings, clock) as app:
        assert await app.send(installed(connector.url)) == 200
        (welcome,) = await connector.wait_for(1)
        assert "Hei! Jeg er SLT-assistenten for Eksempel kommune" in welcome["text"]
        from storage.references import find_reference

        async with app.bot.db.session() as session:
            reference = await find_reference(session, target="19:slt-kanal@thread.tacv2")
        assert reference is not None and reference["serviceUrl"] == connector.url


async def test_a_redelivered_activity_is_not_processed_twice(
    teams_settings: Settings, connector: FakeConnector, clock: FrozenClock
) -> None:
    activity_json = message(connector.url, "kontakter", activity_id="same-id")
    async with Running(teams_settings, clock) as app:
        await app.send(activity_json)
        await connector.wait_for(1)
        assert await app.send(activity_json) == 200
    assert len(connector.posted) == 1


async def test_a_mention_in_a_channel_is_stripped(
    teams_settings: Settings, connector: FakeConnector, clock: FrozenClock
) -> None:
    async with Running(teams_settings, clock) as app:
        await app.send(
            message(
                connector.url,
                "<at>SLT-assistenten</at> kontakter",
                kind="channel",
                conversation="19:general@thread.tacv2",
            )
        )
        (posted,) = await connector.wait_for(1)
    assert "Kontakter i SLT-arbeidet" in text_of(posted)


async def test_with_an_app_id_unauthenticated_requests_get_401_and_no_reply(
    database_url: str, connector: FakeConnector, clock: FrozenClock
) -> None:
    settings = Settings(
        database_url=database_url,
        municipality_path=BUNDLED_MUNICIPALITY,
        microsoft_app_id="00000000-0000-0000-0000-000000000001",
        microsoft_app_password="x",
    )
    async with Running(settings, clock) as app:
        assert await app.send(message(connector.url, "kontakter")) == 401
        assert await app.send(message(connector.url, "kontakter"), Authorization="Bearer not-a-jwt") == 401
    assert connector.posted == []


async def test_malformed_requests_get_4xx(
    teams_settings: Settings, connector: FakeConnector, clock: FrozenClock
) -> None:
    async with Running(teams_settings, clock) as app:
        assert (
            await app.client.post("/api/messages", data="not json", headers={"Content-Type": "application/json"})
        ).status == 400
        assert (await app.client.post("/api/messages", data="x", headers={"Content-Type": "text/plain"})).status == 415
        assert await app.send({"text": "no type"}) == 400


async def test_a_proactive_post_after_a_restart(
    teams_settings: Settings, connector: FakeConnector, clock: FrozenClock
) -> None:
    async with Running(teams_settings, clock) as app:
        await app.send(message(connector.url, "hei", user="aad-koord", conversation="a:personal-koord"))
        await connector.wait_for(1)
    async with Running(teams_settings, clock) as restarted:  # a new process: only the database remembers
        from bot.channels.teams.connector import TeamsConnector
        from bot.channels.teams.notifier import TeamsNotifier
        from bot.runtime.conversations import Conversations

        outbound = TeamsConnector(teams_settings)
        await outbound.start()
        try:
            await TeamsNotifier(Conversations(restarted.bot.db), outbound).send(
                "teams:aad-koord", Reply.text("Ukens oppsummering")
            )
        finally:
            await outbound.close()
    assert connector.posted[-1]["text"] == "Ukens oppsummering"
    assert connector.paths[-1] == "/v3/conversations/a:personal-koord/activities"


async def test_every_card_the_bot_can_send_validates(bot: Bot) -> None:
    """Walk the bot's features and render every reply: all cards must be valid Adaptive Card 1.5."""
    user = "console:koordinator"
    said = [
        "hjelp",
        "kontakter",
        "rutiner",
        "møteplan",
        "hvem er politikontakt?",
        "tema",
        "tema Ola i 7B røyker",
        "stem",
        "temaer",
        "referat",
        "flytt",
        "avlys",
        "oppsummering",
        "bekymringer",
        "referater",
        "tiltak",
        "årshjul",
        "rapport",
        "bekymring",
        "nei",
        "nei",
        "nei",
        "1",
        "1",
        "ja",
        "ja",
    ]
    async with bot.db.session() as session:
        session.add(Measure(outcome_id=1, what="Foreldremøte", coordinator=user, updated_at=bot.context.clock()))
    replies: list[Reply] = []
    for text in said:
        replies += await bot.handle(Inbound("teams", user, "teams:c1", text=text))
    clicks = [Inbound("teams", user, "teams:c1", action="measure:1", values={"value": v}) for v in ("evaluate", "move")]
    for click in clicks:
        replies += await bot.handle(click)
    cards = [card_of(activity(r)) for r in replies if activity(r).get("attachments")]
    assert len(cards) > 15
    for content in cards:
        assert_valid_card(content)
    kinds = {element["type"] for content in cards for element in content["body"]}
    assert {"TextBlock", "FactSet", "ActionSet", "Input.Text", "Input.Date", "Input.ChoiceSet"} <= kinds


# --- trust: the door exists only when configured, posts go only to Bot Framework hosts, private stays private ---


async def test_no_teams_door_unless_configured(database_url: str, clock: FrozenClock) -> None:
    settings = Settings(database_url=database_url, municipality_path=BUNDLED_MUNICIPALITY)
    async with Running(settings, clock) as app:
        assert await app.send(message("http://127.0.0.1:1/", "kontakter")) in (404, 405)


def test_emulator_mode_and_an_app_id_together_are_refused() -> None:
    from bot.config import SettingsError, load_settings

    with pytest.raises(SettingsError, match="SLT_TEAMS_EMULATOR"):
        load_settings({"SLT_TEAMS_EMULATOR": "1", "MICROSOFT_APP_ID": "00000000-0000-0000-0000-000000000001"})
    assert load_settings({"SLT_TEAMS_EMULATOR": "1"}).teams_enabled
    assert not load_settings({}).teams_enabled


def test_service_url_allowlist() -> None:
    from bot.channels.teams.service_url import allowed

    for good in ("https://smba.trafficmanager.net/emea/", "https://europe.webchat.botframework.com/"):
        assert allowed(good, emulator=False), good
    for bad in (
        "http://smba.trafficmanager.net/emea/",  # not https
        "https://smba.trafficmanager.net.evil.example/",
        "https://evilbotframework.com/",
        "https://user:pw@smba.trafficmanager.net/",
        "http://127.0.0.1:18777/internal/",
        "http://10.0.0.5/",
        "https://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
        "https://smba.trafficmanager.net:99999/",
        "",
    ):
        assert not allowed(bad, emulator=False), bad
    assert allowed("http://127.0.0.1:18777/", emulator=True) and allowed("http://localhost:3978/", emulator=True)
    assert not allowed("https://smba.trafficmanager.net/emea/", emulator=True)  # emulator mode: loopback only
    assert not allowed("http://10.0.0.5/", emulator=True)


async def test_an_activity_naming_an_internal_service_url_is_refused_and_nothing_is_posted(
    teams_settings: Settings, connector: FakeConnector, clock: FrozenClock
) -> None:
    internal = FakeConnector()  # stands in for a service inside the municipality's network
    await internal.start()
    try:
        async with Running(teams_settings, clock) as app:
            forged = message(internal.url.replace("127.0.0.1", "127.0.0.1.nip.io"), "kontakter")
            assert await app.send(forged) == 400
            assert await app.send(message("http://10.1.2.3:18777/internal/", "kontakter")) == 400
            # Proactive posts check too: a reference that somehow names another host is never posted to.
            from bot.channels.teams.connector import TeamsConnector
            from bot.runtime.outbox import SendFailed

            outbound = TeamsConnector(teams_settings)
            await outbound.start()
            try:
                reference = {"serviceUrl": "https://attacker.example/", "conversation": {"id": "x"}, "bot": {}}
                with pytest.raises(SendFailed):
                    await outbound.post(reference, {"type": "message", "text": "x"})
            finally:
                await outbound.close()
    finally:
        await internal.close()
    assert internal.posted == [] and connector.posted == []


async def test_the_escalation_routine_asked_for_in_a_channel_continues_in_the_personal_chat(
    teams_settings: Settings, connector: FakeConnector, clock: FrozenClock
) -> None:
    channel = "19:ansatte@thread.tacv2"
    async with Running(teams_settings, clock) as app:
        await app.send(
            message(connector.url, "<at>SLT-assistenten</at> bekymring", kind="channel", conversation=channel)
        )
        posted = await connector.wait_for(3)
    in_channel = [a for a, path in zip(posted, connector.paths, strict=True) if channel in path]
    in_personal = [a for a, path in zip(posted, connector.paths, strict=True) if "a:personal-aad-staff" in path]
    # The channel gets one neutral pointer, nothing of the routine; the routine is in the personal chat.
    assert len(in_channel) == 1 and "privat samtale" in text_of(in_channel[0])
    assert "akutt fare" not in text_of(in_channel[0])
    assert any("akutt fare" in text_of(a) for a in in_personal)
    (created,) = connector.created
    assert created["members"] == [{"id": "29:aad-staff", "aadObjectId": "aad-staff"}]
    assert created["tenantId"] == "tenant-eks"


async def test_an_answer_in_the_personal_chat_continues_the_dialog_started_in_a_channel(
    teams_settings: Settings, connector: FakeConnector, clock: FrozenClock
) -> None:
    async with Running(teams_settings, clock) as app:
        await app.send(message(connector.url, "bekymring", kind="channel", conversation="19:ansatte@thread.tacv2"))
        await connector.wait_for(3)
        # The person answers in the personal chat the bot opened; the dialog is theirs there.
        await app.send(message(connector.url, "nei", conversation="a:personal-aad-staff"))
        assert "avverges" in text_of((await connector.wait_for(4))[-1])


async def test_without_a_personal_chat_nothing_private_is_posted_in_the_channel(
    teams_settings: Settings, connector: FakeConnector, clock: FrozenClock
) -> None:
    connector.refuse_personal = True  # the app is not installed for this user: Teams answers 403
    channel = "19:ansatte@thread.tacv2"
    async with Running(teams_settings, clock) as app:
        await app.send(message(connector.url, "bekymring", kind="groupChat", conversation=channel))
        posted = await connector.wait_for(2)
        await asyncio.sleep(0.1)
    assert len(posted) == 2 and all(channel in path for path in connector.paths)
    assert "privat" in text_of(posted[0]) and "Legg til" in text_of(posted[1])
    assert all("akutt" not in text_of(a) for a in posted)


async def test_references_keep_no_display_names(
    teams_settings: Settings, connector: FakeConnector, clock: FrozenClock
) -> None:
    async with Running(teams_settings, clock) as app:
        await app.send(message(connector.url, "kontakter", kind="channel", conversation="19:c@thread.tacv2"))
        await app.send(message(connector.url, "kontakter"))
        await connector.wait_for(2)
        from sqlalchemy import text as sql

        async with app.bot.db.engine.connect() as connection:
            rows = (await connection.execute(sql("SELECT kind, reference FROM conversation_reference"))).all()
    assert len(rows) == 2
    assert all('"Ansatt"' not in str(reference) for _, reference in rows)
    channel_reference = next(json.loads(r) if isinstance(r, str) else r for kind, r in rows if kind == "channel")
    assert channel_reference["user"] is None


async def test_an_activity_a_crash_left_unanswered_is_answered_on_start(
    teams_settings: Settings, connector: FakeConnector, clock: FrozenClock
) -> None:
    from bot.app import build_bot
    from bot.channels.teams.channel import TeamsChannel

    bot = build_bot(teams_settings, clock=clock)
    await bot.start()
    channel = TeamsChannel(bot, teams_settings)
    await channel.connector.start()

    async def crash(*_: object) -> None:
        raise SystemExit("killed before the reply")

    channel._process = crash  # type: ignore[method-assign]
    with pytest.raises(SystemExit):
        await channel._message(message(connector.url, "kontakter", activity_id="lost-1"))
    await channel.close()
    await bot.close()
    assert connector.posted == []
    # The dead process's hold on the item runs out (a replica that is alive finishes within milliseconds).
    clock.advance(seconds=11)
    async with Running(teams_settings, clock):
        (posted,) = await connector.wait_for(1)
    assert "Kontakter i SLT-arbeidet" in text_of(posted) and posted["replyToId"] == "lost-1"


async def test_saving_the_same_reference_concurrently_is_one_row(any_database_url: str) -> None:
    import datetime as dt

    from storage.db import Database
    from storage.references import find_reference, save_reference

    db = Database(any_database_url)
    await db.upgrade()
    now = dt.datetime(2026, 11, 22, 9, tzinfo=dt.UTC)

    async def save(n: int) -> None:
        async with db.session() as session:
            await save_reference(
                session, conversation_id="a:1", user_id="u", kind="personal", reference={"n": n}, now=now
            )

    try:
        await asyncio.gather(*(save(n) for n in range(8)))
        async with db.session() as session:
            assert (await find_reference(session, target="a:1")) in [{"n": n} for n in range(8)]
    finally:
        await db.close()


async def test_only_teams_itself_and_people_with_an_aad_id_get_in(
    teams_settings: Settings, connector: FakeConnector, clock: FrozenClock
) -> None:
    web_chat = {**message(connector.url, "temaer"), "channelId": "webchat"}  # a client choosing its own ids
    overlong = message(connector.url, "kontakter", activity_id="x" * 400)
    async with Running(teams_settings, clock) as app:
        assert await app.send(web_chat) == 400
        assert await app.send(overlong) == 400
        assert await app.send({**message(connector.url, "hei"), "id": None}) == 400
    assert connector.posted == []


async def test_emulator_mode_refuses_anyone_but_this_machine(teams_settings: Settings) -> None:
    from types import SimpleNamespace

    from bot.app import build_bot
    from bot.channels.teams.channel import TeamsChannel

    channel = TeamsChannel(build_bot(teams_settings), teams_settings)
    remote = SimpleNamespace(remote="192.0.2.10", headers={"Content-Type": "application/json"})
    assert (await channel.handle(remote)).status == 403  # type: ignore[arg-type]


async def test_a_personal_chat_that_is_gone_is_opened_anew_for_a_private_reply(
    teams_settings: Settings, connector: FakeConnector, clock: FrozenClock
) -> None:
    channel = "19:ansatte@thread.tacv2"
    async with Running(teams_settings, clock) as app:
        await app.send(message(connector.url, "hei", conversation="a:old-chat"))  # stored as the personal chat
        await connector.wait_for(1)
        connector.gone.add("a:old-chat")  # then the person removed the app, and added it again later
        await app.send(message(connector.url, "bekymring", kind="channel", conversation=channel))
        await connector.wait_for(4)
    paths = connector.paths[1:]
    assert len(connector.created) == 1 and channel in paths[0]
    assert all("a:personal-aad-staff-1" in path for path in paths[1:])
    assert any("akutt fare" in text_of(a) for a in connector.posted[2:])


async def test_turns_wait_their_turn_but_a_hung_connector_does_not_hold_up_everyone(
    teams_settings: Settings, connector: FakeConnector, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.channels.teams import channel

    monkeypatch.setattr(channel, "TURN_WAIT", 0.3)
    released = asyncio.Event()
    hung = [f"a:personal-hung-{n}" for n in range(channel.WORKERS)]
    connector.slow = {conversation: released for conversation in hung}
    async with Running(teams_settings, clock) as app:
        stuck = [
            asyncio.create_task(app.send(message(connector.url, "hjelp", conversation=c, activity_id=f"h{n}")))
            for n, c in enumerate(hung)
        ]
        await asyncio.sleep(0.1)  # all four slots are held by posts that hang
        health = await (await app.client.get("/healthz")).json()
        assert health["behind"]["teams"]["answering"] == channel.WORKERS
        started = asyncio.get_running_loop().time()
        assert await app.send(message(connector.url, "kontakter", conversation="a:personal-next")) == 200
        waited = asyncio.get_running_loop().time() - started
        assert 0.25 < waited < 2.0  # it waited its turn, then went ahead without one
        assert any("Kontakter" in json.dumps(p, ensure_ascii=False) for p in connector.posted)
        released.set()
        assert await asyncio.gather(*stuck) == [200] * channel.WORKERS
