"""The bot's aiohttp app running on a local port, with a client to send platform requests into it."""

from __future__ import annotations

import socket

from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_bot, build_web_app
from bot.config import Settings
from bot.core.bot import Bot
from tests.conftest import FrozenClock


class RunningApp:
    """`async with RunningApp(settings, clock) as app:` serves the whole app (channels, scheduler) until exit."""

    def __init__(self, settings: Settings, clock: FrozenClock) -> None:
        self.bot: Bot = build_bot(settings, clock=clock)
        self.client = TestClient(TestServer(build_web_app(self.bot)))

    async def __aenter__(self) -> RunningApp:
        await self.client.start_server()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (for a server a test starts in its own process)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
