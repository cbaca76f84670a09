"""Votes on topic suggestions: `stem <nr>` or a button, once per person per meeting, without storing who voted.

"One vote per person" is kept with a keyed hash of (person, topic) whose key belongs to the vote period and is
forgotten afterwards (handlers/privacy/pseudonyms.py), so even the database cannot say who voted for what.
"""

from __future__ import annotations

from bot.core.catalog import t
from bot.core.context import Context
from bot.core.messages import Choice, Choices, Inbound, Part, Reply, Text
from bot.core.router import command_text
from handlers.planning.schedule import coming
from handlers.privacy.pseudonyms import keyed_hash
from handlers.topics import topic_line, topic_series, votes_text
from storage import keys
from storage import topics as store

VOTE_ACTION = "topic-vote"
# The vote period while no topic meeting is planned.
NO_MEETING = "ingen-mote"  # vocabulary: a period key, never shown


async def _vote_period(ctx: Context) -> str:
    """Votes count once per person per meeting: the period is the next topic meeting's (rule) date."""
    series = topic_series(ctx.municipality)
    next_ones = await coming(ctx, series, 1) if series else []
    return next_ones[0].rule_date.isoformat() if next_ones else NO_MEETING


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
        voter = keyed_hash(secret, inbound.user_id, str(topic_id))
        counted = await store.add_vote(session, topic_id=topic_id, voter_hash=voter, period=period)
        votes = votes_text(topic.votes)
    key = "topics.voted" if counted else "topics.already_voted"
    return [Reply.text(t(key, id=topic_id, votes=votes), ephemeral=True)]


async def _vote_list(ctx: Context) -> list[Reply]:
    async with ctx.db.session() as session:
        open_topics = await store.list_topics(session, statuses=store.OPEN_STATUSES, limit=20)
    if not open_topics:
        return [Reply.text(t("topics.none_open"), ephemeral=True)]
    parts: list[Part] = [Text(t("topics.vote_intro"))]
    parts += [Text(topic_line(topic)) for topic in open_topics]
    options = tuple(Choice(t("topics.vote_label", id=topic.id), str(topic.id)) for topic in open_topics)
    parts.append(Choices(action=VOTE_ACTION, options=options))
    return [Reply(parts=tuple(parts), ephemeral=True)]
