"""Reply parts built from municipality data: contact cards, routine links and source lines."""

from __future__ import annotations

import datetime as dt

from bot.core.catalog import t
from bot.core.messages import Facts, Link, Part, Text
from bot.municipality import Contact, Routine


def norwegian_date(day: dt.date, *, weekday: bool = False) -> str:
    """'fredag 27. november 2026' (or without the weekday)."""
    text = f"{day.day}. {t(f'date.month.{day.month}')} {day.year}"
    return f"{t(f'date.weekday.{day.weekday()}')} {text}" if weekday else text


def contact_card(contact: Contact) -> Facts:
    """A contact as label/value facts: who, phone, e-mail, when to contact."""
    items = [(t("contact.name"), contact.name)]
    if contact.phone:
        items.append((t("contact.phone"), contact.phone))
    if contact.email:
        items.append((t("contact.email"), contact.email))
    items.append((t("contact.when"), contact.when))
    return Facts(title=contact.role, items=tuple(items))


def routine_link(routine: Routine) -> Link:
    """A routine or form as a link (its title, its address)."""
    return Link(title=routine.title, url=routine.url)


def source_line(routine: Routine) -> Text:
    """'Kilde: <routine> (sist gjennomgått <date>)': every answer says where it comes from."""
    return Text(t("source", title=routine.title, reviewed=norwegian_date(routine.last_reviewed)))


def routine_parts(routine: Routine) -> list[Part]:
    """A routine's summary, its link when it has one, and its source line."""
    parts: list[Part] = [Text(f"*{routine.title}*\n{routine.summary}")]
    if routine.url:
        parts.append(routine_link(routine))
    parts.append(source_line(routine))
    return parts
