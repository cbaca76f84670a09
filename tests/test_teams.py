"""The Teams channel: real Bot Framework activities into the running aiohttp app, a local fake connector."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bot.app import Bot
from bot.channels.teams.render import CARD_CONTENT_TYPE, activity
from bot.config import BUNDLED_MUNICIPALITY, Settings
from bot.messages import Inbound, Reply
from tests.conftest import FrozenClock
from tests.running import RunningApp
from tests.teams_fake import FakeConnector, installed, message

CARD_SCHEMA = json.loads((Path(__file__).parent / "data" / "adaptive-card-1.5.json").read_text(encoding="utf-8"))
CARD_VALIDATOR = jsonschema.Draft6Validator(CARD_SCHEMA)


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    fake = FakeConnector()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
def teams_settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, municipality_path=BUNDLED_MUNICIPALITY)


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
        from bot.channels.teams import TeamsConnector, TeamsNotifier

        outbound = TeamsConnector(teams_settings)
        await outbound.start()
        try:
            await TeamsNotifier(restarted.bot, outbound).send("teams:aad-koord", Reply.text("Ukens oppsummering"))
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
        "bekymring",
        "nei",
        "nei",
        "nei",
        "1",
        "1",
        "ja",
        "ja",
    ]
    replies: list[Reply] = []
    for text in said:
        replies += await bot.handle(Inbound("teams", user, "teams:c1", text=text))
    cards = [card_of(activity(r)) for r in replies if activity(r).get("attachments")]
    assert len(cards) > 15
    for content in cards:
        assert_valid_card(content)
    kinds = {element["type"] for content in cards for element in content["body"]}
    assert {"TextBlock", "FactSet", "ActionSet", "Input.Text", "Input.Date", "Input.ChoiceSet"} <= kinds
