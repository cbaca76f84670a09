"""`tiltak`: the measures decided in meetings, followed up until they are done, evaluated or dropped.

Every measure in a referat becomes a tracked item (handlers/outcomes.py). Coordinators list the open ones, mark
them done, write an evaluation (screened for personal data) or move a date; the coordinator who recorded the
referat is reminded before the deadline and the evaluation date, once each, through the outbox.
"""

from __future__ import annotations

import datetime as dt
import re

from bot.core.catalog import t, use_language
from bot.core.context import Context
from bot.core.messages import Choice, Choices, Form, FormField, Inbound, Part, Reply, Text
from bot.core.parts import norwegian_date
from bot.core.proactive import queue
from bot.core.text import parse_date
from handlers.privacy.audit import audited
from handlers.privacy.screen import screen_for
from storage import measures as store
from storage.models import Measure

ACTION = "measure"
EVALUATE_ACTION = "measure-evaluate"
MOVE_ACTION = "measure-move"
STATUSES = ("open", "done", "evaluated", "dropped")
# Without a date of its own, a measure is evaluated four weeks after its deadline (about the next meeting).
EVALUATE_AFTER = dt.timedelta(days=28)
# The coordinator is reminded this long before a deadline or an evaluation date.
REMIND_AHEAD = dt.timedelta(days=7)
SHOWN = 15
MAX_EVALUATION = 1000


def new_measure(
    *,
    outcome_id: int,
    what: str,
    responsible: str,
    due: dt.date | None,
    evaluate_on: dt.date | None,
    coordinator: str,
    now: dt.datetime,
) -> Measure:
    """A measure from a referat, with the default evaluation date where none was given."""
    if evaluate_on is None and due is not None:
        evaluate_on = due + EVALUATE_AFTER
    return Measure(
        outcome_id=outcome_id,
        what=what,
        responsible=responsible,
        due=due,
        evaluate_on=evaluate_on,
        coordinator=coordinator,
        updated_at=now,
    )


def is_overdue(measure: Measure, today: dt.date) -> bool:
    """Open past its deadline, or done and not evaluated past its evaluation date."""
    if measure.status == "open":
        return measure.due is not None and measure.due < today
    return measure.status == "done" and measure.evaluate_on is not None and measure.evaluate_on < today


def measure_line(measure: Measure, today: dt.date) -> str:
    """'#4 Foreldremøte om rus · Skole · frist 1. februar 2027 · åpen · forfalt'."""
    pieces = [f"#{measure.id} {measure.what}", measure.responsible or "-"]
    if measure.due:
        pieces.append(t("measures.due", date=norwegian_date(measure.due)))
    if measure.evaluate_on:
        pieces.append(t("measures.evaluate_on", date=norwegian_date(measure.evaluate_on)))
    pieces.append(t(f"measures.status.{measure.status}"))
    if is_overdue(measure, today):
        pieces.append(t("measures.overdue"))
    return " · ".join(pieces)


# What each button may do from each status: a button left in the chat history must not undo an evaluation.
BUTTONS = ("done", "evaluate", "move", "drop")
ALLOWED = {
    "open": {"done", "evaluate", "move", "drop"},
    "done": {"evaluate", "move", "drop"},
    "evaluated": {"evaluate"},
    "dropped": set(),
}
_ID = re.compile(r"[0-9]{1,9}")


def _buttons(measure: Measure) -> Choices:
    options = [Choice(t("measures.button.done"), "done")] if measure.status == "open" else []
    options += [
        Choice(t("measures.button.evaluate"), "evaluate"),
        Choice(t("measures.button.move"), "move"),
        Choice(t("measures.button.drop"), "drop"),
    ]
    return Choices(action=f"{ACTION}:{measure.id}", options=tuple(options))


async def list_measures(inbound: Inbound, ctx: Context) -> list[Reply]:
    """`tiltak` for coordinators: open and not yet evaluated measures, overdue ones marked, with buttons. Audited."""
    today = ctx.today()
    async with ctx.db.session() as session:
        measures = await store.followed_up(session, limit=SHOWN + 1)
        shown = min(len(measures), SHOWN)
        await audited(session, ctx, actor=inbound.user_id, action="read", kind="measures", count=shown)
    if not measures:
        return [Reply.text(t("measures.none"), ephemeral=True)]
    parts: list[Part] = [Text(t("measures.title"))]
    for measure in measures[:SHOWN]:
        parts += [Text(measure_line(measure, today)), _buttons(measure)]
    if len(measures) > SHOWN:
        parts.append(Text(t("measures.more")))
    return [Reply(parts=tuple(parts), ephemeral=True)]


async def _measure(inbound: Inbound, ctx: Context) -> Measure | None:
    ident = (inbound.action or "").partition(":")[2]
    if not _ID.fullmatch(ident):
        return None
    async with ctx.db.session() as session:
        return await store.get_measure(session, measure_id=int(ident))


async def _checked(inbound: Inbound, ctx: Context, step: str | None) -> Measure | list[Reply]:
    """The measure an action names, if this person is a coordinator and may now do `step` to it; else why not."""
    if not ctx.municipality.is_coordinator(inbound.user_id):
        return [Reply.text(t("router.coordinators_only"), ephemeral=True)]
    measure = await _measure(inbound, ctx)
    if measure is None:
        return [Reply.text(t("measures.unknown"), ephemeral=True)]
    if step is not None and step not in ALLOWED[measure.status]:
        return [Reply.text(_already(measure), ephemeral=True)]
    return measure


async def choose(inbound: Inbound, ctx: Context) -> list[Reply]:
    """A button under a measure: done and dropped at once; evaluate and move open a form."""
    raw = inbound.values.get("value", "")
    value = raw if isinstance(raw, str) and raw in BUTTONS else ""
    measure = await _checked(inbound, ctx, value or None)
    if not isinstance(measure, Measure):
        return measure
    if not value:
        return [Reply.text(t("measures.unknown"), ephemeral=True)]
    if value == "evaluate":
        return [evaluation_form(measure)]
    if value == "move":
        return [move_form(measure)]
    status = "done" if value == "done" else "dropped"
    await _save(ctx, measure.id, status=status)
    return [Reply.text(t(f"measures.marked.{status}", id=measure.id), ephemeral=True)]


def _already(measure: Measure) -> str:
    return t("measures.already", id=measure.id, status=t(f"measures.status.{measure.status}"))


def evaluation_form(measure: Measure) -> Reply:
    """How did it go: one screened text; saving marks the measure evaluated."""
    field = FormField(
        "evaluation", t("measures.f.evaluation"), kind="multiline", hint=t("outcomes.no_names"), max_length=1000
    )
    form = Form(
        action=f"{EVALUATE_ACTION}:{measure.id}",
        title=t("measures.evaluation_title", id=measure.id),
        fields=(field,),
        submit_label=t("measures.save"),
    )
    return Reply(parts=(Text(measure.what), form), ephemeral=True)


def move_form(measure: Measure) -> Reply:
    """New deadline and evaluation date; an empty field keeps the date it has."""
    fields = (
        FormField("due", t("measures.f.due"), kind="date", required=False, hint=_shown(measure.due)),
        FormField(
            "evaluate_on", t("measures.f.evaluate_on"), kind="date", required=False, hint=_shown(measure.evaluate_on)
        ),
    )
    form = Form(
        action=f"{MOVE_ACTION}:{measure.id}",
        title=t("measures.move_title", id=measure.id),
        fields=fields,
        submit_label=t("measures.save"),
    )
    return Reply(parts=(Text(measure.what), form), ephemeral=True)


def _shown(day: dt.date | None) -> str:
    return t("measures.now", date=norwegian_date(day)) if day else ""


async def open_form(inbound: Inbound, ctx: Context) -> list[Reply]:
    """Reopen the evaluation or move form named in the action (it shows the measure: coordinators only)."""
    measure = await _checked(inbound, ctx, None)
    if not isinstance(measure, Measure):
        return measure
    return [move_form(measure) if (inbound.action or "").startswith(MOVE_ACTION) else evaluation_form(measure)]


async def submit_evaluation(inbound: Inbound, ctx: Context) -> list[Reply]:
    """Save an evaluation that passes the personal-data screen; otherwise nothing is saved and the form returns."""
    measure = await _checked(inbound, ctx, "evaluate")
    if not isinstance(measure, Measure):
        return measure
    raw = inbound.values.get("evaluation", "")
    text = " ".join((raw if isinstance(raw, str) else " ".join(raw)).split())[:MAX_EVALUATION]
    if not text:
        return [Reply.text(t("measures.err.empty"), ephemeral=True), evaluation_form(measure)]
    screening = screen_for(ctx.municipality)(text)
    if not screening.clean:
        problem = t("outcomes.err.personal", kinds=", ".join(screening.kinds), text=screening.redacted)
        return [Reply.text(f"{t('measures.not_saved')} {problem}", ephemeral=True), evaluation_form(measure)]
    await _save(ctx, measure.id, status="evaluated", evaluation=text)
    return [Reply.text(t("measures.marked.evaluated", id=measure.id), ephemeral=True)]


async def submit_move(inbound: Inbound, ctx: Context) -> list[Reply]:
    """Move the deadline or the evaluation date (or both)."""
    measure = await _checked(inbound, ctx, "move")
    if not isinstance(measure, Measure):
        return measure
    dates: dict[str, dt.date] = {}
    for name in ("due", "evaluate_on"):
        raw = inbound.values.get(name, "")
        typed = (raw if isinstance(raw, str) else "").strip()
        day = parse_date(typed) if typed else None
        if typed and day is None:
            field = t(f"measures.f.{name}")
            return [Reply.text(t("outcomes.err.date", field=field), ephemeral=True), move_form(measure)]
        if day is not None:
            dates[name] = day
    if not dates:
        return [Reply.text(t("measures.err.no_date"), ephemeral=True), move_form(measure)]
    due = dates.get("due", measure.due)
    if "due" in dates and "evaluate_on" not in dates and measure.evaluate_on is not None:
        # The evaluation follows a moved deadline unless it was given anew: else it would fall due first.
        dates["evaluate_on"] = max(measure.evaluate_on, dates["due"] + EVALUATE_AFTER)
    evaluate_on = dates.get("evaluate_on", measure.evaluate_on)
    if due is not None and evaluate_on is not None and evaluate_on < due:
        return [Reply.text(t("measures.err.evaluate_before_due"), ephemeral=True), move_form(measure)]
    saved = await _save(ctx, measure.id, **dates)
    return [Reply.text(t("measures.moved", line=measure_line(saved, ctx.today())), ephemeral=True)]


async def _save(ctx: Context, measure_id: int | None, **changes: object) -> Measure:
    async with ctx.db.session() as session:
        measure = await store.get_measure(session, measure_id=measure_id or 0)
        assert measure is not None
        for name, value in changes.items():
            setattr(measure, name, value)
        measure.updated_at = ctx.clock()
        session.add(measure)
        await session.flush()
        return measure


async def remind_measures(ctx: Context) -> int:
    """Queue reminders before each deadline and evaluation date, once per measure and date (the outbox key)."""
    use_language(ctx.municipality.language)
    today = ctx.today()
    queued = 0
    async with ctx.db.session() as session:
        # Only dates still ahead (within a week): a past one is in the digest as overdue, never a new reminder,
        # so nothing comes again when retention has deleted the outbox key of an old reminder.
        for measure in await store.coming_dates(session, today=today, until=today + REMIND_AHEAD):
            kind, day = ("due", measure.due) if measure.status == "open" else ("evaluate", measure.evaluate_on)
            assert day is not None
            reply = Reply.text(t(f"measures.reminder.{kind}", line=measure_line(measure, today)))
            for target in _reminded(ctx, measure):
                key = f"measure-{kind}:{measure.id}:{day.isoformat()}:{target}"
                queued += await queue(session, key=key, target=target, reply=reply, now=ctx.clock())
    return queued


def _reminded(ctx: Context, measure: Measure) -> tuple[str, ...]:
    """The coordinator who recorded the referat; every coordinator if that one is no longer one."""
    if ctx.municipality.is_coordinator(measure.coordinator):
        return (measure.coordinator,)
    return tuple(ctx.municipality.coordinators)


# The digest lists this many overdue measures at most (a Teams card has a size limit), then how many more.
DIGEST_OVERDUE = 10


async def overdue_lines(ctx: Context) -> list[str]:
    """The overdue measures, a line each, the oldest first (for the digest), and how many more there are."""
    today = ctx.today()
    async with ctx.db.session() as session:
        found = await store.overdue(session, today=today)
    lines = [measure_line(m, today) for m in found[:DIGEST_OVERDUE]]
    if len(found) > DIGEST_OVERDUE:
        lines.append(t("measures.more_overdue", n=len(found) - DIGEST_OVERDUE))
    return lines
