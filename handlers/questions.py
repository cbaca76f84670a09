"""Free questions ("hvem er politikontakt?"): find the contact, routine or meeting the question is about."""

from __future__ import annotations

from bot.core.catalog import t
from bot.core.context import Context
from bot.core.messages import Inbound, Reply
from bot.municipality import Contact, MeetingSeries, Municipality, Routine
from handlers.contacts import contact_answer
from handlers.help import not_found
from handlers.meetings import meeting_plan, next_meeting_answer
from handlers.routines import routine_answer
from handlers.safety import is_acute
from handlers.search.index import Hit, index_for
from handlers.search.terms import intent_of


def prepare(municipality: Municipality) -> None:
    """Build the municipality's search index now, so the first question after a start does not wait for it."""
    index_for(municipality)


def answers(municipality: Municipality, question: str) -> list[Hit]:
    """What a question is about in this municipality's file: one entry, two close ones, or none."""
    return index_for(municipality).search(question)


async def answer_question(inbound: Inbound, ctx: Context) -> list[Reply]:
    """Answer a free question from the municipality file; never silent (falls back to whom to ask).

    Acute danger is answered by the router with the emergency numbers first (handlers/safety.py), on every
    path; this adds what else matched.
    """
    hits = answers(ctx.municipality, inbound.text)
    if not hits and is_acute(inbound.text):
        return []  # the router has answered with the emergency numbers (handlers/safety.py); nothing else fits
    return await _answer(inbound, ctx, hits)


async def _answer(inbound: Inbound, ctx: Context, hits: list[Hit]) -> list[Reply]:
    if not hits:
        return [not_found(ctx)]
    wanted = intent_of(inbound.text)
    replies = [reply for hit in hits for reply in await _one(inbound, ctx, hit.entry.item, wanted)]
    if len(hits) > 1:
        replies.insert(0, Reply.text(t("questions.two_answers")))
    return replies


async def _one(
    inbound: Inbound, ctx: Context, item: Contact | Routine | MeetingSeries, wanted: set[str]
) -> list[Reply]:
    municipality = ctx.municipality
    if isinstance(item, Contact):
        return [contact_answer(municipality, item)]
    if isinstance(item, MeetingSeries):
        return [await next_meeting_answer(ctx, item)]
    # "Når er neste møte?" lands on the meeting plan routine: the dates answer it better than the link.
    if "meeting" in wanted and any(series.source == item.id for series in municipality.meetings):
        return await meeting_plan(inbound, ctx)
    reply = routine_answer(municipality, item)
    # Worried about someone: the routine, and the guided dialog that walks through it.
    concern = municipality.role_routine("bekymringsrutine")
    if concern is not None and item.id == concern.id and "«bekymring»" not in item.summary:  # vocabulary
        return [reply, Reply.text(t("questions.offer_flow"))]
    return [reply]
