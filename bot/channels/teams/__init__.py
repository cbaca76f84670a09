"""The Teams channel: Bot Framework activities at POST /api/messages, replies and proactive posts to the connector.

botbuilder validates the request's JWT (signing keys cached) and supplies the token for outgoing calls; every
botbuilder import stays in this folder, so moving to the Microsoft 365 Agents SDK touches nothing else. Replies
are posted straight to the conversation's serviceUrl over one kept-alive HTTP session, rather than through a
connector client built per turn. With no MICROSOFT_APP_ID the endpoint accepts unauthenticated requests for
the Bot Framework Emulator, and says so loudly at start.
"""

from __future__ import annotations

import asyncio
import json
import logging
from types import SimpleNamespace
from typing import Any

import aiohttp
from aiohttp import web

from bot.app import Bot
from bot.catalog import t
from bot.channels.teams import inbound as translate
from bot.channels.teams.render import activity as render_activity
from bot.config import Settings
from bot.inbox import Inbox
from bot.messages import Reply
from bot.notify import SendFailed, queue
from storage.references import find_reference, save_reference

log = logging.getLogger(__name__)

CHANNEL = "teams"
ROUTE = "/api/messages"
# Teams answers these when it wants us to slow down or try again.
RETRYABLE = {412, 429, 502, 503, 504}
SEND_ATTEMPTS = 3


class TeamsConnector:
    """Posts activities to a conversation on the Bot Framework connector (serviceUrl), with the bot's token."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.session: aiohttp.ClientSession | None = None
        self._credentials: Any = None

    async def start(self) -> None:
        """Open the one HTTP session every post reuses."""
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))

    async def close(self) -> None:
        """Close the HTTP session."""
        if self.session is not None:
            await self.session.close()

    async def _token(self) -> str | None:
        if not self.settings.microsoft_app_id:
            return None  # the Emulator needs no token
        if self._credentials is None:
            from botframework.connector.auth import MicrosoftAppCredentials

            tenant = (
                self.settings.microsoft_app_tenant_id if self.settings.microsoft_app_type == "SingleTenant" else None
            )
            self._credentials = MicrosoftAppCredentials(
                self.settings.microsoft_app_id, self.settings.microsoft_app_password, channel_auth_tenant=tenant
            )
        # msal caches the token; a refresh (about hourly) is a blocking call, so it runs in a thread.
        return str(await asyncio.to_thread(self._credentials.get_access_token))

    async def post(self, reference: dict[str, Any], body: dict[str, Any], *, reply_to: str | None = None) -> None:
        """Post one activity into the referenced conversation; raise SendFailed on failure."""
        assert self.session is not None, "TeamsConnector.start() first"
        conversation = reference["conversation"]["id"]
        url = f"{reference['serviceUrl'].rstrip('/')}/v3/conversations/{conversation}/activities"
        if reply_to:
            url += f"/{reply_to}"
        payload = {
            **body,
            "from": reference.get("bot"),
            "recipient": reference.get("user"),
            "conversation": reference.get("conversation"),
            "replyToId": reply_to,
        }
        headers = {"Content-Type": "application/json"}
        token = await self._token()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            async with self.session.post(url, data=json.dumps(payload), headers=headers) as response:
                if response.status < 300:
                    return
                retry_after = response.headers.get("Retry-After")
                raise SendFailed(
                    f"teams {response.status}",
                    retry_after=float(retry_after) if retry_after else None,
                    permanent=response.status not in RETRYABLE,
                )
        except aiohttp.ClientError as exc:
            raise SendFailed(f"network: {type(exc).__name__}") from None


class TeamsNotifier:
    """Proactive posts (reminders to a channel, digests to a coordinator's personal chat) for the outbox worker."""

    platform = "teams"
    # Teams allows 7 sends a second and 60 per 30 seconds per conversation: one every half second stays under both.
    min_interval = 0.5

    def __init__(self, bot: Bot, connector: TeamsConnector) -> None:
        self.bot, self.connector = bot, connector

    async def send(self, target: str, reply: Reply) -> None:
        """Post to the stored conversation of a target ('teams:<conversation>' or 'teams:<user>')."""
        async with self.bot.db.session() as session:
            reference = await find_reference(session, target=target.removeprefix("teams:"))
        if reference is None:
            raise SendFailed(
                "teams: no conversation stored for this target (is the app installed there?)", permanent=True
            )
        await self.connector.post(reference, render_activity(reply))


class TeamsChannel:
    """Everything Teams: authentication, the endpoint, replies, install welcome and the notifier."""

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
        self.notifier = TeamsNotifier(bot, self.connector)
        self.inbox = Inbox(bot.db, bot.context.clock)
        self._saved: dict[str, str] = {}

    def mount(self, web_app: web.Application) -> None:
        """Serve Bot Framework activities at POST /api/messages."""
        web_app.router.add_post(ROUTE, self.handle)

    async def start(self) -> None:
        """Open the connector session; warn loudly when running without authentication."""
        await self.connector.start()
        if not self.settings.microsoft_app_id:
            log.warning(
                "TEAMS: MICROSOFT_APP_ID is not set, so %s accepts UNAUTHENTICATED requests (Bot Framework Emulator "
                "mode). Never run like this in production: set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD.",
                ROUTE,
            )

    async def close(self) -> None:
        """Write what the inbox still holds, then close the connector session."""
        await self.inbox.flush()
        await self.connector.close()

    async def handle(self, request: web.Request) -> web.Response:
        """One activity: authenticate, deduplicate, handle, reply. Malformed input gets a 4xx, never a 5xx."""
        if "application/json" not in request.headers.get("Content-Type", ""):
            return web.Response(status=415)
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.Response(status=400)
        if not isinstance(body, dict) or not body.get("type"):
            return web.Response(status=400)
        if not await self._authenticated(body, request.headers.get("Authorization", "")):
            return web.Response(status=401)
        if not body.get("serviceUrl") or not (body.get("conversation") or {}).get("id"):
            return web.Response(status=400)
        if body["type"] == "message":
            await self._message(body)
        elif translate.is_install(body):
            await self._remember(body)
            await self._welcome(body)
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

    async def _remember(self, body: dict[str, Any]) -> None:
        reference = translate.reference(body)
        conversation = reference["conversation"]["id"]
        fingerprint = json.dumps({k: v for k, v in reference.items() if k != "activityId"}, sort_keys=True)
        if self._saved.get(conversation) == fingerprint:
            return  # unchanged since the last message: no need to write it again
        user = translate.user_id(body).removeprefix("teams:") if translate.kind(body) == "personal" else ""
        async with self.bot.db.session() as session:
            await save_reference(
                session,
                conversation_id=conversation,
                user_id=user,
                kind=translate.kind(body),
                reference=reference,
                now=self.bot.context.clock(),
            )
        self._saved[conversation] = fingerprint

    async def _message(self, body: dict[str, Any]) -> None:
        key, inbound = translate.from_message(body)
        if not await self.inbox.accept(key=key, channel=CHANNEL, payload={}):
            return  # a redelivery: already handled
        await self._remember(body)
        replies = await self.bot.handle(inbound)
        await self._reply(body, replies)
        await self.inbox.done(key)

    async def _welcome(self, body: dict[str, Any]) -> None:
        welcome = Reply.text(t("teams.welcome", municipality=self.bot.municipality.name))
        await self._reply(body, [welcome])

    async def _reply(self, body: dict[str, Any], replies: list[Reply]) -> None:
        reference = translate.reference(body)
        for reply in replies:
            payload = render_activity(reply)
            for attempt in range(SEND_ATTEMPTS):
                try:
                    await self.connector.post(reference, payload, reply_to=body.get("id"))
                    break
                except SendFailed as exc:
                    if exc.permanent or attempt == SEND_ATTEMPTS - 1:
                        # Not lost: the outbox keeps trying this conversation with backoff.
                        log.warning("teams: reply failed (%s); queued for retry", exc)
                        async with self.bot.db.session() as session:
                            key = f"reply:{body.get('id')}:{id(reply)}"
                            target = f"teams:{reference['conversation']['id']}"
                            await queue(session, key=key, target=target, reply=reply, now=self.bot.context.clock())
                        break
                    await asyncio.sleep(min(exc.retry_after or 0.5 * 2**attempt, 5.0))
