"""`avlys` and `flytt`: a coordinator cancels or moves one meeting; the meeting's channels are told."""

from __future__ import annotations

import datetime as dt

from bot.core.catalog import t
from bot.core.context import Context
from bot.core.messages import Choice, Choices, Form, FormField, Inbound, Reply
from bot.core.parts import norwegian_date
from bot.core.text import parse_date
from handlers.planning.schedule import Occurrence, coming
from handlers.reminders import announce_change
from storage.meetings import set_override

CANCEL_ACTION = "meeting-cancel"
MOVE_ACTION = "meeting-move"
PER_SERIES = 2


async def _choices(ctx: Context) -> list[Choice]:
    found: list[Occurrence] = []
    for series in ctx.municipality.meetings:
        found += await coming(ctx, series, PER_SERIES)
    found.sort(key=lambda o: o.day)
    return [
        Choice(f"{o.series.name} {norwegian_date(o.day, weekday=True)}", f"{o.series.id}:{o.rule_date.isoformat()}")
        for o in found
    ]


async def _find(ctx: Context, value: object) -> Occurrence | None:
    """The upcoming occurrence a choice value ('series:rule-date') names."""
    if not isinstance(value, str):
        return None
    series_id, _, rule_text = value.partition(":")
    series = next((m for m in ctx.municipality.meetings if m.id == series_id), None)
    if series is None or parse_date(rule_text) is None:
        return None
    return next((o for o in await coming(ctx, series, 24) if o.rule_date.isoformat() == rule_text), None)


async def cancel_menu(inbound: Inbound, ctx: Context) -> list[Reply]:
    """`avlys`: pick an upcoming meeting to cancel."""
    options = tuple(await _choices(ctx))
    return [
        Reply(parts=(Choices(action=CANCEL_ACTION, options=options, prompt=t("meetings.cancel_pick")),), ephemeral=True)
    ]


async def _change(inbound: Inbound, ctx: Context, value: object, new_date: dt.date | None) -> list[Reply]:
    """Cancel (no new date) or move an occurrence, tell its channels, and confirm to the coordinator."""
    if not ctx.municipality.is_coordinator(inbound.user_id):
        return [Reply.text(t("router.coordinators_only"), ephemeral=True)]
    occurrence = await _find(ctx, value)
    if occurrence is None:
        return [Reply.text(t("meetings.bad_occurrence"), ephemeral=True)]
    action = "move" if new_date else "cancel"
    async with ctx.db.session() as session:
        await set_override(
            session,
            series_id=occurrence.series.id,
            rule_date=occurrence.rule_date,
            action=action,
            new_date=new_date,
            now=ctx.clock(),
        )
    await announce_change(ctx, occurrence, action, new_date)
    name, date = occurrence.series.name, norwegian_date(occurrence.day, weekday=True)
    if new_date is None:
        return [Reply.text(t("meetings.cancelled_done", name=name, date=date), ephemeral=True)]
    moved_to = norwegian_date(new_date, weekday=True)
    return [Reply.text(t("meetings.moved_done", name=name, date=date, new_date=moved_to), ephemeral=True)]


async def cancel(inbound: Inbound, ctx: Context) -> list[Reply]:
    """Cancel the chosen occurrence and tell its channels."""
    return await _change(inbound, ctx, inbound.values.get("value"), None)


async def move_form(inbound: Inbound, ctx: Context) -> list[Reply]:
    """`flytt`: a form with the meeting and its new date."""
    fields = (
        FormField("occurrence", t("meetings.move_which"), kind="select", options=tuple(await _choices(ctx))),
        FormField("new_date", t("meetings.move_to"), kind="date"),
    )
    return [Reply(parts=(Form(action=MOVE_ACTION, title=t("meetings.move_title"), fields=fields),), ephemeral=True)]


async def move(inbound: Inbound, ctx: Context) -> list[Reply]:
    """Move the chosen occurrence to the new date and tell its channels."""
    if not ctx.municipality.is_coordinator(inbound.user_id):
        return [Reply.text(t("router.coordinators_only"), ephemeral=True)]
    raw = inbound.values.get("new_date", "")
    new_date = parse_date(raw) if isinstance(raw, str) else None
    today = ctx.today()
    if new_date is None or new_date < today:
        return [Reply.text(t("meetings.bad_new_date"), ephemeral=True)]
    return await _change(inbound, ctx, inbound.values.get("occurrence"), new_date)
