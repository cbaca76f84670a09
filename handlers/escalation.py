"""The escalation routine's outcome: the anonymised record, the offer to notify the coordinators, their overview.

The guided dialog itself is data (bot/data/flows/bekymring.yaml). When it ends, `record_outcome` stores what
was chosen, as choices and bands only: never a user id, a name or a precise time. The acute branch records only
that it was taken.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.catalog import t
from bot.core.context import Context
from bot.core.flows import Flow
from bot.core.messages import Choice, Choices, Facts, Form, FormField, Inbound, Part, Reply, Text
from bot.core.proactive import queue
from handlers.privacy.audit import audited
from handlers.privacy.counts import breakdown, count_text
from handlers.privacy.screen import screen_for
from storage import escalations as store
from storage import keys
from storage.digest import escalations_by_recommendation
from storage.models import EscalationRecord

NOTIFY_ACTION = "escalation-notify"
SUMMARY_ACTION = "escalation-summary"
SUMMARY_CHOICE_ACTION = "escalation-summary-choice"
MAX_SUMMARY = 400
# The values of the flow's yes/no answers (bot/data/flows/bekymring.yaml), looked up for their labels.
YES, NO = "ja", "nei"  # vocabulary: flow answer values
# Letters and digits that cannot be mistaken for each other when read aloud or copied by hand.
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
RECENT = 15
# The buttons after a record carry a keyed hash of its reference, not the reference: the key is the day's and is
# forgotten when the day ends, so the person's chat (and a workspace export of it) holds nothing that leads to
# the record. Only when they choose to notify the coordinator do they get the reference, to act as stafettholder.
OFFER_KEY = "escalation-offer"


def new_reference() -> str:
    """A random reference like 'B-7KQ3XM': it says nothing about who, when or what."""
    return "B-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))


def _yes(value: Any) -> bool | None:
    return None if value is None else value == "ja"


async def record_outcome(
    session: AsyncSession, inbound: Inbound, flow: Flow, answers: dict[str, Any], result: dict[str, Any]
) -> list[Reply]:
    """The dialog engine's completion hook for the escalation flow: store the record, offer to notify."""
    reference = new_reference()
    started, completed = result["started_on"], result["completed_on"]
    if answers.get("acute") == "ja":
        acute = EscalationRecord(id=reference, started_on=started, completed_on=completed, acute=True)
        await store.add_escalation(session, record=acute)
        return []
    record = EscalationRecord(
        id=reference,
        started_on=started,
        completed_on=completed,
        acute=False,
        subject=answers.get("subject"),
        setting=answers.get("setting"),
        categories=list(answers.get("categories", [])),
        school_team_discussed=_yes(answers.get("school_team_discussed")),
        avvergeplikt=answers.get("avvergeplikt"),
        opplysningsplikt=answers.get("opplysningsplikt"),
        anonymous=_yes(answers.get("anonymous")),
        consent=answers.get("consent"),
        recommendation=result.get("recommendation"),
    )
    await store.add_escalation(session, record=record)
    secret = await keys.period_secret(session, purpose=OFFER_KEY, period=completed.isoformat())
    offer = Choices(
        action=f"{NOTIFY_ACTION}:{_offer_token(secret, reference)}",
        prompt=t("escalation.offer_notify"),
        options=(Choice(t("escalation.notify_yes"), "ja"), Choice(t("escalation.notify_no"), "nei")),
    )
    return [Reply(parts=(Text(t("escalation.recorded")), offer), ephemeral=True)]


def _offer_token(secret: bytes, reference: str) -> str:
    return hmac.new(secret, reference.encode(), hashlib.sha256).hexdigest()[:32]


async def _record_for(ctx: Context, token: str) -> str | None:
    """The reference of today's record behind an offer token; None once the day (and its key) is gone."""
    today = ctx.today()
    async with ctx.db.session() as session:
        secret = await keys.period_secret(session, purpose=OFFER_KEY, period=today.isoformat())
        for reference in await store.references_completed_on(session, day=today):
            if hmac.compare_digest(_offer_token(secret, reference), token):
                return reference
    return None


def _summary_form(reference: str) -> Reply:
    field = FormField(
        "beskrivelse",
        t("escalation.summary_label"),
        kind="multiline",
        required=False,
        max_length=MAX_SUMMARY,
        hint=t("escalation.summary_hint"),
    )
    form = Form(
        action=f"{SUMMARY_ACTION}:{reference}",
        title=t("escalation.summary_title"),
        fields=(field,),
        submit_label=t("escalation.summary_submit"),
    )
    return Reply(parts=(form,), ephemeral=True)


async def open_summary_form(inbound: Inbound, ctx: Context) -> list[Reply]:
    """Reopen the summary form for the record named in the action (from a button)."""
    return [_summary_form(_reference(inbound))]


def _reference(inbound: Inbound) -> str:
    return (inbound.action or "").partition(":")[2]


async def notify_choice(inbound: Inbound, ctx: Context) -> list[Reply]:
    """The user answered whether the coordinators should get an anonymous summary."""
    if inbound.values.get("value") != "ja":
        return [Reply.text(t("escalation.not_notified"), ephemeral=True)]
    return [_summary_form(_reference(inbound))]


async def submit_summary(inbound: Inbound, ctx: Context) -> list[Reply]:
    """The optional short description was sent: screen it, then notify the coordinators."""
    raw = inbound.values.get("beskrivelse", "")
    text = " ".join((raw if isinstance(raw, str) else " ".join(raw)).split())
    return await _notify_with(inbound, ctx, _reference(inbound), text)


async def summary_choice(inbound: Inbound, ctx: Context) -> list[Reply]:
    """After personal data was found in the description: send the redacted text, none, or write again."""
    reference, value = _reference(inbound), inbound.values.get("value", "")
    if value == "rewrite":
        return [_summary_form(reference)]
    if isinstance(value, str) and value.startswith("redacted:"):
        return await _notify_with(inbound, ctx, reference, value.removeprefix("redacted:"))
    return await _notify_with(inbound, ctx, reference, "")


async def _notify_with(inbound: Inbound, ctx: Context, token: str, description: str) -> list[Reply]:
    if len(description) > MAX_SUMMARY:
        return [Reply.text(t("escalation.summary_too_long", max=MAX_SUMMARY), ephemeral=True), _summary_form(token)]
    screening = screen_for(ctx.municipality)(description)
    if not screening.clean:
        options = (
            Choice(t("escalation.send_redacted"), "redacted:" + screening.redacted),
            Choice(t("escalation.send_without"), "without"),
            Choice(t("escalation.rewrite"), "rewrite"),
        )
        parts: list[Part] = [
            Text(t("escalation.summary_found", kinds=", ".join(screening.kinds), text=screening.redacted)),
            Choices(action=f"{SUMMARY_CHOICE_ACTION}:{token}", options=options),
        ]
        return [Reply(parts=tuple(parts), ephemeral=True)]
    reference = await _record_for(ctx, token)
    if reference is None:
        return [Reply.text(t("escalation.offer_expired"), ephemeral=True)]
    flow = ctx.dialogs.flow("bekymring") if "bekymring" in ctx.dialogs.flows else None
    now = ctx.clock()
    async with ctx.db.session() as session:
        record = await store.get_escalation(session, reference=reference)
        if record is None or record.acute:
            return [Reply.text(t("dialog.gone"), ephemeral=True)]
        if not await store.mark_notified(session, reference=reference):
            return [Reply.text(t("escalation.already_notified", reference=reference), ephemeral=True)]
        summary = summary_reply(record, flow, description)
        for coordinator in ctx.municipality.coordinators:
            await queue(
                session, key=f"escalation:{reference}:{coordinator}", target=coordinator, reply=summary, now=now
            )
    return [Reply.text(t("escalation.notified", reference=reference), ephemeral=True)]


def _label(flow: Flow | None, key: str, value: str | None) -> str:
    if value is None:
        return "-"
    return flow.label(key, value) if flow else value


def summary_reply(record: EscalationRecord, flow: Flow | None, description: str) -> Reply:
    """The anonymised summary the coordinators receive: choices made and the recommendation, nothing else."""
    categories = ", ".join(_label(flow, "categories", c) for c in record.categories) or "-"
    items = [
        (t("escalation.field.subject"), _label(flow, "subject", record.subject)),
        (t("escalation.field.setting"), _label(flow, "setting", record.setting)),
        (t("escalation.field.categories"), categories),
        (
            t("escalation.field.school_team"),
            _label(
                flow,
                "school_team_discussed",
                None if record.school_team_discussed is None else YES if record.school_team_discussed else NO,
            ),
        ),
        (
            t("escalation.field.anonymous"),
            _label(flow, "anonymous", None if record.anonymous is None else YES if record.anonymous else NO),
        ),
        (t("escalation.field.consent"), _label(flow, "consent", record.consent)),
        (t("escalation.field.recommendation"), recommendation_label(record.recommendation)),
    ]
    parts: list[Part] = [Text(t("escalation.summary_intro", reference=record.id)), Facts(items=tuple(items))]
    if description:
        parts.append(Text(t("escalation.summary_description", text=description)))
    parts.append(Text(t("escalation.summary_outro")))
    return Reply(parts=tuple(parts))


def recommendation_label(code: str | None) -> str:
    """The recommendation in words ('innsatsteam_samtykke' -> 'SLT-innsatsteam med samtykke')."""
    if code is None:
        return t("recommendation.akutt")
    try:
        return t(f"recommendation.{code}")
    except KeyError:
        return code


async def overview(inbound: Inbound, ctx: Context) -> list[Reply]:
    """`bekymringer` for coordinators: counts by recommendation (90 days) and the latest records. Audited."""
    since = ctx.today() - dt.timedelta(days=90)
    async with ctx.db.session() as session:
        counts = await escalations_by_recommendation(session, since=since)
        recent = await store.recent_escalations(session, limit=RECENT)
        await audited(session, ctx, actor=inbound.user_id, action="read", kind="escalations", count=len(recent))
    if not recent:
        return [Reply.text(t("escalation.none"), ephemeral=True)]
    flow = ctx.dialogs.flow("bekymring") if "bekymring" in ctx.dialogs.flows else None
    minimum = ctx.municipality.privacy.minimum_count
    total = sum(n for _, n in counts)
    rows = breakdown([(recommendation_label(code), n) for code, n in counts], minimum)
    totals = ((t("digest.escalations_total"), count_text(total, minimum)), *rows)
    parts: list[Part] = [Facts(title=t("escalation.counts_title"), items=totals), Text(t("escalation.recent_title"))]
    for record in recent:
        what = (
            t("escalation.acute_line")
            if record.acute
            else (
                f"{_label(flow, 'subject', record.subject)}, {_label(flow, 'setting', record.setting)}: "
                f"{recommendation_label(record.recommendation)}"
            )
        )
        notified = " " + t("escalation.notified_mark") if record.coordinator_notified else ""
        parts.append(Text(f"{record.id} · {record.completed_on.isoformat()} · {what}{notified}"))
    return [Reply(parts=tuple(parts), ephemeral=True)]
