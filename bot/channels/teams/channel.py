"""The Teams channel's wiring: Bot Framework activities at POST /api/messages, checked, deduplicated, handled.

botbuilder validates the request's JWT (signing keys cached) and supplies the token for outgoing calls; every
botbuilder import stays in this folder, so moving to the Microsoft 365 Agents SDK touches nothing else. The
endpoint exists only with an app id (every request's JWT validated) or with SLT_TEAMS_EMULATOR=1 (no
authentication, replies to loopback only, a loud warning at start). inbound.py translates, delivery.py
replies (private work in the personal chat), connector.py posts, notifier.py serves the outbox.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import json
import logging
from types import SimpleNamespace
from typing import Any

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot.channels.teams import inbound as translate
from bot.channels.teams.connector import TeamsConnector
from bot.channels.teams.delivery import TeamsDelivery
from bot.channels.teams.notifier import TeamsNotifier
from bot.channels.teams.service_url import allowed
from bot.config import Settings
from bot.core import faults
from bot.core.bot import UNCONNECTED, Bot
from bot.core.catalog import t
from bot.core.messages import Reply, inbound_from_payload, inbound_to_payload
from bot.runtime.conversations import Conversations
from bot.runtime.inbox import Inbox, StoreUnavailable
from bot.runtime.outbox import Outbox

log = logging.getLogger(__name__)

CHANNEL = "teams"
ROUTE = "/api/messages"
# When the Bot Framework should deliver an activity again that could not be stored (the database was away).
RETRY_AFTER_SECONDS = 5
# Turns answered at once. One core gains nothing from more; fewer in hand means fewer replies a crash can catch
# between the connector's answer and the done mark, and the rest wait their turn in arrival order.
WORKERS = 4
# How long a turn waits for one of them before it goes ahead anyway: four posts held up by a slow connector must
# not keep every other turn past the Bot Framework's 15 seconds.
TURN_WAIT = 5.0


class TeamsChannel:
    """The Teams endpoint: checks, authentication, the inbox and the install welcome; replies go via delivery."""

    def __init__(self, bot: Bot, settings: Settings) -> None:
        from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication

        self.bot, self.settings = bot, settings
        config = SimpleNamespace(
            APP_ID=settings.microsoft_app_id,
            APP_PASSWORD=settings.microsoft_app_password,
            APP_TYPE=settings.microsoft_app_type,
            APP_TENANTID=settings.microsoft_app_tenant_id,
        )
        self.auth = ConfigurationBotFrameworkAuthentication(config)
        self.connector = TeamsConnector(settings)
        conversations = Conversations(bot.db)
        self.notifier = TeamsNotifier(conversations, self.connector)
        self.delivery = TeamsDelivery(
            self.connector, conversations, Outbox(bot.db, bot.context.clock), owner=bot.context.municipality.id
        )
        self.inbox = Inbox(bot.db, bot.context.clock)
        self._answering = self._waiting = 0
        self._turns = asyncio.Semaphore(WORKERS)

    def mount(self, web_app: web.Application) -> None:
        """Serve Bot Framework activities at POST /api/messages."""
        web_app.router.add_post(ROUTE, self.handle)

    async def start(self) -> None:
        """Open the connector session, finish what a crash left in the inbox; warn loudly in emulator mode."""
        await self.connector.start()
        if self.settings.teams_emulator:
            log.warning(
                "TEAMS: SLT_TEAMS_EMULATOR=1, so %s accepts UNAUTHENTICATED requests and replies only to loopback "
                "addresses (Bot Framework Emulator mode). Never run like this in production: set MICROSOFT_APP_ID "
                "and MICROSOFT_APP_PASSWORD instead.",
                ROUTE,
            )
        await self.recover(starting=True)

    async def recover(self, *, starting: bool = False) -> int:
        """Finish activities a crashed process (this one before a restart, or another replica) left in the inbox."""
        abandoned = await self.inbox.abandoned(CHANNEL, starting=starting)
        if abandoned:
            # The connector cannot be asked what a conversation holds: every one of them is answered again.
            log.info("teams: replaying %d items taken over", len(abandoned))
        for key, payload, _ in abandoned:
            try:
                await self._process(key, payload)
            except Exception as exc:  # one bad item must not stop the others; it is tried again later
                log.error("teams: recovering an unprocessed activity failed: %s", type(exc).__name__)
        return len(abandoned)

    async def close(self) -> None:
        """Write what the inbox still holds, then close the connector session."""
        await self.inbox.flush()
        await self.connector.close()

    async def handle(self, request: web.Request) -> web.Response:
        """One activity: authenticate, deduplicate, handle, reply. Malformed input gets a 4xx, never a 5xx."""
        if self.settings.teams_emulator and not _loopback(request.remote):
            # Unauthenticated mode is for a developer's own machine: nobody else may claim to be anyone.
            return web.Response(status=403)
        if "application/json" not in request.headers.get("Content-Type", ""):
            return web.Response(status=415)
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.Response(status=400)
        if not translate.well_formed(body):
            return web.Response(status=400)
        # Only Teams itself (and the Emulator, in emulator mode): Web Chat or Direct Line clients choose their ids.
        if body.get("channelId") not in (("msteams", "emulator") if self.settings.teams_emulator else ("msteams",)):
            return web.Response(status=400)
        if not self.settings.teams_emulator and body["type"] == "message" and not body["from"].get("aadObjectId"):
            return web.Response(status=400)  # a person in Teams always has an AAD object id; it is who they are
        if not await self._authenticated(body, request.headers.get("Authorization", "")):
            return web.Response(status=401)
        if not allowed(body["serviceUrl"], emulator=self.settings.teams_emulator):
            log.warning("teams: refused an activity whose serviceUrl is not a Bot Framework host")
            return web.Response(status=400)
        if body["type"] == "message":
            try:
                await self._message(body)
            except StoreUnavailable:
                # Nothing was stored; the Bot Framework delivers the activity again (the inbox logged it).
                return web.Response(status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        elif translate.is_install(body):
            try:
                await self.delivery.remember(body)
                await self._welcome(body)
            except (SQLAlchemyError, OSError) as exc:  # the database is away: the Bot Framework sends it again
                log.warning("teams: could not record an installation (%s)", type(exc).__name__)
                faults.count("database_unavailable")
                return web.Response(status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        return web.Response(status=200)

    async def _authenticated(self, body: dict[str, Any], header: str) -> bool:
        from botbuilder.schema import Activity

        try:
            await self.auth.authenticate_request(Activity().deserialize(body), header)
        except PermissionError:
            return False
        except Exception as exc:  # a malformed token is a refusal, not a server error
            log.warning("teams: request refused: %s", type(exc).__name__)
            return False
        return True

    async def _message(self, body: dict[str, Any]) -> None:
        key, inbound = translate.from_message(body)
        municipalities = self.bot.for_teams(translate.tenant_id(body), translate.team_id(body))
        inbound = dataclasses.replace(inbound, municipalities=municipalities)
        payload = {
            "inbound": inbound_to_payload(inbound),
            "sender": translate.sender_id(body),
            "reference": translate.reference(body),
            "kind": translate.kind(body),
            "tenant": translate.tenant_id(body),
            "reply_to": body.get("id"),
            "municipality": self.bot.owner(inbound),
        }
        # The inbox keeps what is needed to answer, so a crash before the reply loses nothing.
        if not await self.inbox.accept(key=key, channel=CHANNEL, payload=payload):
            return  # a redelivery: already handled
        try:
            await self.delivery.remember(body)  # for later proactive messages; this reply needs only the payload
        except (SQLAlchemyError, OSError) as exc:
            log.warning("teams: could not remember the conversation (%s)", type(exc).__name__)
        await self._process(key, payload)

    def backlog(self) -> dict[str, float]:
        """How far behind the replies are (for /healthz): turns being answered, and waiting their turn."""
        return {"answering": self._answering, "waiting": self._waiting, **self.inbox.window()}

    async def _process(self, key: str, payload: dict[str, Any]) -> None:
        inbound = inbound_from_payload(payload["inbound"])
        slot = await self._slot()
        self._answering += 1
        try:
            replies = await self.bot.handle(inbound)
            await self.delivery.reply(payload, inbound, replies)
        except BaseException:
            self.inbox.release(key)  # taken over (here or elsewhere) once its claim runs out
            raise
        else:
            await self.inbox.done(key)
        finally:
            self._answering -= 1
            if slot:
                self._turns.release()

    async def _slot(self) -> bool:
        """Wait for one of the WORKERS slots (True), or go ahead without one after TURN_WAIT (False)."""
        if not self._turns.locked():  # a slot is free and nobody waits: taken at once, without a timer task
            await self._turns.acquire()
            return True
        self._waiting += 1
        try:
            await asyncio.wait_for(self._turns.acquire(), TURN_WAIT)
            return True
        except TimeoutError:
            log.warning("teams: a turn waited %.0f s for its turn; answered alongside the others", TURN_WAIT)
            return False
        finally:
            self._waiting -= 1

    async def _welcome(self, body: dict[str, Any]) -> None:
        found = list(self.bot.for_teams(translate.tenant_id(body), translate.team_id(body)))
        if not found:  # one municipality and no tenants listed: every tenant is that municipality's
            found = [self.bot.municipality.id]
        found = [key for key in found if key != UNCONNECTED]
        if not found:
            return  # a tenant the bot does not serve gets no welcome naming anyone's municipality
        name = ", ".join(self.bot.municipalities[key].name for key in found)
        welcome = Reply.text(t("teams.welcome", municipality=name))
        payload = {
            "reference": translate.reference(body),
            "kind": translate.kind(body),
            "reply_to": body.get("id"),
            "municipality": found[0],
        }
        await self.delivery.reply(payload, None, [welcome])


def _loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False
