"""A bare slack-bolt AsyncApp on aiohttp: the baseline for benchmarks/slack_ack.py and benchmarks/latency.py.

python benchmarks/bare_slack_app.py PORT SLACK_API_URL

`/slt` is only acknowledged (the acknowledgement benchmark); `/slt-tema`, a direct message and a button press
are acknowledged and answered «ok» through the Web API (the reply-latency benchmark), with bolt's defaults.
"""

from __future__ import annotations

import sys
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient


def main(port: int, api_url: str) -> None:
    """Serve a bolt app whose only listener acknowledges (bolt's defaults otherwise)."""
    bolt = AsyncApp(
        client=AsyncWebClient(token="xoxb-test-token", base_url=api_url), signing_secret="test-signing-secret"
    )

    @bolt.command("/slt")
    async def ack_only(ack: AsyncAck) -> None:
        await ack()

    @bolt.command("/slt-tema")
    async def suggestion(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.chat_postMessage(channel=body["user_id"], text="ok")

    @bolt.event("message")
    async def message(event: dict[str, Any], client: AsyncWebClient) -> None:
        await client.chat_postMessage(channel=event["user"], text="ok")

    @bolt.action("home")
    async def button(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.chat_postMessage(channel=body["user"]["id"], text="ok")

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    async def ready(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/slack/events", events)
    app.router.add_get("/healthz", ready)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
