"""The aiohttp app: /healthz answers 200 when the database does, 503 when it does not; start-up work."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_web_app
from bot.core.bot import Bot


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
        assert (await response.json())["status"] == "error" and (await response.json())["database"] == "unavailable"


async def test_the_server_sweeps_abandoned_dialogs(bot: Bot, clock, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    import bot.app as app_module
    from bot.core.messages import Inbound

    monkeypatch.setattr(app_module, "DIALOG_SWEEP_SECONDS", 0.05)
    user = Inbound("console", "console:a", "console:a", text="bekymring")
    await bot.handle(user)
    async with TestClient(TestServer(build_web_app(bot))):
        clock.advance(hours=25)
        for _ in range(100):
            await asyncio.sleep(0.05)
            async with bot.db.session() as session:
                from storage.dialogs import get_dialog

                if await get_dialog(session, key=user.dialog_key) is None:
                    break
        else:
            raise AssertionError("the abandoned dialog was never swept")


async def test_the_first_question_after_a_start_finds_its_index_built(bot: Bot) -> None:
    import asyncio

    from handlers.search import index

    index._INDEXES.clear()
    async with TestClient(TestServer(build_web_app(bot))) as client:
        assert (await client.get("/healthz")).status == 200
        for _ in range(100):  # built right after start, before anyone asked
            if id(bot.municipality) in index._INDEXES:
                break
            await asyncio.sleep(0.01)
        assert index._INDEXES[id(bot.municipality)][0] is bot.municipality
