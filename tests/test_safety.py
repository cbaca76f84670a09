"""Safety first: acute danger is answered with the emergency numbers before anything else, on every path."""

from __future__ import annotations

import json

import pytest

from bot.app import build_bot
from bot.config import BUNDLED_MUNICIPALITY, Settings
from bot.municipality import load_municipality
from handlers.safety import acute_reply, is_acute
from tests.conftest import FROZEN_NOW, FrozenClock
from tests.conversation import Conversation
from tests.running import RunningApp
from tests.slack_fake import BOT_TOKEN, SIGNING_SECRET, FakeSlackApi, event_body, signed_headers
from tests.teams_fake import FakeConnector, message

FJORDVIK = BUNDLED_MUNICIPALITY.parent / "fjordvik-kommune.yaml"
FIRST = "Er noen i akutt fare nå? Ring nødnummeret med en gang"


@pytest.mark.parametrize(
    "text",
    [
        "noen er i akutt fare, hva gjør jeg nå?",
        "en elev truer med kniv nå",
        "ho snakkar om å ta livet sitt, kva gjer eg?",
        "gutten er bevisstløs etter en fest",
        "han sier han vil ta sitt eget liv",
    ],
)
async def test_acute_danger_gets_the_emergency_numbers_first(staff: Conversation, text: str) -> None:
    reply = await staff.say(text)
    assert reply.startswith(FIRST), reply
    assert "112" in reply and "113" in reply and "110" in reply
    assert "Barnevernvakten (kveld, natt og helg): 400 00 104" in reply  # the municipality's own, from its file


@pytest.mark.parametrize(
    "text",
    [
        "hva er akutt fare?",
        "Forebygging av selvmord blant unge",
        "rutine for vold i nære relasjoner",
        "hvem er politikontakt?",
    ],
)
def test_questions_about_a_topic_are_not_taken_for_danger(text: str) -> None:
    assert not is_acute(text)


def test_the_numbers_do_not_depend_on_the_municipality_file() -> None:
    municipality = load_municipality(BUNDLED_MUNICIPALITY)
    without = municipality.model_copy(
        update={"contacts": tuple(c for c in municipality.contacts if "vakt" not in c.id)}
    )
    shown = json.dumps([getattr(part, "items", getattr(part, "text", "")) for part in acute_reply(without).parts])
    assert "112" in shown and "113" in shown and "116 111" in shown and "Barnevernvakten" not in shown


async def test_a_topic_that_reports_danger_gets_the_numbers_first(staff: Conversation) -> None:
    reply = await staff.say("tema gutten truer med kniv nå i friminuttet")
    assert reply.startswith(FIRST) and "112" in reply
    assert "Forslaget" in reply or "forslag" in reply  # and then the suggestion is handled as always


async def test_slack_and_teams_answer_acute_danger_first(
    database_url: str, slack_api: FakeSlackApi, connector: FakeConnector, clock: FrozenClock
) -> None:
    settings = Settings(
        database_url=database_url,
        municipality_path=BUNDLED_MUNICIPALITY,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack_api.url,
        teams_emulator=True,
    )
    async with RunningApp(settings, clock) as app:
        body = event_body("noen er i akutt fare, hva gjør jeg?", event_id="EvAcute")
        response = await app.client.post(
            "/slack/events", data=body, headers={"Content-Type": "application/json", **signed_headers(body)}
        )
        assert response.status == 200
        (posted, *_) = await slack_api.wait_for("chat.postMessage")
        assert FIRST in json.dumps(posted, ensure_ascii=False).split("112")[0]
        activity = message(connector.url, "noen er i akutt fare, hva gjør jeg?", activity_id="act-acute")
        assert (await app.client.post("/api/messages", json=activity)).status == 200
        (reply, *_) = await connector.wait_for(1)
        assert FIRST in json.dumps(reply, ensure_ascii=False).split("112")[0]


async def test_acute_danger_typed_in_the_middle_of_a_dialog_gets_the_numbers_first(staff: Conversation) -> None:
    await staff.say("bekymring")
    reply = await staff.say("han står med kniv i gangen nå")
    assert reply.startswith(FIRST) and "112" in reply
    assert "Er noen i akutt fare akkurat nå?" in reply  # and the dialog asks its question again


async def test_acute_danger_with_nothing_else_to_say_gets_only_the_numbers(staff: Conversation) -> None:
    reply = await staff.say("noen er i akutt fare!")
    assert reply.startswith(FIRST)
    assert "Det fant jeg ikke noe svar på" not in reply


async def test_a_municipality_with_its_own_ids_gets_its_own_barnevernvakt(database_url: str) -> None:
    settings = Settings(database_url=database_url, municipality_path=FJORDVIK)
    bot = build_bot(settings, clock=FrozenClock(FROZEN_NOW))
    await bot.start()
    try:
        reply = await Conversation(bot, user="tilsett").say("eit barn er i fare no, kva gjer eg?")
        assert reply.startswith("Er nokon i akutt fare no? Ring naudnummeret med ein gong") and "112" in reply
        assert "Interkommunal barnevernvakt (kveld, natt og helg): 400 31 204" in reply  # its own, under roles
    finally:
        await bot.close()
