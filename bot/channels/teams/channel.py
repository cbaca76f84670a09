"""The Teams channel: Bot Framework activities at POST /api/messages, replies and proactive posts to the connector.

botbuilder validates the request's JWT (signing keys cached) and supplies the token for outgoing calls; every
botbuilder import stays in this folder, so moving to the Microsoft 365 Agents SDK touches nothing else. Replies
are posted straight to the conversation's serviceUrl over one kept-alive HTTP session, rather than through a
connector client built per turn. The endpoint exists only with an app id (every request's JWT validated) or
with SLT_TEAMS_EMULATOR=1 (no authentication, replies to loopback only, a loud warning at start). Every post
goes only to an allowed serviceUrl (service_url.py). Teams has no ephemeral messages, so private replies asked
for in a channel or group chat are posted in the person's personal chat with the bot.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
from types import SimpleNamespace
from typing import Any

import aiohttp
from aiohttp import web

from bot.channels.teams import inbound as translate
from bot.channels.teams.render import activity as render_activity
from bot.channels.teams.service_url import allowed
from bot.config import Settings
from bot.core.bot import Bot
from bot.core.catalog import t
from bot.core.messages import Inbound, Reply, inbound_from_payload, inbound_to_payload
from bot.runtime.inbox import Inbox
from bot.runtime.outbox import SendFailed, queue
from storage.references import delete_reference, find_reference, save_reference

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
        # No redirects: a connector that answers 3xx must not steer the bot to another address.
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

    async def _send(self, service_url: str, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST JSON to the connector at serviceUrl + path; the answer's JSON, or SendFailed."""
        assert self.session is not None, "TeamsConnector.start() first"
        if not allowed(service_url, emulator=self.settings.teams_emulator):
            raise SendFailed("teams: serviceUrl is not a Bot Framework host; not posted", permanent=True)
        headers = {"Content-Type": "application/json"}
        try:
            token = await self._token()
        except Exception as exc:  # the token service is down or refused: retry later, never a 500
            raise SendFailed(f"teams token: {type(exc).__name__}") from None
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            async with self.session.post(
                f"{service_url.rstrip('/')}{path}", data=json.dumps(payload), headers=headers, allow_redirects=False
            ) as response:
                if response.status < 300:
                    answer = await response.json(content_type=None) if response.content_length != 0 else {}
                    return answer if isinstance(answer, dict) else {}
                retry_after = response.headers.get("Retry-After")
                raise SendFailed(
                    f"teams {response.status}",
                    retry_after=_seconds(retry_after),
                    permanent=response.status not in RETRYABLE,
                )
        except (aiohttp.ClientError, TimeoutError, OSError, json.JSONDecodeError, ValueError) as exc:
            raise SendFailed(f"network: {type(exc).__name__}") from None

    async def post(self, reference: dict[str, Any], body: dict[str, Any], *, reply_to: str | None = None) -> None:
        """Post one activity into the referenced conversation; raise SendFailed on failure."""
        conversation = reference["conversation"]["id"]
        path = f"/v3/conversations/{conversation}/activities" + (f"/{reply_to}" if reply_to else "")
        payload = {
            **body,
            "from": reference.get("bot"),
            "conversation": reference.get("conversation"),
            "replyToId": reply_to,
        }
        if reference.get("user"):
            payload["recipient"] = reference["user"]
        await self._send(str(reference["serviceUrl"]), path, payload)

    async def open_personal(self, reference: dict[str, Any], user: dict[str, Any], tenant: str) -> dict[str, Any]:
        """Create (or get back) the personal chat between the bot and one user; its ConversationReference.

        The connector answers with the existing chat when there is one. Teams answers 403 when the app is not
        installed for that user; that is SendFailed(permanent).
        """
        member = {key: user[key] for key in ("id", "aadObjectId") if isinstance(user.get(key), str)}
        request = {
            "bot": reference.get("bot"),
            "members": [member],
            "isGroup": False,
            "tenantId": tenant,
            "channelData": {"tenant": {"id": tenant}},
        }
        answer = await self._send(str(reference["serviceUrl"]), "/v3/conversations", request)
        conversation = answer.get("id")
        if not isinstance(conversation, str) or not conversation:
            raise SendFailed("teams: no conversation id in the answer", permanent=True)
        return {
            **reference,
            "activityId": None,
            "user": member,
            "conversation": {"id": conversation, "conversationType": "personal", "tenantId": tenant},
        }


def _loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _seconds(header: str | None) -> float | None:
    try:
        return float(header) if header else None
    except ValueError:
        return None


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
        """Open the connector session, finish what a crash left in the inbox; warn loudly in emulator mode."""
        await self.connector.start()
        if self.settings.teams_emulator:
            log.warning(
                "TEAMS: SLT_TEAMS_EMULATOR=1, so %s accepts UNAUTHENTICATED requests and replies only to loopback "
                "addresses (Bot Framework Emulator mode). Never run like this in production: set MICROSOFT_APP_ID "
                "and MICROSOFT_APP_PASSWORD instead.",
                ROUTE,
            )
        unfinished = await self.inbox.unfinished(CHANNEL)
        for key, payload in unfinished:
            try:
                await self._process(key, payload)
            except Exception as exc:  # one bad item must not stop the start; it stays in the inbox
                log.error("teams: recovering an unprocessed activity failed: %s", type(exc).__name__)
        if unfinished:
            log.info("teams: finished %d activities a crash left unprocessed", len(unfinished))

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
        await self._save(translate.reference(body), translate.kind(body), translate.user_id(body))

    async def _save(self, reference: dict[str, Any], kind: str, user_id: str) -> None:
        conversation = reference["conversation"]["id"]
        # Today's date is part of it, so a conversation in use is touched daily (retention sees it as used).
        today = self.bot.context.clock().date().isoformat()
        fingerprint = today + json.dumps({k: v for k, v in reference.items() if k != "activityId"}, sort_keys=True)
        if self._saved.get(conversation) == fingerprint:
            return  # unchanged since the last message: no need to write it again
        async with self.bot.db.session() as session:
            await save_reference(
                session,
                conversation_id=conversation,
                user_id=user_id.removeprefix("teams:") if kind == "personal" else "",
                kind=kind,
                reference=reference,
                now=self.bot.context.clock(),
            )
        self._saved[conversation] = fingerprint

    async def _message(self, body: dict[str, Any]) -> None:
        key, inbound = translate.from_message(body)
        payload = {
            "inbound": inbound_to_payload(inbound),
            "sender": translate.sender_id(body),
            "reference": translate.reference(body),
            "kind": translate.kind(body),
            "tenant": translate.tenant_id(body),
            "reply_to": body.get("id"),
        }
        # The inbox keeps what is needed to answer, so a crash before the reply loses nothing.
        if not await self.inbox.accept(key=key, channel=CHANNEL, payload=payload):
            return  # a redelivery: already handled
        await self._remember(body)
        await self._process(key, payload)

    async def _process(self, key: str, payload: dict[str, Any]) -> None:
        inbound = inbound_from_payload(payload["inbound"])
        replies = await self.bot.handle(inbound)
        await self._reply(payload, inbound, replies)
        await self.inbox.done(key)

    async def _welcome(self, body: dict[str, Any]) -> None:
        welcome = Reply.text(t("teams.welcome", municipality=self.bot.municipality.name))
        payload = {"reference": translate.reference(body), "kind": translate.kind(body), "reply_to": body.get("id")}
        await self._reply(payload, None, [welcome])

    async def _personal(self, payload: dict[str, Any], inbound: Inbound, *, fresh: bool = False) -> dict[str, Any]:
        """The reference of the sender's personal chat: stored, or created now (Teams has no ephemeral messages)."""
        user = inbound.user_id.removeprefix("teams:")
        if not fresh:
            async with self.bot.db.session() as session:
                stored = await find_reference(session, target=user)
            if stored is not None:
                return stored
        reference = payload["reference"]
        sender = {"id": payload.get("sender") or user, "aadObjectId": user}
        personal = await self.connector.open_personal(reference, sender, payload.get("tenant") or "")
        await self._save(personal, "personal", inbound.user_id)
        return personal

    async def _reply(self, payload: dict[str, Any], inbound: Inbound | None, replies: list[Reply]) -> None:
        reference = payload["reference"]
        shared = payload.get("kind") != "personal"
        for reply in replies:
            where, reply_to = reference, payload.get("reply_to")
            if reply.private and shared and inbound is not None:
                try:
                    where, reply_to = await self._personal(payload, inbound), None
                except SendFailed as exc:
                    # Never fall back to the shared conversation: say only how to reach the bot privately.
                    log.warning("teams: could not open the personal chat (%s)", exc)
                    await self._post(reference, Reply.text(t("teams.no_personal_chat")), payload.get("reply_to"), "")
                    return
            target = f"teams:{inbound.user_id.removeprefix('teams:')}" if reply.private and inbound else ""
            if await self._post(where, reply, reply_to, target) or where is reference or inbound is None:
                continue
            # The stored personal chat is gone (the app was removed for this person): forget it, open it anew, once.
            async with self.bot.db.session() as session:
                await delete_reference(session, conversation_id=where["conversation"]["id"])
            self._saved.pop(where["conversation"]["id"], None)
            try:
                personal = await self._personal(payload, inbound, fresh=True)
            except SendFailed as exc:
                log.warning("teams: could not reopen the personal chat (%s)", exc)
                await self._post(reference, Reply.text(t("teams.no_personal_chat")), payload.get("reply_to"), "")
                return
            await self._post(personal, reply, None, target)

    async def _post(self, reference: dict[str, Any], reply: Reply, reply_to: str | None, target: str) -> bool:
        """Post one reply, retrying briefly; what still fails goes to the outbox (private ones to the person).

        False only when the conversation refused it for good (the caller may try another way).
        """
        activity = render_activity(reply)
        for attempt in range(SEND_ATTEMPTS):
            try:
                await self.connector.post(reference, activity, reply_to=reply_to)
                return True
            except SendFailed as exc:
                if exc.permanent:
                    # Trying again cannot help (bot removed, address refused); the outbox would only fail again.
                    log.warning("teams: reply not delivered (%s)", exc)
                    return False
                if attempt == SEND_ATTEMPTS - 1:
                    # Not lost: the outbox keeps trying this conversation with backoff.
                    log.warning("teams: reply failed (%s); queued for retry", exc)
                    async with self.bot.db.session() as session:
                        key = f"reply:{reply_to}:{id(reply)}:{self.bot.context.clock().timestamp()}"
                        where = target or f"teams:{reference['conversation']['id']}"
                        await queue(session, key=key, target=where, reply=reply, now=self.bot.context.clock())
                    return True
                await asyncio.sleep(min(exc.retry_after or 0.5 * 2**attempt, 5.0))
        return True
