"""The aiohttp app: /healthz answers 200 when the database does, 503 when it does not."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from bot.app import Bot, build_web_app


async def test_healthz_ok(bot: Bot) -> None:
    async with TestClient(TestServer(build_web_app(bot))) as client:
        response = await client.get("/healthz")
        assert response.status == 200
        assert (await response.json())["status"] == "ok"


async def test_healthz_reports_a_database_that_is_down(bot: Bot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    async def down() -> bool:
        return False

    async with TestClient(TestServer(build_web_app(bot))) as client:
        monkeypatch.setattr(bot.db, "ping", down)
        response = await client.get("/healthz")
        assert response.status == 503
        assert await response.json() == {"status": "error", "database": "unavailable"}
