"""The HTTP routes that serve the municipality's content: the calendar, the year wheel and report links."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import multiprocessing
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from urllib.parse import urlsplit

from aiohttp import web

from bot.core.bot import Bot
from bot.core.context import Context
from bot.core.document import Document
from handlers import report_link
from handlers.planning import calendar, yearwheel
from handlers.privacy.audit import audited

log = logging.getLogger(__name__)

# The subscribable calendar shows the last month and the next year.
CALENDAR_PAST = dt.timedelta(days=31)
CALENDAR_FUTURE = dt.timedelta(days=366)
# One report at a time per process: a report is rare, and a second request while one is made is told to wait.
_REPORTS = asyncio.Lock()
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


# PNGs of the year wheel by the SVG they show (the SVG changes with the day and the plan, so this is enough),
# drawn on a thread of their own: a flood of requests for the public picture must not take the threads that
# record replies sent. More requests waiting than this are told to come back.
_PNGS: OrderedDict[str, bytes] = OrderedDict()
_PNG_CACHE = 16
_PNG_WAITING = 4
_PNG_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="arshjul-png")
_png_waiting = 0


async def _png(svg: str) -> bytes:
    global _png_waiting
    key = hashlib.sha256(svg.encode()).hexdigest()
    if key in _PNGS:
        _PNGS.move_to_end(key)
        return _PNGS[key]
    if _png_waiting >= _PNG_WAITING:
        raise web.HTTPServiceUnavailable(headers={"Retry-After": "5"})
    _png_waiting += 1
    try:
        png = await asyncio.get_running_loop().run_in_executor(_PNG_THREAD, yearwheel.svg_to_png, svg)
    finally:
        _png_waiting -= 1
    _PNGS[key] = png
    while len(_PNGS) > _PNG_CACHE:
        _PNGS.popitem(last=False)
    return png


async def render_elsewhere(document: Document, fmt: str) -> bytes:
    """Write the report in a child process that ends with it.

    matplotlib and the document libraries (about 60 MiB) leave with the child instead of staying for good.
    """
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    try:
        return await asyncio.get_running_loop().run_in_executor(pool, render_report, document, fmt)
    finally:
        pool.shutdown(wait=False)


def render_report(document: Document, fmt: str) -> bytes:
    """The child's work (a module-level function, so it can be pickled)."""
    from bot.report import render

    return render(document, fmt)


def add_content_routes(app: web.Application, bot: Bot) -> None:
    """/calendar.ics, /arshjul.svg and .png (per municipality when there are several), and /rapport/<token>."""
    public = urlsplit(bot.settings.public_url)
    if public.scheme == "http" and public.hostname not in ("127.0.0.1", "localhost", "::1"):
        # Report links are bearer tokens, and Teams shows pictures and opens links over https only.
        log.warning("SLT_PUBLIC_URL is plain http on a public host: report links travel unencrypted")

    def context_of(request: web.Request) -> Context:
        key = request.match_info.get("municipality")
        ctx = bot.contexts.get(key) if key else bot.context
        if ctx is None:
            raise web.HTTPNotFound()
        return ctx

    async def calendar_feed(request: web.Request) -> web.Response:
        ctx = context_of(request)
        today = ctx.today()
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
        return web.Response(body=await _png(svg), content_type="image/png", headers=headers)

    async def report_request(request: web.Request) -> tuple[Context, report_link.ReportRequest]:
        token = request.match_info["token"]
        ctx = bot.contexts.get(report_link.municipality_of(token) or "")
        asked = await report_link.check_token(ctx, token) if ctx is not None else None
        if ctx is None or asked is None:
            raise web.HTTPNotFound(text=report_link.expired_text())
        return ctx, asked

    async def report_page(request: web.Request) -> web.Response:
        # A page with a button, not the file: link scanners (Safe Links, unfurlers) fetch with GET only.
        ctx, asked = await report_request(request)
        page = report_link.download_page(ctx, asked)
        return web.Response(text=page, content_type="text/html", charset="utf-8", headers=NO_STORE)

    async def report_file(request: web.Request) -> web.Response:
        ctx, asked = await report_request(request)
        if _REPORTS.locked():
            raise web.HTTPServiceUnavailable(text=report_link.busy_text(), headers={"Retry-After": "30"})
        async with _REPORTS:
            from handlers.report import build_report

            document = await build_report(ctx, asked.year)
            body = await render_elsewhere(document, asked.fmt)
        async with ctx.db.session() as session:
            await audited(session, ctx, actor="link", action="report", kind="report", count=1)
        log.info("report made from a link: %s %s", asked.year, asked.fmt)
        name = f"slt-arsrapport-{ctx.municipality.id}-{asked.year}.{asked.fmt}"
        headers = {"Content-Disposition": f'attachment; filename="{name}"', **NO_STORE}
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
    app.router.add_get("/rapport/{token}", report_page, allow_head=False)
    app.router.add_post("/rapport/{token}", report_file)
