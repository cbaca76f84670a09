"""`rapport [år]`: coordinators get a short-lived signed link to the yearly report instead of numbers in chat.

The link names the municipality, the year, the format and when it expires, signed with a keyed hash under a
secret in the database (so every replica can check it). Opening it shows a page with a download button; the
file is made on the button's POST, so a link scanner's GET gets nothing. Making the link and making the report
are both in the audit log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import html
import re
from dataclasses import dataclass

from bot.core.catalog import t
from bot.core.context import Context
from bot.core.messages import Inbound, Link, Reply, Text
from bot.core.router import command_text
from handlers.privacy.audit import audited
from storage import keys

PURPOSE = "report-link"
VALID_FOR = dt.timedelta(minutes=15)
FORMATS = ("docx", "pdf", "xlsx")
_TOKEN = re.compile(r"^([a-z0-9-]{1,64})~(\d{4})~(docx|pdf|xlsx)~(\d{1,12})~([0-9a-f]{32})$")
_WORD = {"word": "docx", "docx": "docx", "pdf": "pdf", "excel": "xlsx", "xlsx": "xlsx"}  # vocabulary: formats


@dataclass(frozen=True)
class ReportRequest:
    """What a valid link asks for."""

    municipality: str
    year: int
    fmt: str


# One secret that stays: the token's own expiry limits it, and a daily one would kill links made at 23:55.
PERIOD = "all"


async def _signature(ctx: Context, body: str) -> str:
    async with ctx.db.session() as session:
        secret = await keys.period_secret(session, purpose=PURPOSE, period=PERIOD)
    return hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()[:32]


async def make_token(ctx: Context, *, year: int, fmt: str) -> str:
    """A token for the report of `year` in `fmt`, valid for a quarter of an hour."""
    expires = int((ctx.clock() + VALID_FOR).timestamp())
    body = f"{ctx.municipality.id}~{year}~{fmt}~{expires}"
    return f"{body}~{await _signature(ctx, body)}"


def municipality_of(token: str) -> str | None:
    """The municipality a token names (to find its context), or None when it is no token at all."""
    match = _TOKEN.match(token)
    return match[1] if match else None


async def check_token(ctx: Context, token: str) -> ReportRequest | None:
    """What the token asks for, when it is this municipality's, correctly signed and not expired."""
    match = _TOKEN.match(token)
    if not match or match[1] != ctx.municipality.id or int(match[4]) < ctx.clock().timestamp():
        return None
    body = token.rsplit("~", 1)[0]
    if not hmac.compare_digest(match[5], await _signature(ctx, body)):
        return None
    return ReportRequest(match[1], int(match[2]), match[3])


def download_page(ctx: Context, asked: ReportRequest) -> str:
    """A small page with a download button (a POST to the same address)."""
    title = html.escape(t("report.title", municipality=ctx.municipality.name, year=asked.year))
    button = html.escape(t("report.chat.link", year=asked.year, fmt=asked.fmt.upper()))
    return (
        f'<!doctype html><html lang="{ctx.municipality.language}"><head><meta charset="utf-8">'
        f'<meta name="robots" content="noindex"><title>{title}</title></head><body><h1>{title}</h1>'
        f'<form method="post"><button type="submit">{button}</button></form>'
        f"<p>{html.escape(t('report.page_note'))}</p></body></html>"
    )


def busy_text() -> str:
    """What a second request gets while a report is being made."""
    return t("report.busy")


def expired_text() -> str:
    """What a browser shows for a link that is wrong or too old."""
    return t("report.link_expired")


def report_path(token: str) -> str:
    """The route that serves a report link."""
    return f"/rapport/{token}"


async def request_report(inbound: Inbound, ctx: Context) -> list[Reply]:
    """`rapport [år] [word|pdf|excel]` for coordinators: a link to the report, valid for 15 minutes. Audited."""
    today = ctx.today()
    # Last year by default: a finished year (the annual report is due in March), not figures that change daily.
    year, fmt = today.year - 1, "docx"
    for word in command_text(inbound).casefold().split():
        if re.fullmatch(r"[0-9]{4}", word) and 2000 <= int(word) <= today.year:
            year = int(word)
        elif word in _WORD:
            fmt = _WORD[word]
        else:
            return [Reply.text(t("report.chat.bad", value=word[:20], year=today.year), ephemeral=True)]
    if not ctx.public_url:
        return [Reply.text(t("report.chat.no_public_url", year=year), ephemeral=True)]
    token = await make_token(ctx, year=year, fmt=fmt)
    async with ctx.db.session() as session:
        await audited(session, ctx, actor=inbound.user_id, action="link", kind="report", count=1)
    url = ctx.public_url.rstrip("/") + report_path(token)
    parts = (
        Text(t("report.chat.ready", year=year, minutes=int(VALID_FOR.total_seconds() // 60))),
        Link(title=t("report.chat.link", year=year, fmt=fmt.upper()), url=url),
    )
    return [Reply(parts=parts, ephemeral=True)]
