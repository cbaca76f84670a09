"""Several municipalities in one deployment: each request finds its municipality, and none sees another's data."""

from __future__ import annotations

import dataclasses
import json
import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_bot, build_web_app
from bot.config import BUNDLED_MUNICIPALITY, Settings
from bot.core.bot import Bot
from bot.core.messages import Inbound
from bot.municipality import MunicipalityError, load_municipalities
from handlers.exports import export_records
from storage import topics as topic_store
from storage.tenancy import UnscopedQuery
from tests.conftest import FrozenClock
from tests.conversation import Conversation
from tests.running import RunningApp
from tests.slack_fake import BOT_TOKEN, SIGNING_SECRET, FakeSlackApi, command_body, event_body, signed_headers
from tests.teams_fake import FakeConnector, message
from tests.test_dialogs import BRANCHES

SHARED_COORDINATOR = "aad-felles"


def write_municipalities(folder: Path) -> Path:
    """Two fictional municipalities from the bundled example: Eksempel and Nabo, sharing one Microsoft 365 tenant."""
    folder.mkdir(exist_ok=True)
    example = yaml.safe_load(BUNDLED_MUNICIPALITY.read_text(encoding="utf-8"))
    eksempel = {
        **example,
        "id": "eksempel",
        "slack_team_ids": ["T0EKS"],
        "teams_tenant_ids": ["tenant-eks", "tenant-felles"],
        "teams_team_ids": ["team-eks"],
        "coordinators": [*example["coordinators"], f"teams:{SHARED_COORDINATOR}"],
    }
    meetings = [{**meeting, "name": f"Nabo {meeting['name']}"} for meeting in example["meetings"]]
    nabo = {
        **example,
        "name": "Nabo kommune",
        "id": "nabo",
        "slack_team_ids": ["T0NABO"],
        "teams_tenant_ids": ["tenant-felles"],
        "teams_team_ids": ["team-nabo"],
        "coordinators": [
            "console:nabokoord",
            "slack:U0NABOKOORD",
            "teams:aad-nabokoord",
            f"teams:{SHARED_COORDINATOR}",
        ],
        "channels": ["slack:C0NABOSLT"],
        "meetings": meetings,
    }
    for name, content in (("eksempel.yaml", eksempel), ("nabo.yaml", nabo)):
        (folder / name).write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write_municipalities(tmp_path / "kommuner")


@pytest.fixture
def two_settings(database_url: str, folder: Path) -> Settings:
    return Settings(database_url=database_url, municipality_path=folder)


@pytest.fixture
async def two(two_settings: Settings, clock: FrozenClock) -> AsyncIterator[Bot]:
    instance = build_bot(two_settings, clock=clock)
    await instance.start()
    yield instance
    await instance.close()


def test_a_folder_holds_one_municipality_per_file(folder: Path) -> None:
    found = load_municipalities(folder)
    assert list(found) == ["eksempel", "nabo"]
    assert found["nabo"][0].name == "Nabo kommune"


def test_two_files_may_not_claim_one_id_or_one_slack_workspace(folder: Path) -> None:
    text = (folder / "nabo.yaml").read_text(encoding="utf-8")
    (folder / "nabo.yaml").write_text(text.replace("id: nabo", "id: eksempel"), encoding="utf-8")
    with pytest.raises(MunicipalityError, match="id «eksempel» er brukt"):
        load_municipalities(folder)
    (folder / "nabo.yaml").write_text(text.replace("- T0NABO", "- T0EKS"), encoding="utf-8")
    with pytest.raises(MunicipalityError, match="T0EKS hører allerede til «eksempel»"):
        load_municipalities(folder)


async def _suggest(bot: Bot, municipality: str, text: str, user: str = "console:ansatt") -> None:
    await bot.handle(Inbound("console", user, user, text=f"tema {text}", municipalities=(municipality,)))


async def test_a_coordinator_sees_only_their_municipality_on_every_read_path(two: Bot) -> None:
    await _suggest(two, "eksempel", "Skjermbruk i Eksempelby")
    await _suggest(two, "nabo", "Rus på russefester")
    eksempel, nabo = Conversation(two, "koordinator", "eksempel"), Conversation(two, "nabokoord", "nabo")
    await eksempel.say("bekymring")
    for answer in BRANCHES["consent given"][0]:
        await eksempel.say(answer)  # an escalation recorded in Eksempel only

    listed = await nabo.say("temaer")
    assert "Rus på russefester" in listed and "Skjermbruk" not in listed
    assert "Skjermbruk i Eksempelby" in await eksempel.say("temaer")
    assert "Skjermbruk" not in await nabo.say("oppsummering")
    assert "Skjermbruk" not in await nabo.say("stem")
    assert "SLT-innsatsteam med samtykke\n" in await eksempel.say("bekymringer")  # the record, listed
    assert "SLT-innsatsteam med samtykke" not in await nabo.say("bekymringer")
    _, topics = await export_records(two.contexts["nabo"], "topics", actor="cli:nabo")
    assert [row["text"] for row in topics] == ["Rus på russefester"]
    _, escalations_nabo = await export_records(two.contexts["nabo"], "escalations", actor="cli:nabo")
    _, escalations_eksempel = await export_records(two.contexts["eksempel"], "escalations", actor="cli:eks")
    assert escalations_nabo == [] and len(escalations_eksempel) == 1
    # Each coordinator's reads are in their own municipality's access log.
    from storage.audit import audit_entries

    async with two.contexts["nabo"].db.session() as session:
        assert {e.actor for e in await audit_entries(session)} == {"console:nabokoord", "cli:nabo"}
    # The App Home of Nabo's coordinator counts Nabo's topics only.
    home = await two.handle(
        Inbound("console", "console:nabokoord", "console:nabokoord", action="home-view", municipalities=("nabo",))
    )
    assert "Skjermbruk" not in "\n".join(reply.plain for reply in home)


async def test_a_forged_button_cannot_reach_another_municipalitys_topic(two: Bot) -> None:
    await _suggest(two, "eksempel", "Skjermbruk i Eksempelby")
    async with two.contexts["eksempel"].db.session() as session:
        (topic,) = await topic_store.all_topics(session)
    forged = Inbound(
        "console",
        "console:nabokoord",
        "console:nabokoord",
        action=f"topic-admin:{topic.id}",
        values={"value": "rejected"},
        municipalities=("nabo",),
    )
    await two.handle(forged)
    async with two.contexts["eksempel"].db.session() as session:
        assert (await topic_store.get_topic(session, topic_id=topic.id)).status == "new"  # type: ignore[union-attr]


async def test_flood_limits_count_per_municipality(two: Bot) -> None:
    for n in range(10):
        await _suggest(two, "eksempel", f"Tema nummer {n} om skjermbruk")
    blocked = await two.handle(
        Inbound("console", "console:ansatt", "console:ansatt", text="tema Ett til", municipalities=("eksempel",))
    )
    assert "10" in blocked[0].plain  # the eleventh in one municipality is refused ...
    await _suggest(two, "nabo", "Ett til i Nabo")  # ... and does not count against the other
    async with two.contexts["nabo"].db.session() as session:
        assert [t.text for t in await topic_store.all_topics(session)] == ["Ett til i Nabo"]


async def test_an_unscoped_query_on_a_municipal_table_is_refused(two: Bot) -> None:
    with pytest.raises(UnscopedQuery):
        async with two.db.session() as session:
            await topic_store.all_topics(session)


async def test_each_municipality_has_its_own_calendar_feed(two: Bot) -> None:
    async with TestClient(TestServer(build_web_app(two))) as client:
        nabo = await (await client.get("/calendar/nabo.ics")).text()
        eksempel = await (await client.get("/calendar/eksempel.ics")).text()
        assert (await client.get("/calendar/ukjent.ics")).status == 404
        health = await (await client.get("/healthz")).json()
        # The year wheel too: each its own, and no shared one to guess which.
        nabo_wheel = await (await client.get("/arshjul/nabo.svg")).text()
        eksempel_wheel = await (await client.get("/arshjul/eksempel.svg")).text()
        assert (await client.get("/arshjul.svg")).status == 404
        assert (await client.get("/arshjul/ukjent.svg")).status == 404
    assert "Nabo SLT-frokostmøte" in nabo and "Nabo " not in eksempel
    assert "Nabo SLT-frokostmøte" in nabo_wheel and "Nabo SLT-frokostmøte" not in eksempel_wheel
    assert health["municipalities"] == ["eksempel", "nabo"]


async def test_reminders_for_the_same_series_in_two_municipalities_are_both_queued(
    two: Bot, clock: FrozenClock
) -> None:
    from handlers.reminders import queue_due_reminders
    from tests.test_reminders import at

    at(clock, "2026-11-26T12:00")
    assert await queue_due_reminders(two.contexts["eksempel"]) == 1
    assert await queue_due_reminders(two.contexts["nabo"]) == 1  # same series id, its own ledger key


async def test_housekeeping_in_one_municipality_keeps_the_personal_chats_of_anothers_coordinators(
    two: Bot, clock: FrozenClock
) -> None:
    from handlers.retention import apply_retention
    from storage.references import find_reference, save_reference

    async with two.db.session() as session:
        for user in ("aad-nabokoord", "aad-someone"):
            await save_reference(
                session, conversation_id=f"a:{user}", user_id=user, kind="personal", reference={"u": user}, now=clock()
            )
    clock.advance(days=400)
    assert (await apply_retention(two.contexts["eksempel"])).get("personal chats") == 1
    async with two.db.session() as session:
        assert await find_reference(session, target="aad-nabokoord") is not None
        assert await find_reference(session, target="aad-someone") is None


async def test_a_coordinator_of_two_municipalities_gets_a_digest_from_each(two: Bot) -> None:
    from handlers.digest import queue_weekly_digest
    from storage.outbox import pending_for

    await _suggest(two, "nabo", "Rus på russefester")
    assert await queue_weekly_digest(two.contexts["eksempel"]) == 3
    assert await queue_weekly_digest(two.contexts["nabo"]) == 4
    digests = {}
    for key in ("eksempel", "nabo"):
        async with two.contexts[key].db.session() as session:
            (message,) = await pending_for(session, target=f"teams:{SHARED_COORDINATOR}")
            digests[key] = json.dumps(message.payload, ensure_ascii=False)
    assert "Nabo kommune" in digests["nabo"] and "Eksempel kommune" in digests["eksempel"]
    assert "Rus på russefester" in digests["nabo"] and "Rus på russefester" not in digests["eksempel"]


# --- Slack: the workspace decides ------------------------------------------------------------------------


async def _post(app: RunningApp, body: str, content_type: str) -> int:
    response = await app.client.post(
        "/slack/events", data=body, headers={**signed_headers(body), "Content-Type": content_type}
    )
    return response.status


async def test_slack_requests_land_in_their_workspaces_municipality(
    two_settings: Settings, clock: FrozenClock, slack_api: FakeSlackApi
) -> None:
    settings = dataclasses.replace(
        two_settings,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack_api.url,
    )
    form = "application/x-www-form-urlencoded"
    async with RunningApp(settings, clock) as app:
        eksempel = command_body("/slt-tema", "Skjermbruk i Eksempelby", trigger="t-1")
        nabo = command_body("/slt-tema", "Rus på russefester", trigger="t-2").replace("T0EKS", "T0NABO")
        stranger = event_body("hjelp", event_id="Ev-x").replace("T0EKS", "T0UKJENT")
        assert await _post(app, eksempel, form) == 200
        assert await _post(app, nabo, form) == 200
        assert await _post(app, stranger, "application/json") == 200
        await slack_api.wait_for("chat.postMessage", 1)
        await slack_api.wait_for("chat.postEphemeral", 2)
        for key, expected in (("eksempel", "Skjermbruk i Eksempelby"), ("nabo", "Rus på russefester")):
            async with app.bot.contexts[key].db.session() as session:
                assert [t.text for t in await topic_store.all_topics(session)] == [expected]
    texts = " ".join(str(call.get("text", "")) for call in slack_api.of("chat.postMessage"))
    assert "ikke koblet til noen kommune" in texts


# --- Teams: the tenant decides, and in a shared tenant the team or the person's choice ------------------------


def _in(activity: dict[str, Any], tenant: str, team: str | None = None) -> dict[str, Any]:
    activity = json.loads(json.dumps(activity).replace("tenant-eks", tenant))
    if team:
        activity["channelData"]["team"] = {"id": team}
    return activity


async def test_teams_maps_tenants_and_teams_and_asks_once_where_a_tenant_is_shared(
    two_settings: Settings, clock: FrozenClock, connector: FakeConnector
) -> None:
    settings = dataclasses.replace(two_settings, teams_emulator=True)
    async with RunningApp(settings, clock) as app:

        async def send(activity: dict[str, Any]) -> str:
            before = len(connector.posted)
            assert (await app.client.post("/api/messages", json=activity)).status == 200
            posted = await connector.wait_for(before + 1)
            return json.dumps(posted[before:], ensure_ascii=False)

        # A team channel in the shared tenant: its team decides.
        channel = message(connector.url, "tema Trygg skolevei", conversation="19:nabo@thread", kind="channel")
        await send(_in(channel, "tenant-felles", "team-nabo"))
        async with app.bot.contexts["nabo"].db.session() as session:
            assert [t.text for t in await topic_store.all_topics(session)] == ["Trygg skolevei"]
        # A personal chat in the shared tenant: the person is asked once, and the choice is kept.
        asked = await send(_in(message(connector.url, "tema Vape i friminuttet"), "tenant-felles"))
        assert "Hvilken kommune" in asked and "Nabo kommune" in asked
        choice = message(connector.url, value={"action": "municipality", "value": "eksempel"})
        assert "Eksempel kommune" in await send(_in(choice, "tenant-felles"))
        await send(_in(message(connector.url, "tema Vape i friminuttet"), "tenant-felles"))
        async with app.bot.contexts["eksempel"].db.session() as session:
            assert [t.text for t in await topic_store.all_topics(session)] == ["Vape i friminuttet"]
        # A coordinator of both gets their command answered for each, each part headed by its municipality.
        both = await send(_in(message(connector.url, "temaer", user=SHARED_COORDINATOR), "tenant-felles"))
        assert "Eksempel kommune" in both and "Nabo kommune" in both and "Trygg skolevei" in both
        # Their buttons carry the municipality they were made for, whatever the person chose before.
        async with app.bot.contexts["nabo"].db.session() as session:
            (nabo_topic,) = await topic_store.all_topics(session)
        reject = message(
            connector.url,
            value={"action": f"~nabo~topic-admin:{nabo_topic.id}", "value": "rejected"},
            user=SHARED_COORDINATOR,
        )
        await send(_in(reject, "tenant-felles"))
        async with app.bot.contexts["nabo"].db.session() as session:
            assert (await topic_store.get_topic(session, topic_id=nabo_topic.id)).status == "rejected"  # type: ignore[union-attr]
        assert f"~nabo~topic-admin:{nabo_topic.id}" in both


# --- The command line names the municipality ---------------------------------------------------------------


def _slt_bot(args: list[str], settings: Settings) -> Any:
    import os
    import subprocess
    import sys

    env = {**os.environ, "DATABASE_URL": settings.database_url, "SLT_CONFIG": str(settings.municipality_path)}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


async def test_the_cli_exports_one_municipality_and_asks_which_when_there_are_several(two: Bot) -> None:
    await _suggest(two, "eksempel", "Skjermbruk i Eksempelby")
    await _suggest(two, "nabo", "Rus på russefester")
    settings = two.settings
    exported = _slt_bot(["export", "topics", "--municipality", "nabo"], settings)
    assert exported.returncode == 0, exported.stderr
    assert [row["text"] for row in json.loads(exported.stdout)] == ["Rus på russefester"]
    unnamed = _slt_bot(["export", "topics"], settings)
    assert unnamed.returncode == 1 and "--municipality (eksempel, nabo)" in unnamed.stderr
    unknown = _slt_bot(["calendar", "--municipality", "ukjent"], settings)
    assert unknown.returncode == 1 and "ingen kommune har id «ukjent»" in unknown.stderr
    chat = subprocess_chat(settings, "nabo")
    assert "Nabo kommune" in chat


def subprocess_chat(settings: Settings, municipality: str) -> str:
    import os
    import subprocess
    import sys

    env = {**os.environ, "DATABASE_URL": settings.database_url, "SLT_CONFIG": str(settings.municipality_path)}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--municipality", municipality, "--user", "nabokoord"],
        input="hjelp\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return urllib.parse.unquote(done.stdout)


# --- Slack for many workspaces: the OAuth install flow, tokens per workspace, rotation --------------------------


async def test_a_workspace_is_installed_over_oauth_and_its_token_is_used_and_rotated(
    two_settings: Settings, clock: FrozenClock, slack_api: FakeSlackApi
) -> None:
    import time

    from slack_sdk.web.async_client import AsyncWebClient

    from bot.channels.slack.notifier import SlackNotifier
    from bot.channels.slack.oauth import SlackTokens
    from bot.core.messages import Reply

    settings = dataclasses.replace(
        two_settings,
        slack_client_id="111.222",
        slack_client_secret="client-secret",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack_api.url,
    )
    async with RunningApp(settings, clock) as app:
        # The install link sends the admin to Slack with a state that is also set as a cookie ...
        install = await app.client.get("/slack/install", allow_redirects=False)
        assert install.status == 302
        location = urllib.parse.urlparse(install.headers["Location"])
        state = urllib.parse.parse_qs(location.query)["state"][0]
        assert "client_id=111.222" in location.query and install.cookies["slack-app-oauth-state"].value == state
        # ... a callback with another state (a forged link) is refused, Slack's redirect with it is accepted.
        forged = await app.client.get(
            "/slack/oauth_redirect",
            params={"code": "c-1", "state": "forged"},
            headers={"Cookie": f"slack-app-oauth-state={state}"},
        )
        assert forged.status >= 400
        # The state cookie is Secure (https in production); the test client is plain http, so it is sent by hand.
        cookie = {"Cookie": f"slack-app-oauth-state={state}"}
        done = await app.client.get("/slack/oauth_redirect", params={"code": "c-1", "state": state}, headers=cookie)
        assert done.status == 200, await done.text()
        tokens = SlackTokens(settings, app.bot.db.engine, AsyncWebClient(base_url=slack_api.url))
        assert await tokens.for_team("T0NABO") == "xoxe.xoxb-nabo-1"

        # A request from that workspace is answered with its own token.
        body = event_body("hjelp", event_id="Ev-nabo").replace("T0EKS", "T0NABO")
        assert await _post(app, body, "application/json") == 200
        await slack_api.wait_for("chat.postMessage")
        assert ("chat.postMessage", "xoxe.xoxb-nabo-1") in slack_api.tokens

        # The token is about to expire: a scheduled send rotates it first, saves the new one, and posts with it.
        assert tokens.installations is not None
        installation = await tokens.installations.async_find_installation(enterprise_id=None, team_id="T0NABO")
        assert installation is not None
        installation.bot_token_expires_at = int(time.time()) + 60
        await tokens.installations.async_save(installation)
        notifier = SlackNotifier(AsyncWebClient(base_url=slack_api.url), tokens, {"nabo": "T0NABO"})
        await notifier.send("slack:C0NABOSLT", Reply.text("Påminnelse"), municipality="nabo")
        assert slack_api.tokens[-1] == ("chat.postMessage", "xoxe.xoxb-nabo-2")
        refresh = [params for method, params in slack_api.calls if method == "oauth.v2.access"][-1]
        assert refresh["grant_type"] == "refresh_token" and refresh["refresh_token"] == "xoxe-1-refresh-1"
        assert await tokens.for_team("T0NABO") == "xoxe.xoxb-nabo-2"
        # A workspace without an installation gets nothing sent, and the outbox gives up at once.
        from bot.runtime.outbox import SendFailed

        with pytest.raises(SendFailed):
            await SlackNotifier(AsyncWebClient(base_url=slack_api.url), tokens, {"eksempel": "T0EKS"}).send(
                "slack:C0EKSSLT", Reply.text("Påminnelse"), municipality="eksempel"
            )


async def test_once_workspaces_are_listed_a_single_municipality_serves_only_those(
    tmp_path: Path, database_url: str, clock: FrozenClock, slack_api: FakeSlackApi
) -> None:
    example = yaml.safe_load(BUNDLED_MUNICIPALITY.read_text(encoding="utf-8"))
    path = tmp_path / "eksempel.yaml"
    path.write_text(yaml.safe_dump({**example, "slack_team_ids": ["T0EKS"]}, allow_unicode=True), encoding="utf-8")
    settings = Settings(
        database_url=database_url,
        municipality_path=path,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack_api.url,
    )
    async with RunningApp(settings, clock) as app:
        stranger = event_body("tema Noe fra en annen arbeidsflate", event_id="Ev-s").replace("T0EKS", "T0ANNEN")
        assert await _post(app, stranger, "application/json") == 200
        (told,) = await slack_api.wait_for("chat.postMessage")
        assert "ikke koblet til noen kommune" in str(told.get("text"))
        async with app.bot.db.session() as session:
            assert await topic_store.all_topics(session) == []


def test_oauth_needs_every_municipality_to_name_its_workspace(folder: Path, database_url: str) -> None:
    from bot.config import SettingsError

    nabo = yaml.safe_load((folder / "nabo.yaml").read_text(encoding="utf-8"))
    (folder / "nabo.yaml").write_text(yaml.safe_dump({**nabo, "slack_team_ids": []}, allow_unicode=True), "utf-8")
    settings = Settings(
        database_url=database_url,
        municipality_path=folder,
        slack_client_id="111.222",
        slack_client_secret="s",
        slack_signing_secret=SIGNING_SECRET,
    )
    with pytest.raises(SettingsError, match="nabo"):
        build_web_app(build_bot(settings))
