"""Anonymous topic suggestions for meetings: suggest, screen, vote, and the coordinators' list.

Anonymous means: no submitter id, name or channel is stored with a topic or logged. Flood protection and
"one vote per person" use keyed hashes whose key rotates, so even the database cannot say who sent or voted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import unicodedata
from typing import Any

from bot.core.catalog import t
from bot.core.context import Context
from bot.core.messages import Choice, Choices, Form, FormField, Inbound, Part, Reply, Text
from bot.core.parts import norwegian_date
from bot.core.router import command_text
from bot.core.text import parse_date
from bot.municipality import MeetingSeries, Municipality
from handlers.planning.schedule import coming
from handlers.privacy.audit import audited
from handlers.privacy.screen import Screen, Screening
from storage import keys
from storage import topics as store
from storage.models import Topic

MAX_LENGTH = 500
MAX_PER_DAY = 10
SUBMIT_ACTION = "topic-submit"
FOUND_ACTION = "topic-found"
VOTE_ACTION = "topic-vote"
ADMIN_ACTION = "topic-admin"
STATUS_LABELS = {"new": "ny", "planned": "planlagt", "discussed": "diskutert", "rejected": "avvist"}
PLANNABLE_MEETINGS = 3


def screen_for(municipality: Municipality) -> Screen:
    """The personal-data screen that knows this municipality's own places, schools and name."""
    return Screen(known_places=(*municipality.places, municipality.name))


def _keyed_hash(secret: bytes, *parts: str) -> str:
    return hmac.new(secret, "|".join(parts).encode(), hashlib.sha256).hexdigest()


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
    return await _receive(inbound, ctx, text)


async def submit_form(inbound: Inbound, ctx: Context) -> list[Reply]:
    """The suggestion form was sent."""
    raw = inbound.values.get("tekst", "")
    return await _receive(inbound, ctx, raw if isinstance(raw, str) else " ".join(raw))


async def _receive(inbound: Inbound, ctx: Context, raw: str) -> list[Reply]:
    text = _clean_text(raw)
    if not text:
        return [Reply.text(t("topics.empty"), ephemeral=True)]
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
        return await _receive(inbound, ctx, value.removeprefix("redacted:"))
    return [Reply.text(t("router.unknown_action"), ephemeral=True)]


async def _store(inbound: Inbound, ctx: Context, text: str) -> list[Reply]:
    today = ctx.clock().astimezone(ctx.municipality.tz).date()
    async with ctx.db.session() as session:
        secret = await keys.period_secret(session, purpose="flood", period=today.isoformat())
        sent = await keys.count_submission(
            session, sender_hash=_keyed_hash(secret, inbound.user_id), period=today.isoformat()
        )
        if sent > MAX_PER_DAY:
            return [Reply.text(t("topics.flood", max=MAX_PER_DAY), ephemeral=True)]
        await store.add_topic(session, text=text, today=today)
    series = topic_series(ctx.municipality)
    where = series.name if series else t("topics.a_meeting")
    # No number or other key of the stored topic: this reply stays in the submitter's chat, where a workspace
    # export would otherwise link the person to the topic.
    return [Reply.text(t("topics.stored", meeting=where), ephemeral=True)]


async def _vote_period(ctx: Context) -> str:
    """Votes count once per person per meeting: the period is the next topic meeting's (rule) date."""
    series = topic_series(ctx.municipality)
    next_ones = await coming(ctx, series, 1) if series else []
    return next_ones[0].rule_date.isoformat() if next_ones else "ingen-mote"


async def vote(inbound: Inbound, ctx: Context) -> list[Reply]:
    """`stem <nr>`: +1 a topic once; `stem` alone lists the open topics to vote on."""
    wanted = command_text(inbound).lstrip("#").strip()
    if not wanted:
        return await _vote_list(ctx)
    if not wanted.isdigit():
        return [Reply.text(t("topics.vote_which"), ephemeral=True)]
    return await _vote(inbound, ctx, int(wanted))


async def vote_button(inbound: Inbound, ctx: Context) -> list[Reply]:
    """A 'Stem' button was pressed."""
    value = inbound.values.get("value", "")
    if not isinstance(value, str) or not value.isdigit():
        return [Reply.text(t("router.unknown_action"), ephemeral=True)]
    return await _vote(inbound, ctx, int(value))


async def _vote(inbound: Inbound, ctx: Context, topic_id: int) -> list[Reply]:
    period = await _vote_period(ctx)
    async with ctx.db.session() as session:
        topic = await store.get_topic(session, topic_id=topic_id)
        if topic is None or topic.status not in store.OPEN_STATUSES:
            return [Reply.text(t("topics.vote_unknown", id=topic_id), ephemeral=True)]
        secret = await keys.period_secret(session, purpose="votes", period=period)
        voter = _keyed_hash(secret, inbound.user_id, str(topic_id))
        counted = await store.add_vote(session, topic_id=topic_id, voter_hash=voter, period=period)
        votes = _votes(topic.votes)
    key = "topics.voted" if counted else "topics.already_voted"
    return [Reply.text(t(key, id=topic_id, votes=votes), ephemeral=True)]


async def _vote_list(ctx: Context) -> list[Reply]:
    async with ctx.db.session() as session:
        open_topics = await store.list_topics(session, statuses=store.OPEN_STATUSES, limit=20)
    if not open_topics:
        return [Reply.text(t("topics.none_open"), ephemeral=True)]
    parts: list[Part] = [Text(t("topics.vote_intro"))]
    parts += [Text(_line(topic)) for topic in open_topics]
    options = tuple(Choice(t("topics.vote_label", id=topic.id), str(topic.id)) for topic in open_topics)
    parts.append(Choices(action=VOTE_ACTION, options=options))
    return [Reply(parts=tuple(parts), ephemeral=True)]


def _votes(count: int) -> str:
    return t("topics.votes_one") if count == 1 else t("topics.votes_many", n=count)


def _line(topic: Topic) -> str:
    votes = _votes(topic.votes)
    status = STATUS_LABELS[topic.status]
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
        parts.append(Text(_line(topic)))
        options = [
            Choice(t("topics.plan_for", date=norwegian_date(d)), f"plan:{d.isoformat()}")
            for d in dates
            if not (topic.status == "planned" and topic.meeting_date == d)
        ]
        options += [Choice(t("topics.mark_discussed"), "discussed"), Choice(t("topics.mark_rejected"), "rejected")]
        parts.append(Choices(action=f"{ADMIN_ACTION}:{topic.id}", options=tuple(options)))
    if done:
        parts.append(Text(t("topics.done_intro")))
        parts += [Text(_line(topic)) for topic in done]
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
    return [Reply.text(t("topics.status_set", line=_line(topic)), ephemeral=True)]


async def agenda_lines(ctx: Context, meeting_date: dt.date) -> list[str]:
    """The planned topics for one meeting, for the meeting answer and reminders."""
    async with ctx.db.session() as session:
        planned = await store.agenda(session, meeting_date=meeting_date)
    return [topic.text for topic in planned]


def export_rows(topics: list[Topic]) -> list[dict[str, Any]]:
    """Topics as export rows with exactly the contract's fields (there is no submitter field)."""
    return [
        {
            "id": topic.id,
            "text": topic.text,
            "status": topic.status,
            "created_at": topic.created_on.isoformat(),
            "votes": topic.votes,
            "meeting_date": topic.meeting_date.isoformat() if topic.meeting_date else None,
        }
        for topic in topics
    ]
