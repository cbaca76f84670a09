"""Anonymous topic suggestions for meetings: suggest, screen, store, and the coordinators' list.

Anonymous means: no submitter id, name or channel is stored with a topic or logged. Flood protection and
"one vote per person" use keyed hashes whose key rotates, so even the database cannot say who sent or voted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import unicodedata

from bot.core.catalog import t
from bot.core.context import Context
from bot.core.messages import Choice, Choices, Form, FormField, Inbound, Part, Reply, Text
from bot.core.parts import norwegian_date
from bot.core.router import command_text
from bot.core.text import parse_date
from bot.municipality import MeetingSeries, Municipality
from handlers.planning.schedule import coming
from handlers.privacy.audit import audited
from handlers.privacy.pseudonyms import keyed_hash
from handlers.privacy.screen import Screening, screen_for
from handlers.safety import acute_reply, is_acute
from storage import keys
from storage import topics as store
from storage.models import Topic

MAX_LENGTH = 500
MAX_PER_DAY = 10
SUBMIT_ACTION = "topic-submit"
FOUND_ACTION = "topic-found"
ADMIN_ACTION = "topic-admin"
PLANNABLE_MEETINGS = 3


def _clean_text(raw: str) -> str:
    """Normalise unicode, drop control and invisible characters, collapse white space."""
    text = unicodedata.normalize("NFKC", raw)
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf") or c in "\n\t")
    return re.sub(r"\s+", " ", text).strip()


def topic_series(municipality: Municipality) -> MeetingSeries | None:
    """The meeting series that takes topic suggestions (the breakfast meeting), if any."""
    return next((m for m in municipality.meetings if m.takes_topics), None)


def suggestion_form(ctx: Context) -> Reply:
    """The suggestion form (no database work: Slack opens it within the trigger window)."""
    return _form()


async def open_form(inbound: Inbound, ctx: Context) -> list[Reply]:
    """Reopen the suggestion form (from a button)."""
    return [_form()]


def _form() -> Reply:
    field = FormField(
        "tekst", t("topics.form_label"), kind="multiline", max_length=MAX_LENGTH, hint=t("topics.form_hint")
    )
    return Reply(
        parts=(
            Form(
                action=SUBMIT_ACTION,
                title=t("topics.form_title"),
                fields=(field,),
                submit_label=t("topics.form_submit"),
            ),
        ),
        ephemeral=True,
    )


async def suggest(inbound: Inbound, ctx: Context) -> list[Reply]:
    """`tema <tekst>`: screen and store a suggestion; with no text, offer the form."""
    text = command_text(inbound)
    if not _clean_text(text):
        return [_form()]
    return await _receive(inbound, ctx, text, checked=True)


async def submit_form(inbound: Inbound, ctx: Context) -> list[Reply]:
    """The suggestion form was sent."""
    raw = inbound.values.get("tekst", "")
    return await _receive(inbound, ctx, raw if isinstance(raw, str) else " ".join(raw), checked=False)


async def _receive(inbound: Inbound, ctx: Context, raw: str, *, checked: bool) -> list[Reply]:
    text = _clean_text(raw)
    if not text:
        return [Reply.text(t("topics.empty"), ephemeral=True)]
    # Typed text had its acute check in the router (checked); a form's text has not.
    if not checked and is_acute(text):
        # Someone may be in danger now: the emergency numbers first; the suggestion is handled after them.
        return [
            dataclasses.replace(acute_reply(ctx.municipality), ephemeral=True),
            *await _screened(inbound, ctx, text),
        ]
    return await _screened(inbound, ctx, text)


async def _screened(inbound: Inbound, ctx: Context, text: str) -> list[Reply]:
    if len(text) > MAX_LENGTH:
        return [Reply.text(t("topics.too_long", max=MAX_LENGTH, length=len(text)), ephemeral=True)]
    screening = screen_for(ctx.municipality)(text)
    if not screening.clean:
        return [_found(screening)]
    return await _store(inbound, ctx, text)


def _found(screening: Screening) -> Reply:
    kinds = ", ".join(screening.kinds)
    options = (
        Choice(t("topics.choice_redacted"), "redacted:" + screening.redacted),
        Choice(t("topics.choice_rewrite"), "rewrite"),
        Choice(t("topics.choice_escalate"), "escalate"),
    )
    parts: list[Part] = [
        Text(t("topics.found", kinds=kinds)),
        Text(t("topics.found_redacted", text=screening.redacted)),
        Choices(action=FOUND_ACTION, options=options, prompt=t("topics.found_prompt")),
    ]
    return Reply(parts=tuple(parts), ephemeral=True)


async def found_choice(inbound: Inbound, ctx: Context) -> list[Reply]:
    """The user chose what to do with a suggestion that had personal data in it."""
    value = inbound.values.get("value", "")
    value = value if isinstance(value, str) else ""
    if value == "rewrite":
        return [Reply.text(t("topics.rewrite"), ephemeral=True), _form()]
    if value == "escalate":
        return await ctx.dialogs.start(inbound, "bekymring")
    if value.startswith("redacted:"):
        # The redacted text comes back from the client, so it is screened again: a forged value is refused.
        # Its original was checked for acute danger when it was first sent.
        return await _receive(inbound, ctx, value.removeprefix("redacted:"), checked=True)
    return [Reply.text(t("router.unknown_action"), ephemeral=True)]


async def _store(inbound: Inbound, ctx: Context, text: str) -> list[Reply]:
    today = ctx.today()
    async with ctx.db.session() as session:
        secret = await keys.period_secret(session, purpose="flood", period=today.isoformat())
        sent = await keys.count_submission(
            session, sender_hash=keyed_hash(secret, inbound.user_id), period=today.isoformat()
        )
        if sent > MAX_PER_DAY:
            return [Reply.text(t("topics.flood", max=MAX_PER_DAY), ephemeral=True)]
        await store.add_topic(session, text=text, today=today)
    series = topic_series(ctx.municipality)
    where = series.name if series else t("topics.a_meeting")
    # No number or other key of the stored topic: this reply stays in the submitter's chat, where a workspace
    # export would otherwise link the person to the topic.
    return [Reply.text(t("topics.stored", meeting=where), ephemeral=True)]


def votes_text(count: int) -> str:
    """'1 stemme' or 'n stemmer'."""
    return t("topics.votes_one") if count == 1 else t("topics.votes_many", n=count)


def topic_line(topic: Topic) -> str:
    """One topic as a line: number, status (with its meeting date), votes and text."""
    votes = votes_text(topic.votes)
    status = t(f"topics.status.{topic.status}")
    if topic.meeting_date is not None and topic.status in ("planned", "discussed"):
        status += " " + norwegian_date(topic.meeting_date)
    return f"#{topic.id} · {status} · {votes} · {topic.text}"


async def list_for_coordinator(inbound: Inbound, ctx: Context) -> list[Reply]:
    """`temaer`: every open topic with status and votes, and buttons to plan, mark discussed or reject."""
    async with ctx.db.session() as session:
        open_topics = await store.list_topics(session, statuses=store.OPEN_STATUSES)
        done = await store.list_topics(session, statuses=("discussed", "rejected"), limit=10)
        count = len(open_topics) + len(done)
        await audited(session, ctx, actor=inbound.user_id, action="read", kind="topics", count=count)
    if not open_topics and not done:
        return [Reply.text(t("topics.none_at_all"), ephemeral=True)]
    dates = await _plannable_dates(ctx)
    parts: list[Part] = [Text(t("topics.admin_intro", n=len(open_topics)))]
    for topic in open_topics:
        parts.append(Text(topic_line(topic)))
        options = [
            Choice(t("topics.plan_for", date=norwegian_date(d)), f"plan:{d.isoformat()}")
            for d in dates
            if not (topic.status == "planned" and topic.meeting_date == d)
        ]
        options += [Choice(t("topics.mark_discussed"), "discussed"), Choice(t("topics.mark_rejected"), "rejected")]
        parts.append(Choices(action=f"{ADMIN_ACTION}:{topic.id}", options=tuple(options)))
    if done:
        parts.append(Text(t("topics.done_intro")))
        parts += [Text(topic_line(topic)) for topic in done]
    return [Reply(parts=tuple(parts), ephemeral=True)]


async def _plannable_dates(ctx: Context) -> list[dt.date]:
    series = topic_series(ctx.municipality)
    if series is None:
        return []
    return [o.day for o in await coming(ctx, series, PLANNABLE_MEETINGS)]


async def admin_choice(inbound: Inbound, ctx: Context) -> list[Reply]:
    """A coordinator planned a topic for a meeting, or marked it discussed or rejected."""
    if not ctx.municipality.is_coordinator(inbound.user_id):
        return [Reply.text(t("router.coordinators_only"), ephemeral=True)]
    topic_id = (inbound.action or "").partition(":")[2]
    value = inbound.values.get("value", "")
    if not topic_id.isdigit() or not isinstance(value, str):
        return [Reply.text(t("router.unknown_action"), ephemeral=True)]
    status, _, when = value.partition(":")
    meeting_date = parse_date(when) if status == "plan" else None
    if status == "plan" and meeting_date is None:
        return [Reply.text(t("router.unknown_action"), ephemeral=True)]
    new_status = "planned" if status == "plan" else status
    if new_status not in store.STATUSES:
        return [Reply.text(t("router.unknown_action"), ephemeral=True)]
    async with ctx.db.session() as session:
        topic = await store.set_status(session, topic_id=int(topic_id), status=new_status, meeting_date=meeting_date)
    if topic is None:
        return [Reply.text(t("topics.vote_unknown", id=topic_id), ephemeral=True)]
    return [Reply.text(t("topics.status_set", line=topic_line(topic)), ephemeral=True)]
