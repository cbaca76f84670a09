"""`innhold`: coordinators edit a contact and mark a routine reviewed in the chat; answers, digest and export follow."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import yaml

from bot.app import build_bot
from bot.config import BUNDLED_MUNICIPALITY, Settings
from bot.core.bot import Bot
from bot.municipality import Municipality
from handlers.content import export_content
from storage.audit import audit_entries
from storage.content import list_edits
from tests.conftest import FROZEN_NOW, FrozenClock
from tests.conversation import Conversation
from tests.running import RunningApp
from tests.teams_fake import FakeConnector, message
from tests.test_teams import assert_valid_card, card_of


@contextlib.asynccontextmanager
async def bot_on(settings: Settings, clock: FrozenClock) -> AsyncIterator[Bot]:
    """A started bot on these settings, closed after use."""
    bot = build_bot(settings, clock=clock)
    await bot.start()
    try:
        yield bot
    finally:
        await bot.close()


def _number(menu: str, label: str) -> str:
    """The console number of the choice whose label starts with `label`."""
    match = re.search(rf"(\d+)\) {re.escape(label)}", menu)
    assert match, f"{label!r} not offered in:\n{menu}"
    return match.group(1)


async def _edit(coordinator: Conversation, contact: str, lines: list[str]) -> str:
    menu = await coordinator.say("innhold")
    coordinator.channel.stdin = io.StringIO("".join(line + "\n" for line in lines))
    return await coordinator.say(_number(menu, contact))


async def test_the_menu_is_for_coordinators_only(coordinator: Conversation, staff: Conversation) -> None:
    menu = await coordinator.say("innhold")
    assert "Endre en kontakt" in menu and "Politikontakt: Ola Testrud" in menu
    assert "Merk som gjennomgått i dag" in menu and "SLT-varslingsrutiner (gjennomgått 15. august 2026)" in menu
    assert "bare for SLT-koordinatorene" in await staff.say("innhold")


async def test_an_edited_contact_is_what_everyone_is_told(
    coordinator: Conversation, staff: Conversation, bot: Bot
) -> None:
    # name, phone, e-mail (empty keeps it), when (empty keeps it)
    reply = await _edit(coordinator, "Politikontakt", ["Kari Eksempelsen", "400 00 999", "", ""])
    assert "Lagret. Slik svarer boten om Politikontakt nå:" in reply
    assert "Kari Eksempelsen" in reply and "400 00 999" in reply and "ola.testrud@politiet.example" in reply
    answer = await staff.say("hvem er politikontakt?")
    assert "Kari Eksempelsen" in answer and "400 00 999" in answer and "Ola Testrud" not in answer
    async with bot.db.session() as session:
        (edit,) = await list_edits(session)
        entries = await audit_entries(session)
    assert (
        edit.fields == {"name": "Kari Eksempelsen", "phone": "400 00 999"} and edit.updated_by == "console:koordinator"
    )
    assert (entries[0].action, entries[0].kind, entries[0].actor) == ("edit", "contact", "console:koordinator")


async def test_bad_input_saves_nothing_and_says_why(coordinator: Conversation, bot: Bot) -> None:
    reply = await _edit(coordinator, "Politikontakt", ["", "ring meg", "ikke-en-adresse", ""])
    assert "Ingenting er lagret" in reply
    assert "skriv et telefonnummer med sifre" in reply and "ser ikke ut som en e-postadresse" in reply
    # The when-text is read by everyone: personal data in it is refused.
    reply = await _edit(coordinator, "Politikontakt", ["", "", "", "Ring om Ola Nordmann (15) på Nordli skole"])
    assert "Ingenting er lagret" in reply and "personopplysninger" in reply
    reply = await _edit(coordinator, "Utekontakten", ["", "-", "-", ""])
    assert "må ha telefon eller e-post" in reply
    async with bot.db.session() as session:
        assert await list_edits(session) == []


async def test_an_edit_survives_a_restart_and_reaches_another_replica(settings: Settings, clock: FrozenClock) -> None:
    first, second = build_bot(settings, clock=clock), build_bot(settings, clock=clock)
    await first.start()
    await second.start()
    try:
        await _edit(Conversation(first, user="koordinator"), "Skolehelsetjenesten", ["", "400 00 555", "", ""])
        # The other replica checks for edits every few seconds.
        clock.advance(seconds=11)
        assert "400 00 555" in await Conversation(second, user="ansatt").say("hvem er helsesykepleier?")
    finally:
        await first.close()
        await second.close()
    restarted = build_bot(settings, clock=clock)
    await restarted.start()
    try:
        assert "400 00 555" in await Conversation(restarted, user="ansatt").say("hvem er helsesykepleier?")
    finally:
        await restarted.close()


async def test_routines_due_for_review_are_in_the_digest_until_marked(
    coordinator: Conversation, bot: Bot, clock: FrozenClock
) -> None:
    clock.advance(days=400)  # every routine of the example is now more than a year old
    digest = await coordinator.say("oppsummering")
    assert "Rutiner som bør gjennomgås" in digest and "SLT-varslingsrutiner" in digest
    menu = await coordinator.say("innhold")
    assert "SLT-varslingsrutiner (gjennomgått 15. august 2026, bør gjennomgås)" in menu
    reply = await coordinator.say(_number(menu, "SLT-varslingsrutiner"))
    today = (FROZEN_NOW + dt.timedelta(days=400)).date()
    assert f"«SLT-varslingsrutiner» er merket som gjennomgått {today.day}." in reply
    digest = await coordinator.say("oppsummering")
    assert "Rutiner som bør gjennomgås" in digest
    assert "SLT-varslingsrutiner" not in digest.split("Rutiner som bør gjennomgås")[1]
    # The answer to a question shows the new review date as its source.
    answer = await Conversation(bot, user="ansatt").say("hva gjør jeg hvis jeg er bekymret for en elev?")
    assert f"Kilde: SLT-varslingsrutiner (sist gjennomgått {today.day}." in answer


async def test_export_content_writes_the_file_with_the_edits(coordinator: Conversation, bot: Bot) -> None:
    await _edit(coordinator, "Politikontakt", ["Kari Eksempelsen", "", "kari@politiet.example", ""])
    count, document = await export_content(bot.context, actor="cli:test")
    assert count == 1
    data = yaml.safe_load(document)
    exported = Municipality.model_validate(data)  # a valid municipality file, ready to put back in place
    police = exported.contact("politikontakt")
    assert police is not None and police.name == "Kari Eksempelsen" and police.email == "kari@politiet.example"
    assert police.phone.startswith("400 00 102")  # unchanged fields are as the file had them
    assert [c.id for c in exported.contacts] == [c.id for c in bot.context.content.file.contacts]
    async with bot.db.session() as session:
        assert (await audit_entries(session))[0].kind == "content"


async def test_a_coordinator_edits_a_contact_in_teams(
    tmp_path: Path, database_url: str, connector: FakeConnector, clock: FrozenClock
) -> None:
    data = yaml.safe_load(BUNDLED_MUNICIPALITY.read_text(encoding="utf-8"))
    data["coordinators"] = [*data["coordinators"], "teams:aad-koord"]
    path = tmp_path / "kommune.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    settings = Settings(database_url=database_url, municipality_path=path, teams_emulator=True)
    personal = {"user": "aad-koord", "conversation": "a:personal-koord"}
    async with RunningApp(settings, clock) as app:
        await app.client.post("/api/messages", json=message(connector.url, "innhold", **personal))
        menu = card_of((await connector.wait_for(2))[0])
        assert_valid_card(menu)
        buttons = [a for block in menu["body"] if block["type"] == "ActionSet" for a in block["actions"]]
        police = next(a for a in buttons if a["title"].startswith("Politikontakt"))
        await app.client.post("/api/messages", json=message(connector.url, value=police["data"], **personal))
        form = card_of((await connector.wait_for(3))[-1])
        assert_valid_card(form)
        save = next(a for block in form["body"] if block["type"] == "ActionSet" for a in block["actions"])
        assert save["data"]["action"] == "content-save:politikontakt"
        values = {"name": "Kari Eksempelsen", "phone": "", "email": "", "when": ""}
        await app.client.post(
            "/api/messages", json=message(connector.url, value={**save["data"], **values}, **personal)
        )
        saved = json.dumps((await connector.wait_for(4))[-1], ensure_ascii=False)
        assert "Lagret" in saved and "Kari Eksempelsen" in saved
        await app.client.post("/api/messages", json=message(connector.url, "hvem er politikontakt?"))
        answer = json.dumps((await connector.wait_for(5))[-1], ensure_ascii=False)
        assert "Kari Eksempelsen" in answer and "Ola Testrud" not in answer
        # A forged submit from someone who is not a coordinator changes nothing.
        forged = {**save["data"], "name": "Mallory", "phone": "", "email": "", "when": ""}
        await app.client.post("/api/messages", json=message(connector.url, value=forged))
        refused = json.dumps((await connector.wait_for(6))[-1], ensure_ascii=False)
        assert "bare for SLT-koordinatorene" in refused
    async with bot_on(settings, clock) as bot:
        async with bot.db.session() as session:
            (edit,) = await list_edits(session)
        assert edit.fields == {"name": "Kari Eksempelsen"}
