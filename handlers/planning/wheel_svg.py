"""The year wheel drawn as SVG: months around, the three SLT levels as rings, a mark per meeting and task, today.

Plain SVG 1.1 written by hand (no drawing library to load): every month is a `<path class="month">`, every
meeting a `<circle class="mark meeting">`, every task a `<path class="mark task">`, today a `<line id="today">`;
each mark has a `<title>` so a screen reader or a hover tells what it is.
"""

from __future__ import annotations

import datetime as dt
import math
from calendar import monthrange
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape as _escape
from xml.sax.saxutils import quoteattr

from bot.core.text import xml_safe

SIZE = 760
# Wider than high: the month names at nine and three o'clock need room.
WIDTH = SIZE + 140
CENTRE_X, CENTRE_Y = WIDTH / 2, SIZE / 2
HOLE = 120
RING = 70
LABEL_RADIUS = HOLE + 3 * RING + 28
RING_FILLS = ("#dde8f3", "#e9f1f8", "#f4f8fc")
MEETING_COLOUR = "#c55a11"
TASK_COLOUR = "#3b7a27"
TODAY_COLOUR = "#c00000"
GAP = 1.2  # degrees
FONT = "DejaVu Sans, Arial, Helvetica, sans-serif"


def escape(text: str) -> str:
    """Text as XML character data: escaped, and without the characters XML cannot hold."""
    return _escape(xml_safe(text))


@dataclass(frozen=True)
class WheelItem:
    """One meeting or task in the year: its name, its level (ring), and its first and last day."""

    kind: str  # "meeting" or "task"
    name: str
    level: str
    start: dt.date
    end: dt.date
    who: str = ""


@dataclass(frozen=True)
class WheelLabels:
    """The texts the wheel shows, in the reader's language."""

    title: str
    months: tuple[str, ...]
    levels: tuple[str, ...]
    today: str
    meeting: str
    task: str


def _angle(day: dt.date, *, at: float = 0.5) -> float:
    """Degrees clockwise from twelve o'clock for a moment of a day of its year (0: its start, 1: its end)."""
    first = dt.date(day.year, 1, 1)
    days = (dt.date(day.year + 1, 1, 1) - first).days
    return 360 * ((day - first).days + at) / days


def _point(angle: float, radius: float) -> tuple[float, float]:
    radians = math.radians(angle - 90)
    return round(CENTRE_X + radius * math.cos(radians), 2), round(CENTRE_Y + radius * math.sin(radians), 2)


def _band(start: float, end: float, inner: float, outer: float) -> str:
    """A ring segment between two angles, as path data."""
    large = 1 if end - start > 180 else 0
    (x0, y0), (x1, y1) = _point(start, outer), _point(end, outer)
    (x2, y2), (x3, y3) = _point(end, inner), _point(start, inner)
    return f"M{x0},{y0} A{outer},{outer} 0 {large} 1 {x1},{y1} L{x2},{y2} A{inner},{inner} 0 {large} 0 {x3},{y3} Z"


def _ring(level_index: int) -> tuple[float, float]:
    """Inner and outer radius of a level's ring; the first level (politisk) is outermost."""
    outer = HOLE + (3 - level_index) * RING
    return outer - RING, outer


def draw(
    year: int, items: Sequence[WheelItem], today: dt.date | None, labels: WheelLabels, levels: Sequence[str]
) -> str:
    """The whole wheel as an SVG document."""
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{SIZE + 60}" '
        f'viewBox="0 0 {WIDTH} {SIZE + 60}" role="img" aria-labelledby="wheel-title" font-family="{FONT}">',
        f'<title id="wheel-title">{escape(labels.title)}</title>',
        f'<rect width="{WIDTH}" height="{SIZE + 60}" fill="#ffffff"/>',
    ]
    out.append('<g id="rings">')
    for index, name in enumerate(labels.levels):
        inner, outer = _ring(index)
        out.append(
            f'<circle class="ring" data-level={quoteattr(levels[index])} cx="{CENTRE_X}" cy="{CENTRE_Y}" '
            f'r="{(inner + outer) / 2}" fill="none" stroke="{RING_FILLS[index]}" stroke-width="{RING}"/>'
        )
        x, y = _point(1.5, outer - 12)
        out.append(f'<text class="ring-label" x="{x}" y="{y}" font-size="11" fill="#34495e">{escape(name)}</text>')
    out.append("</g>")
    out.append('<g id="months">')
    for month in range(1, 13):
        first = dt.date(year, month, 1)
        start, end = _angle(first, at=0), _angle(first + dt.timedelta(days=monthrange(year, month)[1] - 1), at=1)
        out.append(
            f'<path class="month" data-month="{month}" d="{_band(start, end, HOLE, HOLE + 3 * RING)}" '
            'fill="none" stroke="#8fa9c4" stroke-width="1"/>'
        )
        x, y = _point((start + end) / 2, LABEL_RADIUS)
        out.append(
            f'<text class="month-label" x="{x}" y="{y}" font-size="15" text-anchor="middle" '
            f'dominant-baseline="middle" fill="#1f3a5a">{escape(labels.months[month - 1])}</text>'
        )
    out.append("</g>")
    out.append('<g id="marks">')
    for item in items:
        out.append(_mark(item, levels))
    out.append("</g>")
    if today is not None and today.year == year:
        angle = _angle(today)
        (x0, y0), (x1, y1) = _point(angle, HOLE - 6), _point(angle, HOLE + 3 * RING + 8)
        tx, ty = _point(angle, HOLE - 18)
        out.append(
            f'<g id="today-mark"><line id="today" data-date="{today.isoformat()}" x1="{x0}" y1="{y0}" x2="{x1}" '
            f'y2="{y1}" stroke="{TODAY_COLOUR}" stroke-width="3"><title>{escape(labels.today)}</title></line>'
            f'<text x="{tx}" y="{ty}" font-size="12" text-anchor="middle" fill="{TODAY_COLOUR}">'
            f"{escape(labels.today)}</text></g>"
        )
    out.append(
        f'<text x="{CENTRE_X}" y="{CENTRE_Y + 8}" font-size="22" font-weight="bold" text-anchor="middle" '
        f'fill="#1f3a5a">{year}</text>'
    )
    out.append(_legend(labels))
    out.append("</svg>")
    return "\n".join(out)


def _mark(item: WheelItem, levels: Sequence[str]) -> str:
    index = levels.index(item.level) if item.level in levels else len(levels) - 1
    inner = _ring(index)[0]
    when = item.start.isoformat() if item.start == item.end else f"{item.start.isoformat()}/{item.end.isoformat()}"
    title = escape(f"{item.name} ({when})" + (f", {item.who}" if item.who else ""))
    data = f'data-kind="{item.kind}" data-level={quoteattr(item.level)} data-start="{item.start.isoformat()}"'
    if item.kind == "meeting":
        x, y = _point(_angle(item.start), inner + RING * 0.3)
        return (
            f'<circle class="mark meeting" {data} cx="{x}" cy="{y}" r="6" fill="{MEETING_COLOUR}" '
            f'stroke="#ffffff" stroke-width="1"><title>{title}</title></circle>'
        )
    # A small gap at each end, so tasks that follow each other (January, February) stay apart.
    start, end = _angle(item.start, at=0) + GAP, _angle(item.end, at=1) - GAP
    end = max(end, start + 1.5)  # a one-day task still shows
    path = _band(start, end, inner + RING * 0.58, inner + RING * 0.82)
    return (
        f'<path class="mark task" {data} d="{path}" fill="{TASK_COLOUR}" opacity="0.85"><title>{title}</title></path>'
    )


def _legend(labels: WheelLabels) -> str:
    y, x = SIZE + 25, 120
    return (
        f'<g id="legend" font-size="13" fill="#1f3a5a" transform="translate({x},0)">'
        f'<circle cx="40" cy="{y}" r="6" fill="{MEETING_COLOUR}"/>'
        f'<text x="54" y="{y + 5}">{escape(labels.meeting)}</text>'
        f'<rect x="200" y="{y - 6}" width="26" height="12" fill="{TASK_COLOUR}"/>'
        f'<text x="234" y="{y + 5}">{escape(labels.task)}</text>'
        f'<line x1="400" y1="{y - 8}" x2="400" y2="{y + 8}" stroke="{TODAY_COLOUR}" stroke-width="3"/>'
        f'<text x="410" y="{y + 5}">{escape(labels.today)}</text></g>'
    )
