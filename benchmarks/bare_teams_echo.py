"""A bare botbuilder echo bot (CloudAdapter, no app id): the baseline for benchmarks/teams_turns.py.

python benchmarks/bare_teams_echo.py PORT
"""

from __future__ import annotations

import sys

from aiohttp import web
from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication


class Config:
    """No app id: the Emulator mode, like the full bot in the benchmark."""

    APP_ID = ""
    APP_PASSWORD = ""
    APP_TYPE = "MultiTenant"
    APP_TENANTID = ""


class EchoBot(ActivityHandler):
    """Answers every message with its own text."""

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        """Echo."""
        await turn_context.send_activity(MessageFactory.text(f"Du skrev: {turn_context.activity.text}"))


def main(port: int) -> None:
    """Serve the echo bot at /api/messages."""
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(Config()))
    bot = EchoBot()

    async def messages(request: web.Request) -> web.Response:
        return await adapter.process(request, bot)

    async def ready(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", ready)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main(int(sys.argv[1]))
