"""The HTTP routes that serve the municipality's content: the calendar, the year wheel and report links."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from aiohttp import web

from bot.core.bot import Bot
from bot.core.context import Context
from handlers import report_link
from handlers.planning import calendar, yearwheel
from handlers.privacy.audit import audited

log = logging.getLogger(__name__)

# The subscribable calendar shows the last month and the next year.
CALENDAR_PAST = dt.timedelta(days=31)
CALENDAR_FUTURE = dt.timedelta(days=366)
# One report at a time: matplotlib's pyplot is not made for threads, and a report is rare.
_REPORTS = asyncio.Lock()


def add_content_routes(app: web.Application, bot: Bot) -> None:
    """/calendar.ics, /arshjul.svg and .png (per municipality when there are several), and /rapport/<token>."""

    def context_of(request: web.Request) -> Context:
        key = request.match_info.get("municipality")
        ctx = bot.contexts.get(key) if key else bot.context
        if ctx is None:
            raise web.HTTPNotFound()
        return ctx

    async def calendar_feed(request: web.Request) -> web.Response:
        ctx = context_of(request)
        today = ctx.clock().astimezone(ctx.municipality.tz).date()
        body = await calendar.calendar_ics(ctx, today - CALENDAR_PAST, today + CALENDAR_FUTURE)
        return web.Response(
            body=body.encode(),
            content_type="text/calendar",
            charset="utf-8",
            headers={"Content-Disposition": f'inline; filename="slt-moter-{ctx.municipality.id}.ics"'},
        )

    async def year_wheel(request: web.Request) -> web.Response:
        ctx = context_of(request)
        year = request.query.get("year", "")
        if year and not (yearwheel.YEAR.fullmatch(year) and yearwheel.FIRST_YEAR <= int(year) <= yearwheel.LAST_YEAR):
            raise web.HTTPNotFound()
        svg = await yearwheel.wheel_svg(ctx, int(year) if year else None)
        headers = {"Cache-Control": "public, max-age=3600"}
        if request.path.endswith(".svg"):
            return web.Response(text=svg, content_type="image/svg+xml", charset="utf-8", headers=headers)
        png = await asyncio.get_running_loop().run_in_executor(None, yearwheel.svg_to_png, svg)
        return web.Response(body=png, content_type="image/png", headers=headers)

    async def report_file(request: web.Request) -> web.Response:
        token = request.match_info["token"]
        ctx = bot.contexts.get(report_link.municipality_of(token) or "")
        asked = await report_link.check_token(ctx, token) if ctx is not None else None
        if ctx is None or asked is None:
            raise web.HTTPNotFound(text=report_link.expired_text())
        # Imported here: the report's modules (and matplotlib, python-docx, fpdf2 under them) are not idle memory.
        from bot.report import CONTENT_TYPES, render
        from handlers.report import build_report

        async with _REPORTS:
            document = await build_report(ctx, asked.year)
            body = await asyncio.get_running_loop().run_in_executor(None, render, document, asked.fmt)
        async with ctx.db.session() as session:
            await audited(session, ctx, actor="link", action="report", kind="report", count=1)
        log.info("report made from a link: %s %s", asked.year, asked.fmt)
        name = f"slt-arsrapport-{ctx.municipality.id}-{asked.year}.{asked.fmt}"
        headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
        return web.Response(body=body, content_type=CONTENT_TYPES[asked.fmt], headers=headers)

    # One municipality: /calendar.ics and /arshjul.svg. Several: each its own, /calendar/<id>.ics, /arshjul/<id>.svg.
    if len(bot.contexts) == 1:
        app.router.add_get("/calendar.ics", calendar_feed)
        app.router.add_get("/arshjul.svg", year_wheel)
        app.router.add_get("/arshjul.png", year_wheel)
    else:
        app.router.add_get("/calendar/{municipality}.ics", calendar_feed)
        app.router.add_get("/arshjul/{municipality}.svg", year_wheel)
        app.router.add_get("/arshjul/{municipality}.png", year_wheel)
    app.router.add_get("/rapport/{token}", report_file)
