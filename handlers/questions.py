"""Free questions ("hvem er politikontakt?"): find the contact, routine or meeting the question is about."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.core.context import Context
from bot.core.messages import Inbound, Reply
from bot.core.text import best_similarity, words
from bot.municipality import Contact, MeetingSeries, Routine
from handlers.contacts import contact_answer
from handlers.help import not_found
from handlers.meetings import meeting_plan, next_meeting_answer
from handlers.routines import routine_answer
from handlers.safety import acute_reply, is_acute

Kind = Literal["contact", "routine", "meeting"]

# Words that say what kind of answer is wanted (folded, bokmål after synonym mapping).
QUESTION_KINDS: dict[str, Kind] = {
    "hvem": "contact",
    "ringe": "contact",
    "ring": "contact",
    "telefon": "contact",
    "telefonnummer": "contact",
    "epost": "contact",
    "mail": "contact",
    "kontakte": "contact",
    "nar": "meeting",
    "neste": "meeting",
    "dato": "meeting",
    "datoen": "meeting",
    "klokka": "meeting",
    "tid": "meeting",
    "tidspunkt": "meeting",
    "hvor": "routine",
    "finner": "routine",
    "skjema": "routine",
    "lenke": "routine",
    "link": "routine",
    "rutine": "routine",
    "rutinen": "routine",
    "hvordan": "routine",
    "hva": "routine",
    "gjor": "routine",
}

# Words that carry no subject; left out so they cannot match a keyword by accident.
STOPWORDS = frozenset(
    [
        "er",
        "jeg",
        "eg",
        "en",
        "et",
        "ei",
        "i",
        "pa",
        "for",
        "hva",
        "hvem",
        "hvor",
        "nar",
        "neste",
        "kan",
        "om",
        "til",
        "med",
        "det",
        "de",
        "den",
        "og",
        "som",
        "har",
        "skal",
        "meg",
        "du",
        "vi",
        "gjor",
        "gjore",
        "finner",
        "hvis",
        "dersom",
        "hos",
        "av",
        "at",
        "ikke",
        "vil",
        "ma",
        "man",
        "noen",
        "nokon",
        "sin",
        "sitt",
        "sine",
        "var",
        "min",
        "mitt",
        "mine",
    ]
)

MATCH_THRESHOLD = 0.84
KIND_BONUS = 0.3
EXTRA_KEYWORD_BONUS = 0.05


@dataclass(frozen=True)
class Candidate:
    """Something a question can be about, with the words that point to it."""

    kind: Kind
    item: Contact | Routine | MeetingSeries
    keywords: tuple[str, ...]


def _candidates(ctx: Context) -> list[Candidate]:
    municipality = ctx.municipality
    found = [Candidate("contact", c, (c.id, c.role, *c.keywords)) for c in municipality.contacts]
    found += [Candidate("routine", r, (r.id, *r.keywords)) for r in municipality.routines]
    found += [Candidate("meeting", m, (m.id, m.name, *m.keywords)) for m in municipality.meetings]
    return found


def _score(candidate: Candidate, subject: list[str], wanted: set[Kind]) -> float:
    scores = sorted((best_similarity(subject, keyword) for keyword in candidate.keywords), reverse=True)
    if not scores or scores[0] < MATCH_THRESHOLD:
        return 0.0
    extra = sum(1 for s in scores[1:] if s >= MATCH_THRESHOLD) * EXTRA_KEYWORD_BONUS
    return scores[0] + extra + (KIND_BONUS if candidate.kind in wanted else 0.0)


def best_match(ctx: Context, question: str) -> tuple[Candidate | None, set[Kind]]:
    """The best-matching contact, routine or meeting for a question, and the kinds of answer it asks for."""
    typed = words(question)
    wanted = {QUESTION_KINDS[w] for w in typed if w in QUESTION_KINDS}
    subject = [w for w in typed if w not in STOPWORDS]
    scored = [(_score(c, subject, wanted), c) for c in _candidates(ctx)]
    score, best = max(scored, key=lambda pair: pair[0], default=(0.0, None))
    return (best if score > 0 else None), wanted


async def answer_question(inbound: Inbound, ctx: Context) -> list[Reply]:
    """Answer a free question from the municipality file; never silent (falls back to whom to ask).

    Acute danger is answered with the emergency numbers first (handlers/safety.py), then what else matched.
    """
    if is_acute(inbound.text):
        candidate, _ = best_match(ctx, inbound.text)
        rest = await _answer(inbound, ctx) if candidate is not None else []
        return [acute_reply(ctx.municipality), *rest]
    return await _answer(inbound, ctx)


async def _answer(inbound: Inbound, ctx: Context) -> list[Reply]:
    candidate, wanted = best_match(ctx, inbound.text)
    if candidate is None:
        return [not_found(ctx)]
    item = candidate.item
    if isinstance(item, Contact):
        return [contact_answer(ctx.municipality, item)]
    if isinstance(item, MeetingSeries):
        return [await next_meeting_answer(ctx, item)]
    # "Når er neste møte?" lands on the meeting plan routine: the dates answer it better than the link.
    is_plan = any(series.source == item.id for series in ctx.municipality.meetings)
    if is_plan and "meeting" in wanted:
        return await meeting_plan(inbound, ctx)
    return [routine_answer(ctx.municipality, item)]
