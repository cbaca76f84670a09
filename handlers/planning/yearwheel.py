"""`årshjul`: the year's meetings and tasks of every SLT level, as a picture (SVG, PNG) and as a list by month.

The picture is served at GET /arshjul.svg (and .png for Slack and Teams, which show raster images only); in chat
the bot links the PNG when the server's public address is known (SLT_PUBLIC_URL), and always gives the list,
which is also what a screen reader reads.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
from pathlib import Path

from bot.core.catalog import t, use_language
from bot.core.context import Context
from bot.core.messages import Facts, Image, Inbound, Part, Reply, Text
from bot.core.parts import norwegian_date
from bot.core.proactive import queue
from bot.core.router import command_text
from bot.municipality import Municipality
from bot.yearly import LEVELS, YearlyTask
from handlers.planning.schedule import load_overrides, occurrences
from handlers.planning.wheel_svg import WheelItem, WheelLabels, draw

# A year the wheel can be asked for (a typo like 20277 gets the friendly answer, not a crash).
FIRST_YEAR, LAST_YEAR = 2000, 2100
# ASCII digits only: str.isdigit() is true for «²», which int() refuses.
YEAR = re.compile(r"[0-9]{4}")


async def year_items(ctx: Context, year: int) -> list[WheelItem]:
    """Every planned meeting and every task of the year, in date order."""
    municipality = ctx.municipality
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    overrides = await load_overrides(ctx)
    items: list[WheelItem] = []
    for series in municipality.meetings:
        for occurrence in occurrences(municipality, series, start, end, overrides):
            if occurrence.status == "planned" and occurrence.day.year == year:
                items.append(WheelItem("meeting", series.name, series.ring, occurrence.day, occurrence.day))
    for task in municipality.yearly_tasks:
        span = task.span(year)
        if span is not None:
            # ISO week 1 may begin in December and week 53 end in January: the wheel shows this year's part.
            first, last = max(span[0], start), min(span[1], end)
            items.append(WheelItem("task", task.name, task.level, first, last, task.who))
    return sorted(items, key=lambda item: (item.start, item.kind, item.name))


def _labels(ctx: Context, year: int) -> WheelLabels:
    return WheelLabels(
        title=t("yearwheel.title", municipality=ctx.municipality.name, year=year),
        months=tuple(t(f"yearwheel.month.{m}") for m in range(1, 13)),
        levels=tuple(t(f"yearwheel.level.{level}") for level in LEVELS),
        today=t("yearwheel.today"),
        meeting=t("yearwheel.meeting"),
        task=t("yearwheel.task"),
    )


async def wheel_svg(ctx: Context, year: int | None = None) -> str:
    """The year wheel as SVG, in the municipality's language (a picture on a wall has no reader to ask)."""
    use_language(ctx.municipality.language)
    now = ctx.today()
    year = year or now.year
    return draw(year, await year_items(ctx, year), now, _labels(ctx, year), LEVELS)


def _fonts() -> list[str]:
    """Fonts for the PNG: matplotlib's bundled DejaVu (found without importing it), so text shows on any server."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        return []
    folder = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf"
    return [str(folder)] if folder.is_dir() else []


def svg_to_png(svg: str) -> bytes:
    """The SVG as PNG (resvg: a small self-contained renderer); slow enough to run in a worker thread."""
    import resvg_py

    return bytes(resvg_py.svg_to_bytes(svg_string=svg, font_dirs=_fonts(), background="#ffffff"))


def _when(item: WheelItem) -> str:
    if item.start == item.end:
        return f"{item.start.day}."
    if item.start.month == item.end.month and item.start.day == 1 and (item.end + dt.timedelta(days=1)).day == 1:
        return t("yearwheel.whole_month")
    return f"{norwegian_date(item.start)}-{norwegian_date(item.end)}"


def month_list(items: list[WheelItem]) -> tuple[tuple[str, str], ...]:
    """'januar': 'SLT-frokostmøte 12. · Kunnskapsgrunnlaget (hele måneden, SLT-koordinator)', for every month."""
    rows = []
    for month in range(1, 13):
        entries = []
        for item in items:
            if item.start.month == month:
                who = f", {item.who}" if item.who else ""
                text = f"{item.name} ({_when(item)}{who})" if item.kind == "task" else f"{item.name} {_when(item)}"
                entries.append(text)
        rows.append((t(f"yearwheel.month.{month}"), " · ".join(entries) or "-"))
    return tuple(rows)


def picture_url(ctx: Context, year: int) -> str:
    """The PNG's address for chat (empty when the server's public address is not set)."""
    if not ctx.public_url:
        return ""
    path = "/arshjul.png" if len(ctx.deployment) <= 1 else f"/arshjul/{ctx.municipality.id}.png"
    # The date in the address: Slack and Teams cache a picture by its URL, and today's mark moves.
    return f"{ctx.public_url.rstrip('/')}{path}?year={year}&d={ctx.today().isoformat()}"


async def show(inbound: Inbound, ctx: Context) -> list[Reply]:
    """`årshjul [år]`: the picture (where the platform can show it) and the list by month."""
    typed = command_text(inbound)
    year = int(typed) if YEAR.fullmatch(typed) else ctx.today().year
    if typed and not (YEAR.fullmatch(typed) and FIRST_YEAR <= year <= LAST_YEAR):
        return [Reply.text(t("yearwheel.bad_year", value=typed[:20]))]
    items = await year_items(ctx, year)
    parts: list[Part] = [Text(t("yearwheel.intro", municipality=ctx.municipality.name, year=year))]
    url = picture_url(ctx, year)
    if url:
        parts.append(Image(url=url, alt=t("yearwheel.alt", year=year, n=len(items))))
    parts.append(Facts(items=month_list(items)))
    return [Reply(parts=tuple(parts))]


def task_reminders(municipality: Municipality, first: dt.date, last: dt.date) -> list[tuple[dt.date, YearlyTask, int]]:
    """The task reminders due in [first, last]: (the day it is sent, the task, the task's year), in date order."""
    found = []
    for task in municipality.yearly_tasks:
        for year in range(first.year, last.year + 2):
            span = task.span(year)
            if span is None or not task.reminder_days:
                continue
            day = span[0] - dt.timedelta(days=task.reminder_days)
            if first <= day <= last:
                found.append((day, task, year))
    return sorted(found, key=lambda item: (item[0], item[1].id))


async def remind_tasks(ctx: Context) -> int:
    """Queue a reminder to the coordinators before each task (once per task, task year and person).

    This year's and next year's occurrences are looked at, so a January task is reminded in December.
    """
    use_language(ctx.municipality.language)
    now = ctx.today()
    queued = 0
    async with ctx.db.session() as session:
        for task in ctx.municipality.yearly_tasks:
            for year in (now.year, now.year + 1):
                span = task.span(year)
                if span is None or not task.reminder_days:
                    continue
                start, end = span
                # Before the task only: a task already under way (say, on the day the bot is installed) is no news.
                if not (start - dt.timedelta(days=task.reminder_days) <= now <= start):
                    continue
                when = norwegian_date(start) if start == end else f"{norwegian_date(start)}-{norwegian_date(end)}"
                reply = Reply.text(t("yearwheel.reminder", name=task.name, when=when, who=task.who or "-"))
                for coordinator in ctx.municipality.coordinators:
                    key = f"task:{task.id}:{year}:{coordinator}"
                    queued += await queue(session, key=key, target=coordinator, reply=reply, now=ctx.clock())
    return queued
