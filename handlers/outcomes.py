"""Meeting outcomes (referat) following the referatmal: roles and services only, free text screened.

Coordinators record the outcome of an innsatsteam or breakfast meeting with `referat`; the bot reminds the
coordinator who recorded it when the follow-up date comes.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from bot.core.catalog import t, use_language
from bot.core.context import Context
from bot.core.messages import Choice, Form, FormField, Inbound, Part, Reply, Text
from bot.core.parts import norwegian_date
from bot.core.proactive import queue
from bot.core.text import parse_date
from handlers.measures import new_measure
from handlers.privacy.audit import audited
from handlers.privacy.screen import screen_for
from storage import measures as measure_store
from storage import outcomes as store
from storage.models import MeetingOutcome

SUBMIT_ACTION = "outcome-submit"
MEASURES = 3
# The measure table's column sizes (storage/models.py): checked here, so a long text is a clear message.
MAX_MEASURE = 300
RECENT = 10
# The services a measure or a meeting can involve (catalogue keys outcomes.service.<key>); the label is stored.
SERVICES = (
    "school",
    "school_health",
    "child_welfare",
    "police",
    "ppt",
    "nav",
    "bup",
    "mental_health",
    "outreach",
    "coordinator",
    "parents",
    "youth",
    "other",
)
NOTIFICATIONS = (("barnevern", "outcomes.notification.barnevern"), ("politi", "outcomes.notification.politi"))
STATUSES = ("open", "continued", "closed")
FREE_TEXT = ("known", "topics", "consent_archived_in", *(f"measure{i}_what" for i in range(1, MEASURES + 1)))


def _options(values: tuple[str, ...]) -> tuple[Choice, ...]:
    return tuple(Choice(value, value) for value in values)


def outcome_form(ctx: Context) -> Reply:
    """The referat form: a Slack modal, an Adaptive Card, or a prompt per field in the console."""
    meeting_types = (*(m.name for m in ctx.municipality.meetings), t("outcomes.innsatsteam"))
    services = _options(tuple(t(f"outcomes.service.{key}") for key in SERVICES))
    fields: list[FormField] = [
        FormField("meeting_type", t("outcomes.f.meeting_type"), kind="select", options=_options(meeting_types)),
        FormField("meeting_date", t("outcomes.f.meeting_date"), kind="date"),
        FormField("participants", t("outcomes.f.participants"), kind="multiselect", options=services),
        FormField(
            "basis",
            t("outcomes.f.basis"),
            kind="select",
            options=(
                Choice(t("outcomes.basis.anonymous"), "anonymous"),
                Choice(t("outcomes.basis.consent"), "consent"),
            ),
        ),
        FormField("consent_archived_in", t("outcomes.f.consent_archived_in"), required=False, max_length=200),
        FormField("known", t("outcomes.f.known"), kind="multiline", required=False, hint=t("outcomes.no_names")),
        FormField("topics", t("outcomes.f.topics"), kind="multiline", required=False),
    ]
    for i in range(1, MEASURES + 1):
        fields += [
            FormField(f"measure{i}_what", t("outcomes.f.measure_what", n=i), required=False, max_length=300),
            FormField(
                f"measure{i}_responsible",
                t("outcomes.f.measure_responsible", n=i),
                kind="select",
                required=False,
                options=services,
            ),
            FormField(f"measure{i}_due", t("outcomes.f.measure_due", n=i), kind="date", required=False),
            FormField(
                f"measure{i}_evaluate",
                t("outcomes.f.measure_evaluate", n=i),
                kind="date",
                required=False,
                hint=t("outcomes.measure_evaluate_hint"),
            ),
        ]
    fields += [
        FormField("stafettholder", t("outcomes.f.stafettholder"), kind="select", required=False, options=services),
        FormField(
            "notifications",
            t("outcomes.f.notifications"),
            kind="multiselect",
            required=False,
            options=tuple(Choice(t(key), value) for value, key in NOTIFICATIONS),
        ),
        FormField("follow_up_date", t("outcomes.f.follow_up_date"), kind="date", required=False),
        FormField(
            "status",
            t("outcomes.f.status"),
            kind="select",
            options=tuple(Choice(t(f"outcomes.status.{s}"), s) for s in STATUSES),
        ),
    ]
    form = Form(
        action=SUBMIT_ACTION,
        title=t("outcomes.form_title"),
        fields=tuple(fields),
        submit_label=t("outcomes.form_submit"),
    )
    return Reply(parts=(form,), ephemeral=True)


async def start(inbound: Inbound, ctx: Context) -> list[Reply]:
    """`referat`: open the form."""
    return [outcome_form(ctx)]


def _text(values: dict[str, Any], name: str) -> str:
    value = values.get(name, "")
    return " ".join((value if isinstance(value, str) else " ".join(value)).split())


def _lines(values: dict[str, Any], name: str) -> list[str]:
    """A multi-line answer as a list: one item per line (or per ';' where a channel has no line breaks)."""
    value = values.get(name, "")
    text = value if isinstance(value, str) else "\n".join(value)
    return [" ".join(line.split()) for line in re.split(r"[\n;]", text) if line.strip()]


def _date(values: dict[str, Any], name: str, label: str, problems: list[str]) -> dt.date | None:
    """An optional date field; a problem is noted when something was typed that is not a date."""
    typed = _text(values, name)
    day = parse_date(typed) if typed else None
    if typed and day is None:
        problems.append(t("outcomes.err.date", field=label))
    return day


def _services() -> set[str]:
    """The service labels the form offers (in the language in effect): what a 'responsible' may be."""
    return {t(f"outcomes.service.{key}") for key in SERVICES}


def _service(values: dict[str, Any], name: str, label: str, problems: list[str]) -> str:
    """A service or role from the form's list, never free text (so never a person's name)."""
    value = _text(values, name)
    if value and value not in _services():
        problems.append(t("outcomes.err.service", field=label))
    return value


def _list(values: dict[str, Any], name: str) -> list[str]:
    value = values.get(name, [])
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(part) for part in value]


async def submit(inbound: Inbound, ctx: Context) -> list[Reply]:
    """Validate, screen and store a referat; on any problem nothing is stored and the user is told what."""
    if not ctx.municipality.is_coordinator(inbound.user_id):
        return [Reply.text(t("router.coordinators_only"), ephemeral=True)]
    values = dict(inbound.values)
    problems: list[str] = []
    meeting_type = _text(values, "meeting_type")
    if not meeting_type:
        problems.append(t("outcomes.err.required", field=t("outcomes.f.meeting_type")))
    meeting_date = parse_date(_text(values, "meeting_date"))
    if meeting_date is None:
        problems.append(t("outcomes.err.date", field=t("outcomes.f.meeting_date")))
    follow_up_text = _text(values, "follow_up_date")
    follow_up = parse_date(follow_up_text) if follow_up_text else None
    if follow_up_text and follow_up is None:
        problems.append(t("outcomes.err.date", field=t("outcomes.f.follow_up_date")))
    status = _text(values, "status") or "open"
    if status not in STATUSES:
        problems.append(t("outcomes.err.required", field=t("outcomes.f.status")))
    measures: list[tuple[str, str, dt.date | None, dt.date | None]] = []
    for i in range(1, MEASURES + 1):
        what = _text(values, f"measure{i}_what")
        if len(what) > MAX_MEASURE:
            problems.append(t("outcomes.err.too_long", field=t("outcomes.f.measure_what", n=i), max=MAX_MEASURE))
        due = _date(values, f"measure{i}_due", t("outcomes.f.measure_due", n=i), problems)
        evaluate_on = _date(values, f"measure{i}_evaluate", t("outcomes.f.measure_evaluate", n=i), problems)
        responsible = _service(values, f"measure{i}_responsible", t("outcomes.f.measure_responsible", n=i), problems)
        if what:
            measures.append((what, responsible, due, evaluate_on))
    stafettholder = _service(values, "stafettholder", t("outcomes.f.stafettholder"), problems)
    participants = _list(values, "participants")
    if any(p not in _services() for p in participants):
        problems.append(t("outcomes.err.service", field=t("outcomes.f.participants")))
    screen = screen_for(ctx.municipality)
    for name in FREE_TEXT:
        screening = screen(_text(values, name))
        if not screening.clean:
            problems.append(t("outcomes.err.personal", kinds=", ".join(screening.kinds), text=screening.redacted))
    if problems or meeting_date is None:
        parts: list[Part] = [Text(t("outcomes.not_saved")), *(Text(f"- {p}") for p in problems)]
        return [Reply(parts=tuple(parts), ephemeral=True), outcome_form(ctx)]
    outcome = MeetingOutcome(
        meeting_type=meeting_type,
        meeting_date=meeting_date,
        participants=participants,
        basis="consent" if _text(values, "basis") == "consent" else "anonymous",
        consent_archived_in=_text(values, "consent_archived_in"),
        known=_text(values, "known"),
        topics=_lines(values, "topics"),
        measures=[
            {"what": what, "responsible": who, "due": due.isoformat() if due else None}
            for what, who, due, _ in measures
        ],
        stafettholder=stafettholder,
        notifications=_list(values, "notifications"),
        follow_up_date=follow_up,
        status=status,
        responsible=inbound.user_id,
        created_at=ctx.clock(),
    )
    async with ctx.db.session() as session:
        stored = await store.add_outcome(session, outcome=outcome)
        assert stored.id is not None
        tracked = [
            new_measure(
                outcome_id=stored.id,
                what=what,
                responsible=who,
                due=due,
                evaluate_on=evaluate_on,
                coordinator=inbound.user_id,
                now=ctx.clock(),
            )
            for what, who, due, evaluate_on in measures
        ]
        await measure_store.add_measures(session, measures=tracked)
    when = t("outcomes.follow_up_note", date=norwegian_date(follow_up)) if follow_up else ""
    return [
        Reply.text(
            t("outcomes.saved", id=stored.id, type=meeting_type, date=norwegian_date(meeting_date), follow_up=when),
            ephemeral=True,
        )
    ]


async def recent(inbound: Inbound, ctx: Context) -> list[Reply]:
    """`referater` for coordinators: the latest outcomes with measures and follow-up. Audited."""
    async with ctx.db.session() as session:
        outcomes = await store.recent_outcomes(session, limit=RECENT)
        # The measures as they stand now (done, moved, evaluated), not as the referat first recorded them.
        tracked = await measure_store.measures_of(session, outcome_ids=[o.id for o in outcomes if o.id is not None])
        await audited(session, ctx, actor=inbound.user_id, action="read", kind="outcomes", count=len(outcomes))
    if not outcomes:
        return [Reply.text(t("outcomes.none"), ephemeral=True)]
    parts: list[Part] = [Text(t("outcomes.recent_title"))]
    for outcome in outcomes:
        line = f"#{outcome.id} · {outcome.meeting_type} · {norwegian_date(outcome.meeting_date)} · " + t(
            f"outcomes.status.{outcome.status}"
        )
        if outcome.follow_up_date:
            line += " · " + t("outcomes.follow_up_short", date=norwegian_date(outcome.follow_up_date))
        measures = "; ".join(
            f"#{m.id} {m.what} ({m.responsible or '-'}, {m.due or '-'}) {t(f'measures.status.{m.status}')}"
            for m in tracked
            if m.outcome_id == outcome.id
        )
        parts.append(Text(line + (f"\n  {t('outcomes.measures')}: {measures}" if measures else "")))
    return [Reply(parts=tuple(parts), ephemeral=True)]


async def remind_follow_ups(ctx: Context) -> int:
    """Queue a reminder to the responsible coordinator for each follow-up that has come (once per date)."""
    use_language(ctx.municipality.language)
    today = ctx.today()
    queued = 0
    async with ctx.db.session() as session:
        for outcome in await store.follow_ups_due(session, today=today):
            assert outcome.follow_up_date is not None
            reply = Reply.text(
                t(
                    "outcomes.reminder",
                    id=outcome.id,
                    type=outcome.meeting_type,
                    date=norwegian_date(outcome.meeting_date),
                    follow_up=norwegian_date(outcome.follow_up_date),
                )
            )
            key = f"follow-up:{outcome.id}:{outcome.follow_up_date.isoformat()}"
            queued += await queue(session, key=key, target=outcome.responsible, reply=reply, now=ctx.clock())
    return queued
