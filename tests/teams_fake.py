"""A local fake of the Bot Framework connector that records posted activities, and activity builders."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

BOT = {"id": "28:slt-bot", "name": "SLT-assistenten"}
_ids = itertools.count(1)


class FakeConnector:
    """Accepts POST /v3/conversations/{id}/activities[/{reply to}] like the connector, and remembers them."""

    def __init__(self) -> None:
        self.posted: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.failures: list[tuple[int, dict[str, str]]] = []
        self.created: list[dict[str, Any]] = []
        self.refuse_personal = False
        self.gone: set[str] = set()  # conversations the bot was removed from: 403
        self.slow: dict[str, asyncio.Event] = {}  # conversations whose posts hang until their event is set
        self.server: TestServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.port}/"

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["conversation"] in self.slow:
            await self.slow[request.match_info["conversation"]].wait()
        if request.match_info["conversation"] in self.gone:
            return web.json_response({"error": {"code": "BotNotInConversationRoster"}}, status=403)
        if self.failures:
            status, headers = self.failures.pop(0)
            return web.json_response({"error": {"code": "Throttled"}}, status=status, headers=headers)
        self.posted.append(await request.json())
        self.paths.append(request.path)
        return web.json_response({"id": f"reply-{len(self.posted)}"})

    async def _create(self, request: web.Request) -> web.Response:
        """POST /v3/conversations: the personal chat with one user (403 when the app is not installed for them)."""
        if self.refuse_personal:
            return web.json_response({"error": {"code": "Forbidden"}}, status=403)
        body = await request.json()
        self.created.append(body)
        return web.json_response({"id": f"a:personal-{body['members'][0]['aadObjectId']}-{len(self.created)}"})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._handle)
        app.router.add_post("/v3/conversations/{conversation}/activities/{reply_to}", self._handle)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.posted) < count:
            assert time.monotonic() < deadline, f"{len(self.posted)} activities posted, wanted {count}"
            await asyncio.sleep(0.01)
        return self.posted


def message(
    service_url: str,
    text: str = "",
    *,
    value: dict[str, Any] | None = None,
    user: str = "aad-staff",
    conversation: str = "a:personal-staff",
    kind: str = "personal",
    activity_id: str | None = None,
) -> dict[str, Any]:
    """A message activity as Teams sends it."""
    return {
        "type": "message",
        "id": activity_id or f"act-{next(_ids)}",
        "timestamp": "2026-11-22T09:00:00Z",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "locale": "nb-NO",
        "from": {"id": f"29:{user}", "name": "Ansatt", "aadObjectId": user},
        "conversation": {"id": conversation, "conversationType": kind, "tenantId": "tenant-eks"},
        "recipient": BOT,
        "text": text,
        **({"value": value} if value is not None else {}),
        "channelData": {"tenant": {"id": "tenant-eks"}},
    }


def installed(
    service_url: str, *, conversation: str = "19:slt-kanal@thread.tacv2", kind: str = "channel"
) -> dict[str, Any]:
    """The bot was added to a team channel (conversationUpdate with the bot among membersAdded)."""
    return {
        "type": "conversationUpdate",
        "id": f"act-{next(_ids)}",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": {"id": "29:aad-admin", "aadObjectId": "aad-admin"},
        "conversation": {"id": conversation, "conversationType": kind, "tenantId": "tenant-eks"},
        "recipient": BOT,
        "membersAdded": [BOT],
        "channelData": {"tenant": {"id": "tenant-eks"}},
    }
