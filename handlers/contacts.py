"""`kontakter`: the municipality's SLT contacts, and one contact as an answer to a question."""

from __future__ import annotations

from bot.core.catalog import t
from bot.core.context import Context
from bot.core.messages import Inbound, Part, Reply, Text
from bot.core.parts import contact_card, source_line
from bot.municipality import Contact, Municipality


async def list_contacts(inbound: Inbound, ctx: Context) -> list[Reply]:
    """Every contact with phone, e-mail and when to contact them, plus the source they come from."""
    municipality = ctx.municipality
    parts: list[Part] = [Text(t("contacts.intro", municipality=municipality.name))]
    parts += [contact_card(contact) for contact in municipality.contacts]
    parts += _sources(municipality, municipality.contacts)
    parts.append(Text(t("contacts.emergency")))
    return [Reply(parts=tuple(parts))]


def contact_answer(municipality: Municipality, contact: Contact) -> Reply:
    """The answer to 'who is ...?': the contact card and its source."""
    parts: list[Part] = [contact_card(contact), *_sources(municipality, [contact])]
    return Reply(parts=tuple(parts))


def _sources(municipality: Municipality, contacts: tuple[Contact, ...] | list[Contact]) -> list[Part]:
    ids = list(dict.fromkeys(contact.source for contact in contacts))
    return [source_line(municipality.routine(source)) for source in ids]
