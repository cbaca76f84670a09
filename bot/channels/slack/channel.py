"""The Slack channel's wiring: slack-bolt's AsyncApp on our aiohttp server (POST /slack/events) or Socket Mode.

Listeners do three things, quickly: translate the payload (inbound.py), store it in the inbox under its
idempotency key, and acknowledge. With process_before_response=True bolt answers as soon as the listener
returns (instead of polling for the ack every 10 ms), and the work (handlers, database, Slack calls) is done by
a worker pool afterwards; delivery.py posts the replies. A redelivered event finds its key and is acknowledged
without being processed again, also after a restart.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
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
from bot.channels.slack.delivery import SlackDelivery
from bot.channels.slack.inbound import Where
from bot.channels.slack.notifier import SlackNotifier
from bot.channels.slack.oauth import SlackTokens
from bot.channels.slack.socket_mode import SocketMode
from bot.config import Settings, SettingsError
from bot.core.bot import Bot
from bot.core.catalog import t
from bot.core.messages import Inbound, Reply
from bot.runtime.inbox import Inbox, StoreUnavailable, reference
from bot.runtime.outbox import Outbox
from bot.runtime.workers import WorkerPool

log = logging.getLogger(__name__)

CHANNEL = "slack"
ROUTE = "/slack/events"
# Requests answered at once, in arrival order; more would only make each wait on the same core.
WORKERS = 4
# The action the router answers with the home view (handlers/home.py).
HOME_VIEW = "home-view"
SHUTDOWN_GRACE = 10.0
# Recovered items looked up in Slack before they are answered again: the oldest ones, which include every item a
# worker had in hand at the crash (WORKERS), with room for arrivals whose order was close.
CHECKED_AFTER_CRASH = 2 * WORKERS
# When Slack should deliver an event again that could not be stored (the database was away).
RETRY_AFTER_SECONDS = 5
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


class SlackChannel:
    """The Slack channel: bolt and its listeners, the inbox and the workers; delivery, notifier and socket apart."""

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

        self.tokens = SlackTokens(settings, bot.db.engine, self.client)
        oauth = self.tokens.oauth_settings()
        self.app = AsyncApp(
            client=AsyncWebClient(base_url=settings.slack_api_url),
            # Several workspaces: bolt authorizes each request from its workspace's installation (and rotates
            # an expiring token); one workspace: the configured bot token, with no network call.
            authorize=None if oauth else authorize,
            oauth_settings=oauth,
            signing_secret=settings.slack_signing_secret or None,
            process_before_response=True,
            request_verification_enabled=bool(settings.slack_signing_secret),
        )
        self.app.error(on_error)
        if oauth is not None:
            # An uninstalled app or revoked tokens: the installation is deleted from the store at once.
            self.app.enable_token_revocation_listeners()
        self.app_token = settings.slack_app_token
        self.inbox = Inbox(bot.db, bot.context.clock)
        workspaces = {key: m.slack_team_ids[0] for key, m in bot.municipalities.items() if m.slack_team_ids}
        missing = [key for key in bot.municipalities if key not in workspaces]
        if self.tokens.oauth and missing:
            # Installed by OAuth, a workspace is served only when a municipality lists it; and scheduled posts
            # need to know which installation is the municipality's.
            raise SettingsError(t("settings.oauth_needs_team_ids", ids=", ".join(missing)))
        self.notifier = SlackNotifier(self.client, self.tokens, workspaces)
        self.delivery = SlackDelivery(self.client, self.tokens, Outbox(bot.db, bot.context.clock))
        self._tasks: set[asyncio.Task[None]] = set()
        # Work waits here after the ack; a few workers drain it, so a burst of requests is acknowledged at
        # full speed and worked through right after. The payload is already in the inbox: a crash loses nothing.
        self.workers: WorkerPool[tuple[str, Inbound, Where]] = WorkerPool(self._process, name="slack", workers=WORKERS)
        self._socket: SocketMode | None = None
        # Recovered items whose replies may have gone out before a crash (key: when the item arrived).
        self._unsure: dict[str, dt.datetime] = {}
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
        """Serve Slack's requests at POST /slack/events (events, commands, interactivity: one URL).

        With OAuth, also the install link and Slack's redirect back (GET /slack/install, /slack/oauth_redirect).
        """
        web_app.router.add_post(ROUTE, self.handle)
        flow = self.app.oauth_flow
        if flow is not None:
            web_app.router.add_get(flow.install_path, self.handle_oauth)
            web_app.router.add_get(flow.redirect_uri_path, self.handle_oauth)

    async def handle_oauth(self, request: web.Request) -> web.Response:
        """Bolt's install flow: the install link (with its state cookie) and the callback that stores the install."""
        flow = self.app.oauth_flow
        assert flow is not None
        bolt_request = await to_bolt_request(request)
        if request.path == flow.install_path:
            return await to_aiohttp_response(await flow.handle_installation(bolt_request))
        return await to_aiohttp_response(await flow.handle_callback(bolt_request))

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
        if isinstance(error, StoreUnavailable):
            # An event Slack retries later; the inbox has logged and counted it (one line, no traceback).
            return BoltResponse(status=503, body="", headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
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
        await self.tokens.start()
        if not self.tokens.oauth:
            await self._learn_identity()
        self.workers.start()
        await self.recover(starting=True)
        if self.app_token:
            self._socket = SocketMode(self.app, self.app_token)
            await self._socket.connect()

    async def recover(self, *, starting: bool = False) -> int:
        """Finish items a crashed process (this one before a restart, or another replica) left in the inbox.

        The workers take items oldest first and each keeps its item until the item's done mark is written, so
        the replies a crash may have caught between posting and marking belong to the oldest few items left.
        For those, the worker looks up the person's DM first: a reply found there (by its metadata) is not sent
        again. The lookup happens in the workers, so a Slack that is slow or away does not hold up the start.
        """
        abandoned = await self.inbox.abandoned(CHANNEL, starting=starting)
        for number, (key, payload, received_at) in enumerate(abandoned):
            inbound, where = translate.from_payload(payload)
            if number < CHECKED_AFTER_CRASH:
                self._unsure[key] = received_at
            # The interaction's trigger id has long expired: forms go out as messages.
            self.workers.put((key, inbound, dataclasses.replace(where, trigger_id="")))
        if abandoned:
            log.info(
                "slack: replaying %d items taken over (the oldest %d are first looked up in Slack)",
                len(abandoned),
                min(len(abandoned), CHECKED_AFTER_CRASH),
            )
        return len(abandoned)

    def backlog(self) -> dict[str, float]:
        """How far behind the replies are (for /healthz)."""
        return {**self.workers.backlog(), **self.inbox.window()}

    async def close(self) -> None:
        """Let queued and running work finish, then disconnect."""
        # Queued items stay in the inbox and are finished on the next start; only the ones in hand are awaited.
        await self.workers.close(SHUTDOWN_GRACE)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.inbox.flush()
        if self._socket is not None:
            await self._socket.close()
        if self.client.session is not None:
            await self.client.session.close()

    # --- listeners: translate, store, acknowledge -----------------------------------------------------

    async def _accept(self, ack: AsyncAck, item: tuple[str, Inbound, Where] | None, kind: str = "event") -> None:
        """Store the item, acknowledge it, and queue the work; when the database is away, say so in time.

        Events get a 503 with Retry-After (Slack delivers them again later). A slash command, a button or a form
        is never retried by Slack, so the person is told in the acknowledgement itself, and nothing is stored.
        """
        if item is None:
            await ack()
            return
        key, inbound, where = item
        try:
            accepted = await self.inbox.accept(key=key, channel=CHANNEL, payload=translate.to_payload(inbound, where))
        except StoreUnavailable:
            if kind == "event":
                raise  # _on_error: 503, Retry-After
            await self._refuse(ack, kind, inbound, where)
            return
        await ack()
        if accepted:
            self.workers.put((key, inbound, where))

    async def _refuse(self, ack: AsyncAck, kind: str, inbound: Inbound, where: Where) -> None:
        text = t("store.unavailable")
        if kind == "command":
            await ack(text=text)  # shown to the person alone, where they typed the command
        elif kind == "view":
            await ack(response_action="update", view=render.notice_view(text))
        else:
            await ack()  # a button's acknowledgement shows nothing: tell the person privately instead
            self._background(self._notify(Reply.text(text, ephemeral=True), inbound, where))

    async def _notify(self, notice: Reply, inbound: Inbound, where: Where) -> None:
        """Best effort: a notice that cannot go out now is dropped (it must not need the database that is away)."""
        try:
            await self.delivery.deliver([notice], where, municipality=self.bot.owner(inbound))
        except Exception as exc:
            log.warning("slack: could not send a notice (%s)", type(exc).__name__)

    def _translate(self, translate_one: Any, body: dict[str, Any]) -> Any:
        """Translate a payload and name the municipalities its workspace belongs to."""
        item = _read(translate_one, body)
        if item is None:
            return None
        key, inbound, where = item
        team = translate.team_id(body)
        municipalities = self.bot.for_slack(team)
        return key, dataclasses.replace(inbound, municipalities=municipalities), dataclasses.replace(where, team=team)

    async def _on_command(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        key, inbound, where = self._translate(translate.from_command, body)
        form = self.bot.router.quick_form(inbound.text, self.bot.context)
        if form is not None:
            # The trigger id lasts three seconds: acknowledge, then open the modal with nothing in between.
            await ack()
            await self.delivery.open_modal(form, where)
            return
        await self._accept(ack, (key, inbound, where), "command")

    async def _on_event(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await self._accept(ack, self._translate(translate.from_event, body))

    async def _on_action(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        item = self._translate(translate.from_action, body)
        if item is not None and item[1].action == render.OPEN_FORM:
            await ack()
            _, clicked, where = item
            form_action = str(clicked.values.get("value", ""))
            opened = await self.bot.open_form(dataclasses.replace(clicked, action=form_action))
            await self.delivery.deliver(opened, where, municipality=self.bot.owner(clicked))
            return
        await self._accept(ack, item, "action")

    async def _on_view(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await self._accept(ack, self._translate(translate.from_view_submission, body), "view")

    async def _on_home_opened(self, body: dict[str, Any]) -> None:
        event = body.get("event", {})
        if event.get("tab") != "home":
            return
        user = _read(lambda b: str(b["event"]["user"]), body)
        municipalities = self.bot.for_slack(translate.team_id(body))
        view_request = Inbound(
            CHANNEL, f"slack:{user}", f"slack:dm:{user}", action=HOME_VIEW, municipalities=municipalities
        )
        self._background(self._publish_home(view_request, user, translate.team_id(body)))

    # --- the work, after the acknowledgement --------------------------------------------------------

    def _background(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _process(self, item: tuple[str, Inbound, Where]) -> None:
        key, inbound, where = item
        try:
            sent, total = await self._answered_before(key, where)
            if total and len(sent) >= total:
                log.info("slack: an item taken over had been answered before the crash (found in Slack)")
            else:
                replies = await self.bot.handle(inbound)
                if sent and len(replies) != total:
                    # The work ran again and answered differently (its first run's changes were kept): the numbers
                    # found say nothing about these replies, so all of them go out.
                    log.info("slack: an item taken over answers differently now; all its replies are sent")
                    sent = frozenset()
                owner = self.bot.owner(inbound)
                await self.delivery.deliver(replies, where, municipality=owner, ref=reference(key), skip=sent)
        except BaseException:
            self.inbox.release(key)  # taken over (here or elsewhere) once its claim runs out
            raise
        await self.inbox.done(key)

    async def _answered_before(self, key: str, where: Where) -> tuple[frozenset[int], int]:
        received_at = self._unsure.pop(key, None)
        if received_at is None:
            return frozenset(), 0
        return await self.delivery.answered_before(where, reference(key), received_at)

    async def _publish_home(self, view_request: Inbound, user: str, team: str) -> None:
        try:
            replies = await self.bot.handle(view_request)
            await self.delivery.publish_home(user, replies[0], team=team)
        except Exception as exc:  # the home tab must never take the channel down
            log.error("slack: App Home failed: %s", type(exc).__name__)
