"""`rutiner`: routines, plans and forms with links, and one routine as an answer to a question."""

from __future__ import annotations

from bot.core.catalog import t
from bot.core.context import Context
from bot.core.messages import Facts, Inbound, Part, Reply, Text
from bot.core.parts import contact_card, norwegian_date, routine_link, routine_parts
from bot.municipality import Municipality, Routine

KIND_TITLES = {
    "rutine": "routines.kind.rutine",
    "skjema": "routines.kind.skjema",
    "plan": "routines.kind.plan",
    "veileder": "routines.kind.veileder",
}


async def list_routines(inbound: Inbound, ctx: Context) -> list[Reply]:
    """Routines, forms, plans and guides, grouped by kind, each with its link and review date."""
    parts: list[Part] = [Text(t("routines.intro", municipality=ctx.municipality.name))]
    for kind, title_key in KIND_TITLES.items():
        group = [r for r in ctx.municipality.routines if r.kind == kind]
        if not group:
            continue
        parts.append(
            Facts(
                title=t(title_key),
                items=tuple((r.title, t("routines.reviewed", reviewed=norwegian_date(r.last_reviewed))) for r in group),
            )
        )
        parts += [routine_link(r) for r in group if r.url]
    parts.append(Text(t("routines.ask_more")))
    return [Reply(parts=tuple(parts))]


def routine_answer(municipality: Municipality, routine: Routine) -> Reply:
    """The answer to 'where is ...?' or 'what do I do ...?': summary, link, its contacts and its source."""
    parts: list[Part] = routine_parts(routine)
    for contact_id in routine.contacts[:2]:
        contact = municipality.contact(contact_id)
        if contact is not None:
            parts.insert(-1, contact_card(contact))
    return Reply(parts=tuple(parts))
