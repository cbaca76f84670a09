"""The Slack channel: slack-bolt's AsyncApp on our aiohttp server (POST /slack/events) or over Socket Mode.

Listeners do three things, quickly: translate the payload, store it in the inbox under its idempotency key,
and acknowledge. With process_before_response=True bolt answers as soon as the listener returns (instead of
polling for the ack every 10 ms), and the work (handlers, database, Slack calls) runs in a task afterwards. A
redelivered event finds its key and is acknowledged without being processed again, also after a restart.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack import inbound as translate
from bot.channels.slack import render
from bot.channels.slack.inbound import Where
from bot.channels.slack.notifier import SlackNotifier, failure
from bot.config import Settings
from bot.core.bot import Bot
from bot.core.messages import Form, Inbound, Reply, inbound_from_payload, inbound_to_payload
from bot.runtime.inbox import Inbox
from bot.runtime.outbox import queue

log = logging.getLogger(__name__)

CHANNEL = "slack"
ROUTE = "/slack/events"
WORKERS = 4
# The action the router answers with the home view (handlers/home.py).
HOME_VIEW = "home-view"
QUIET = 0.005
# Under the 3 seconds an interaction's trigger id lasts, so a deferred form can still open as a modal.
MAX_DEFER = 2.5
SHUTDOWN_GRACE = 10.0
STOP = object()
# What a signed request that the bot cannot read raises while it is translated: answered 400, never 500.
MALFORMED = (KeyError, TypeError, ValueError, AttributeError, IndexError)


class MalformedPayload(Exception):
    """A signed Slack payload that does not have the shape the bot reads; answered 400 and not processed."""


def _read(translate_one: Any, body: Any) -> Any:
    """Translate a payload; only errors raised here (not the bot's own bugs) count as malformed input."""
    try:
        return translate_one(body)
    except MALFORMED as exc:
        raise MalformedPayload(type(exc).__name__) from exc


def _payload(inbound: Inbound, where: Where) -> dict[str, Any]:
    return {
        "inbound": inbound_to_payload(inbound),
        "where": {
            "channel": where.channel,
            "user": where.user,
            "is_dm": where.is_dm,
            "trigger_id": where.trigger_id,
            "response_url": where.response_url,
            "private": where.private,
        },
    }


def _restore(payload: dict[str, Any]) -> tuple[Inbound, Where]:
    return inbound_from_payload(payload["inbound"]), Where(**payload["where"])


class SlackChannel:
    """Everything Slack: inbound listeners, replies, App Home, the notifier and Socket Mode."""

    def __init__(self, bot: Bot, settings: Settings) -> None:
        self.bot = bot
        self.client = AsyncWebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
        # Slack's 429 carries Retry-After; the SDK waits that long and tries again.
        self.client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
        self.token = settings.slack_bot_token
        self.verifier = SignatureVerifier(settings.slack_signing_secret) if settings.slack_signing_secret else None
        # The bot's own identity (auth.test), learnt once. Bolt would otherwise call auth.test on the first request
        # and answer 500 while the Web API is unreachable; our authorize never waits for the network.
        self.identity: dict[str, str] = {}

        # Bolt passes arguments by name and refuses bound methods' `self`, hence the small closures.
        async def authorize(enterprise_id: str | None, team_id: str | None, user_id: str | None) -> AuthorizeResult:
            return self._authorize(enterprise_id, team_id, user_id)

        async def on_error(error: Exception) -> BoltResponse:
            return self._on_error(error)

        self.app = AsyncApp(
            client=AsyncWebClient(base_url=settings.slack_api_url),
            authorize=authorize,
            signing_secret=settings.slack_signing_secret or None,
            process_before_response=True,
            request_verification_enabled=bool(settings.slack_signing_secret),
        )
        self.app.error(on_error)
        self.app_token = settings.slack_app_token
        self.inbox = Inbox(bot.db, bot.context.clock)
        self.notifier = SlackNotifier(self.client)
        self._tasks: set[asyncio.Task[None]] = set()
        # Work waits here after the ack; a few workers drain it, so a burst of requests is acknowledged at
        # full speed and worked through right after. The payload is already in the inbox: a crash loses nothing.
        self._work: asyncio.Queue[Any] = asyncio.Queue()
        self._stopping = False
        self._workers: list[asyncio.Task[None]] = []
        self._socket: Any = None
        self._register()

    # --- wiring -------------------------------------------------------------------------------------

    def _register(self) -> None:
        self.app.command(re.compile(r"^/slt(-tema|-bekymring)?$"))(self._on_command)
        self.app.event("message")(self._on_event)
        self.app.event("app_mention")(self._on_event)
        self.app.event("app_home_opened")(self._on_home_opened)
        self.app.action(re.compile(".*"))(self._on_action)
        self.app.view(re.compile(".*"))(self._on_view)

    def mount(self, web_app: web.Application) -> None:
        """Serve Slack's requests at POST /slack/events (events, commands, interactivity: one URL)."""
        web_app.router.add_post(ROUTE, self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        """Verify the signature first (401), then let bolt dispatch; a body it cannot read is a 400, never a 500."""
        raw = await request.read()
        if self.verifier is not None and not self.verifier.is_valid_request(raw, dict(request.headers)):
            return web.Response(status=401)
        try:
            bolt_request = await to_bolt_request(request)
            return await to_aiohttp_response(await self.app.async_dispatch(bolt_request))
        except MALFORMED as exc:
            log.warning("slack: refused a request bolt could not read: %s", type(exc).__name__)
            return web.Response(status=400)

    def _authorize(self, enterprise_id: str | None, team_id: str | None, user_id: str | None) -> AuthorizeResult:
        """Single-workspace authorization from the bot token and the cached identity; no network call."""
        if not self.identity:
            self._background(self._learn_identity())
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id,
            bot_token=self.token,
            bot_user_id=self.identity.get("user_id"),
            bot_id=self.identity.get("bot_id"),
            user_id=user_id,
        )

    async def _learn_identity(self) -> None:
        """Ask Slack who the bot is (auth.test), once it answers; until then requests are served without it."""
        if self.identity.get("pending"):
            return
        self.identity["pending"] = "1"
        try:
            answer = await self.client.auth_test()
            self.identity = {key: str(answer.get(key) or "") for key in ("user_id", "bot_id", "team_id")}
        except (TimeoutError, SlackApiError, aiohttp.ClientError, OSError) as exc:
            log.warning("slack: auth.test failed (%s); will ask again", type(exc).__name__)
            self.identity = {}

    def _on_error(self, error: Exception) -> BoltResponse:
        """A listener or bolt failed: malformed input is a 400; anything else a 503 that Slack retries (not lost).

        Bolt's own middleware also raises KeyError/TypeError/AttributeError on payloads of the wrong shape; those
        are a 400 too, but logged at ERROR with their type, since the same types would show a bug of ours.
        """
        if isinstance(error, MalformedPayload):
            log.warning("slack: refused a malformed payload: %s", error)
            return BoltResponse(status=400, body="")
        if isinstance(error, MALFORMED):
            log.error("slack: refused a payload bolt could not read: %s", type(error).__name__)
            return BoltResponse(status=400, body="")
        log.error("slack: listener failed: %s", type(error).__name__)
        return BoltResponse(status=503, body="", headers={"Retry-After": "5"})

    async def start(self) -> None:
        """Start the workers, finish what a crash left in the inbox, connect over Socket Mode if configured."""
        # One HTTP session for every Web API call (the SDK would otherwise open one per call).
        self.client.session = aiohttp.ClientSession()
        self.app.client.session = self.client.session
        await self._learn_identity()
        self._workers = [asyncio.get_running_loop().create_task(self._drain()) for _ in range(WORKERS)]
        for key, payload in await self.inbox.unfinished(CHANNEL):
            inbound, where = _restore(payload)
            self._spawn(key, inbound, dataclasses.replace(where, trigger_id="", response_url=""))
        if self.app_token:
            from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

            self._socket = AsyncSocketModeHandler(self.app, self.app_token)
            await self._socket.connect_async()
            log.info("slack: connected over Socket Mode")

    async def close(self) -> None:
        """Let queued and running work finish, then disconnect."""
        if self._workers:
            # Queued items stay in the inbox and are finished on the next start; only the one in hand is awaited.
            self._stopping = True
            self._work.put_nowait(STOP)
            await asyncio.wait(self._workers, timeout=SHUTDOWN_GRACE)
            for worker in self._workers:
                worker.cancel()
            await asyncio.gather(*self._workers, return_exceptions=True)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.inbox.flush()
        if self._socket is not None:
            await self._socket.close_async()
        if self.client.session is not None:
            await self.client.session.close()

    # --- listeners: translate, store, acknowledge -----------------------------------------------------

    async def _accept(self, ack: AsyncAck, item: tuple[str, Inbound, Where] | None) -> None:
        if item is None:
            await ack()
            return
        key, inbound, where = item
        accepted = await self.inbox.accept(key=key, channel=CHANNEL, payload=_payload(inbound, where))
        await ack()
        if accepted:
            self._spawn(key, inbound, where)

    async def _on_command(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        key, inbound, where = _read(translate.from_command, body)
        form = self.bot.router.quick_form(inbound.text, self.bot.context)
        if form is not None:
            # The trigger id lasts three seconds: acknowledge, then open the modal with nothing in between.
            await ack()
            await self._open_modal(form, where)
            return
        await self._accept(ack, (key, inbound, where))

    async def _on_event(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await self._accept(ack, _read(translate.from_event, body))

    async def _on_action(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        item = _read(translate.from_action, body)
        if item is not None and item[1].action == render.OPEN_FORM:
            await ack()
            _, clicked, where = item
            form_action = str(clicked.values.get("value", ""))
            opened = await self.bot.router.open_form(dataclasses.replace(clicked, action=form_action), self.bot.context)
            await self._deliver(opened, where)
            return
        await self._accept(ack, item)

    async def _on_view(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await self._accept(ack, _read(translate.from_view_submission, body))

    async def _on_home_opened(self, body: dict[str, Any]) -> None:
        event = body.get("event", {})
        if event.get("tab") != "home":
            return
        user = _read(lambda b: str(b["event"]["user"]), body)
        view_request = Inbound(CHANNEL, f"slack:{user}", f"slack:dm:{user}", action=HOME_VIEW)
        self._background(self._publish_home(view_request, user))

    # --- the work, after the acknowledgement --------------------------------------------------------

    def _background(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _spawn(self, key: str, inbound: Inbound, where: Where) -> None:
        self._work.put_nowait((key, inbound, where))

    async def _drain(self) -> None:
        while not self._stopping:
            item = await self._work.get()
            if item is STOP:
                self._work.put_nowait(STOP)  # wake the next worker too
                return
            key, inbound, where = item
            # Acknowledging has a hard 3-second deadline; the work is safe in the inbox. So while requests are
            # streaming in, the work waits for a quiet moment, but never longer than MAX_DEFER.
            waited = 0.0
            while not self.inbox.quiet_for(QUIET) and waited < MAX_DEFER:
                await asyncio.sleep(QUIET)
                waited += QUIET
            try:
                await self._process(key, inbound, where)
            except Exception as exc:  # one bad item must not stop the worker; it stays in the inbox
                log.error("slack: processing failed: %s", type(exc).__name__)
            finally:
                self._work.task_done()

    async def _process(self, key: str, inbound: Inbound, where: Where) -> None:
        replies = await self.bot.handle(inbound)
        await self._deliver(replies, where)
        await self.inbox.done(key)

    async def _publish_home(self, view_request: Inbound, user: str) -> None:
        try:
            replies = await self.bot.handle(view_request)
            await self.client.views_publish(user_id=user, view=render.home(replies[0]))
        except SlackApiError as exc:
            log.warning("slack: could not publish App Home: %s", failure(exc))
        except Exception as exc:  # the home tab must never take the channel down
            log.error("slack: App Home failed: %s", type(exc).__name__)

    async def _open_modal(self, reply: Reply, where: Where) -> bool:
        form = next(p for p in reply.parts if isinstance(p, Form))
        intro = tuple(p for p in reply.parts if not isinstance(p, Form))
        view = render.modal(form, metadata=translate.metadata(where), intro=intro)
        try:
            await self.client.views_open(trigger_id=where.trigger_id, view=view)
            return True
        except SlackApiError as exc:
            log.warning("slack: could not open a modal: %s", failure(exc))
            return False

    async def _deliver(self, replies: list[Reply], where: Where) -> None:
        for reply in replies:
            has_form = any(isinstance(p, Form) for p in reply.parts)
            if has_form and where.trigger_id and await self._open_modal(reply, where):
                where = dataclasses.replace(where, trigger_id="")  # a trigger id opens one modal
                continue
            blocks = render.blocks_for(reply.parts)
            text = render.fallback_text(reply)
            try:
                if where.is_dm or where.channel is None or reply.private:
                    # Private work asked for in a channel goes to the person's DM (posting to a user id opens it).
                    await self.client.chat_postMessage(channel=where.user, blocks=blocks, text=text)
                elif reply.ephemeral or where.private:
                    await self.client.chat_postEphemeral(
                        channel=where.channel, user=where.user, blocks=blocks, text=text
                    )
                else:
                    await self.client.chat_postMessage(channel=where.channel, blocks=blocks, text=text)
            except (SlackApiError, aiohttp.ClientError, OSError) as exc:
                # Not lost: the outbox tries again with backoff, as a direct message to the user.
                reason = failure(exc) if isinstance(exc, SlackApiError) else type(exc).__name__
                log.warning("slack: reply failed (%s); queued for retry", reason)
                async with self.bot.db.session() as session:
                    key = f"reply:{id(reply)}:{self.bot.context.clock().timestamp()}"
                    await queue(
                        session, key=key, target=f"slack:{where.user}", reply=reply, now=self.bot.context.clock()
                    )
