"""A local fake of the Slack Web API that records calls, and helpers to send signed Slack requests."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import urllib.parse
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"


class FakeSlackApi:
    """Answers Web API methods like Slack does (ok: true) and remembers every call; can fail on request."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        # The bot token each call was made with (the Authorization header), by method.
        self.tokens: list[tuple[str, str]] = []
        # What oauth.v2.access hands out: a new token for each code or refresh token exchanged.
        self.issued = 0
        self.failures: dict[str, list[tuple[int, dict[str, str], dict[str, Any]]]] = {}
        self.dms = DmHistory()
        self.server: TestServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.port}/api/"

    def fail_next(self, method: str, status: int, error: str, headers: dict[str, str] | None = None) -> None:
        """Make the next call of `method` fail with this HTTP status and Slack error code."""
        self.failures.setdefault(method, []).append((status, headers or {}, {"ok": False, "error": error}))

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await request_params(request)
        self.calls.append((method, params))
        self.tokens.append((method, request.headers.get("Authorization", "").removeprefix("Bearer ")))
        if self.failures.get(method):
            status, headers, body = self.failures[method].pop(0)
            return web.json_response(body, status=status, headers=headers)
        answers: dict[str, dict[str, Any]] = {
            "auth.test": {"user_id": "UBOT", "bot_id": "BBOT", "team_id": "T0EKS", "user": "slt", "team": "Eksempel"},
            "chat.postMessage": {"channel": params.get("channel"), "ts": self.dms.record(params)},
            "chat.postEphemeral": {"message_ts": "1700000000.000200"},
            "views.open": {"view": {"id": "V0OPEN"}},
            "views.publish": {"view": {"id": "V0HOME"}},
        }
        if method == "conversations.open":
            return web.json_response({"ok": True, "channel": {"id": DmHistory.dm_of(str(params.get("users")))}})
        if method == "conversations.history":
            return web.json_response({"ok": True, **self.dms.page(params)})
        if method == "oauth.v2.access":
            self.issued += 1
            return web.json_response(self._oauth_answer(params))
        return web.json_response({"ok": True, **answers.get(method, {})})

    def _oauth_answer(self, params: dict[str, Any]) -> dict[str, Any]:
        """Slack's answer to an install (code) or a token rotation (refresh_token): a rotating bot token."""
        return {
            "ok": True,
            "access_token": f"xoxe.xoxb-nabo-{self.issued}",
            "token_type": "bot",
            "scope": "app_mentions:read,chat:write,commands,im:history,im:read,im:write",
            "bot_user_id": "UBOTNABO",
            "app_id": "A0SLT",
            "team": {"id": "T0NABO", "name": "Nabo"},
            "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {"id": "U0NABOKOORD"},
            "refresh_token": f"xoxe-1-refresh-{self.issued}",
            "expires_in": 43200,
        }

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/{method}", self._handle)
        app.router.add_get("/api/{method}", self._handle)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()

    def of(self, method: str) -> list[dict[str, Any]]:
        """The parameters of every call of one method."""
        return [params for name, params in self.calls if name == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Wait until `method` was called `count` times (the bot works after acknowledging)."""
        deadline = time.monotonic() + timeout
        while len(self.of(method)) < count:
            assert time.monotonic() < deadline, f"{method} called {len(self.of(method))} times, wanted {count}"
            await asyncio.sleep(0.01)
        return self.of(method)


async def request_params(request: web.Request) -> dict[str, Any]:
    """A Web API call's arguments, from the query string and the body (form or JSON) as Slack reads them."""
    raw = await request.read()
    # slack_sdk sends some methods' arguments in the query string, also on POST.
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        params.update(json.loads(raw or b"{}"))
    elif raw:
        params.update({k: v[0] for k, v in urllib.parse.parse_qs(raw.decode()).items()})
    for key in ("blocks", "view", "metadata"):
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    return params


class DmHistory:
    """The bot's posts in each DM, served like conversations.history: newest first, in pages, metadata on request.

    A post to a user id lands in the DM with that user, whose id (here "D" + the user id) is what
    conversations.open gives; the history is asked by that id, never by the user's.
    """

    def __init__(self) -> None:
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self._last = 0.0

    @staticmethod
    def dm_of(user: str) -> str:
        """The id of the bot's DM with a user."""
        return "D" + user

    def record(self, params: dict[str, Any]) -> str:
        """Keep a chat.postMessage; returns its ts (Slack's time, increasing)."""
        self._last = max(time.time(), self._last + 0.000001)
        ts = f"{self._last:.6f}"
        channel = str(params.get("channel", ""))
        dm = self.dm_of(channel) if channel.startswith(("U", "W")) else channel
        message = {"type": "message", "ts": ts, "text": params.get("text", ""), "metadata": params.get("metadata")}
        self.messages.setdefault(dm, []).append(message)
        return ts

    def page(self, params: dict[str, Any]) -> dict[str, Any]:
        """One page of conversations.history."""
        oldest = float(params.get("oldest") or 0)
        found = [m for m in reversed(self.messages.get(str(params.get("channel")), [])) if float(m["ts"]) > oldest]
        start, limit = int(params.get("cursor") or 0), int(params.get("limit") or 100)
        with_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        shown = [
            {k: v for k, v in m.items() if v is not None and (k != "metadata" or with_metadata)}
            for m in found[start : start + limit]
        ]
        more = start + limit < len(found)
        return {
            "messages": shown,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }


def signed_headers(body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Headers of a request signed the way Slack signs: HMAC-SHA256 of v0:timestamp:body."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


def command_body(
    command: str, text: str = "", *, user: str = "U0STAFF", channel: str = "C0GENERAL", trigger: str = "trig-1"
) -> str:
    """A slash command as Slack posts it (form-encoded)."""
    return urllib.parse.urlencode(
        {
            "token": "x",
            "team_id": "T0EKS",
            "team_domain": "eksempel",
            "channel_id": channel,
            "channel_name": "directmessage" if channel.startswith("D") else "general",
            "user_id": user,
            "user_name": "ansatt",
            "command": command,
            "text": text,
            "api_app_id": "A0SLT",
            "response_url": "https://hooks.slack.invalid/commands/1",
            "trigger_id": trigger,
        }
    )


def event_body(text: str, *, event_id: str = "Ev001", user: str = "U0STAFF", channel: str = "D0STAFF") -> str:
    """A direct message event as Slack posts it (JSON)."""
    return json.dumps(
        {
            "token": "x",
            "team_id": "T0EKS",
            "api_app_id": "A0SLT",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": 1700000000,
            "event": {
                "type": "message",
                "channel_type": "im",
                "user": user,
                "text": text,
                "channel": channel,
                "ts": "1700000000.000001",
                "event_ts": "1700000000.000001",
            },
        }
    )


def interaction_body(payload: dict[str, Any]) -> str:
    """An interactivity payload (block action, view submission) as Slack posts it: form-encoded JSON."""
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def block_action(
    action_id: str,
    value: str,
    *,
    user: str = "U0STAFF",
    channel: str = "C0GENERAL",
    trigger: str = "trig-a",
    state: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A button press in a message."""
    return {
        "type": "block_actions",
        "team": {"id": "T0EKS"},
        "user": {"id": user},
        "api_app_id": "A0SLT",
        "trigger_id": trigger,
        "container": {"type": "message", "channel_id": channel, "is_ephemeral": True},
        "channel": {"id": channel},
        "response_url": "https://hooks.slack.invalid/actions/1",
        "state": {"values": state or {}},
        "actions": [
            {"type": "button", "action_id": action_id, "block_id": "b1", "value": value, "action_ts": "1700000001.1"}
        ],
    }


def view_submission(
    callback_id: str,
    values: dict[str, Any],
    *,
    user: str = "U0STAFF",
    metadata: str = '{"channel": "None", "user": "U0STAFF", "is_dm": "True"}',
) -> dict[str, Any]:
    """A submitted modal; `values` maps block ids to element states."""
    state = {name: {"value": element} for name, element in values.items()}
    return {
        "type": "view_submission",
        "team": {"id": "T0EKS"},
        "user": {"id": user},
        "api_app_id": "A0SLT",
        "trigger_id": "trig-v",
        "view": {
            "id": "V0SUBMIT",
            "hash": "h1",
            "callback_id": callback_id,
            "private_metadata": metadata,
            "state": {"values": state},
            "type": "modal",
        },
    }
