"""Slack over Socket Mode: the same bolt app, reached over Slack's websocket instead of a public URL."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

log = logging.getLogger(__name__)


class SocketMode:
    """One Socket Mode connection for the app, with the app-level token (xapp-...)."""

    def __init__(self, app: AsyncApp, app_token: str) -> None:
        # bolt's Socket Mode handler is untyped.
        self._handler: Any = AsyncSocketModeHandler(app, app_token)

    async def connect(self) -> None:
        """Connect; bolt reconnects on its own when Slack closes the socket."""
        await self._handler.connect_async()
        log.info("slack: connected over Socket Mode")

    async def close(self) -> None:
        """Disconnect."""
        await self._handler.close_async()
