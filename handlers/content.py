"""`innhold`: coordinators keep contacts and routines true from the chat, over what the municipality file says.

A coordinator picks a contact and changes its name, phone, e-mail or when-text in a form, or marks a routine
reviewed today. The change is stored in the database (storage/content.py) with who made it, audited, and
shown at once in every answer; `slt-bot export content` writes the file with the changes back as YAML.
"""

from __future__ import annotations

import re

from bot.core.catalog import t
from bot.core.context import Context
from bot.core.messages import Choice, Choices, Facts, Form, FormField, Inbound, Part, Reply, Text
from bot.core.parts import contact_card, norwegian_date
from bot.core.text import clean_input
from bot.municipality import Contact
from handlers.privacy.audit import audited
from handlers.privacy.screen import screen_for
from storage import content as store

PICK_ACTION = "content-contact"
SAVE_ACTION = "content-save"
REVIEWED_ACTION = "content-reviewed"
# What a field may hold: enough for «400 00 102 (sentralbordet, spør etter politikontakten)».
LIMITS = {"name": 120, "phone": 80, "email": 200, "when": 600}
CLEAR = "-"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MIN_PHONE_DIGITS = 3


async def menu(inbound: Inbound, ctx: Context) -> list[Reply]:
    """`innhold`: the contacts to edit, and the routines to mark reviewed (those due for review first)."""
    municipality = ctx.municipality
    today = ctx.clock().astimezone(municipality.tz).date()
    due = {routine.id for routine in municipality.due_for_review(today)}
    contacts = tuple(Choice(f"{c.role}: {c.name}", c.id) for c in municipality.contacts)
    routines = sorted(municipality.routines, key=lambda r: (r.id not in due, r.last_reviewed))
    reviewed = tuple(
        Choice(
            t(
                "content.routine_due" if r.id in due else "content.routine",
                title=r.title,
                day=norwegian_date(r.last_reviewed),
            ),
            r.id,
        )
        for r in routines
    )
    # Two messages: a card holds one choice list well (Teams gives every list of many the same input id).
    first: list[Part] = [
        Text(t("content.intro", municipality=municipality.name)),
        Choices(action=PICK_ACTION, options=contacts, prompt=t("content.pick_contact")),
    ]
    second = Choices(action=REVIEWED_ACTION, options=reviewed, prompt=t("content.pick_routine"))
    return [Reply(parts=tuple(first), ephemeral=True), Reply(parts=(second,), ephemeral=True)]


def _contact(ctx: Context, value: object) -> Contact | None:
    return ctx.municipality.contact(value) if isinstance(value, str) else None


def contact_form(contact: Contact) -> Reply:
    """The form for one contact: every field optional, empty keeps what is there, the present value as hint."""

    def field(name: str, kind: str = "text") -> FormField:
        now = str(getattr(contact, name)) or t("content.empty")
        return FormField(
            name,
            t(f"content.f.{name}"),
            kind="multiline" if kind == "multiline" else "text",
            required=False,
            hint=t("content.now", value=now)[:150],
            max_length=LIMITS[name],
        )

    fields = (field("name"), field("phone"), field("email"), field("when", "multiline"))
    form = Form(
        action=f"{SAVE_ACTION}:{contact.id}",
        title=t("content.form_title"),
        fields=fields,
        submit_label=t("content.form_submit"),
    )
    return Reply(parts=(Text(t("content.form_intro", role=contact.role, clear=CLEAR)), form), ephemeral=True)


async def pick_contact(inbound: Inbound, ctx: Context) -> list[Reply]:
    """A contact was picked: its form."""
    if not ctx.municipality.is_coordinator(inbound.user_id):
        return [Reply.text(t("router.coordinators_only"), ephemeral=True)]
    contact = _contact(ctx, inbound.values.get("value"))
    if contact is None:
        return [Reply.text(t("content.unknown_entry"), ephemeral=True)]
    return [contact_form(contact)]


async def open_form(inbound: Inbound, ctx: Context) -> list[Reply]:
    """The form again, for the contact its submit action names (a channel reopening it)."""
    contact = _contact(ctx, (inbound.action or "").partition(":")[2])
    return [contact_form(contact)] if contact is not None else [Reply.text(t("content.unknown_entry"), ephemeral=True)]


def _changes(contact: Contact, values: dict[str, object], ctx: Context) -> tuple[dict[str, str], list[str]]:
    """The changed fields, and what is wrong with them (in Norwegian); nothing is changed if anything is wrong."""
    changes: dict[str, str] = {}
    problems: list[str] = []
    for name, limit in LIMITS.items():
        raw = values.get(name, "")
        text = " ".join(clean_input(raw if isinstance(raw, str) else "", limit * 2).split())
        if not text:
            continue
        label = t(f"content.f.{name}")
        if len(text) > limit:
            problems.append(t("content.err.too_long", field=label, max=limit))
            continue
        if text == CLEAR:
            if name in ("name", "when"):
                problems.append(t("content.err.required", field=label))
                continue
            text = ""
        elif name == "email" and not _EMAIL.fullmatch(text):
            problems.append(t("content.err.email"))
            continue
        elif name == "phone" and sum(c.isdigit() for c in text) < MIN_PHONE_DIGITS:
            problems.append(t("content.err.phone"))
            continue
        elif name == "when" and not screen_for(ctx.municipality)(text).clean:
            # The when-text is read by everyone: it says when to call, never about whom.
            problems.append(t("content.err.personal"))
            continue
        if text != str(getattr(contact, name)):
            changes[name] = text
    phone = changes.get("phone", contact.phone)
    email = changes.get("email", contact.email)
    if not phone and not email:
        problems.append(t("content.err.unreachable"))
    return changes, problems


async def save_contact(inbound: Inbound, ctx: Context) -> list[Reply]:
    """Check and store a contact's changes; on any problem nothing is stored and the form comes back."""
    if not ctx.municipality.is_coordinator(inbound.user_id):
        return [Reply.text(t("router.coordinators_only"), ephemeral=True)]
    contact = _contact(ctx, (inbound.action or "").partition(":")[2])
    if contact is None:
        return [Reply.text(t("content.unknown_entry"), ephemeral=True)]
    changes, problems = _changes(contact, dict(inbound.values), ctx)
    if problems:
        parts: list[Part] = [Text(t("content.not_saved")), *(Text(f"- {p}") for p in problems)]
        return [Reply(parts=tuple(parts), ephemeral=True), contact_form(contact)]
    if not changes:
        return [Reply.text(t("content.no_changes"), ephemeral=True)]
    async with ctx.db.session() as session:
        await store.save_edit(
            session, kind="contact", entry_id=contact.id, fields=changes, by=inbound.user_id, now=ctx.clock()
        )
        await audited(session, ctx, actor=inbound.user_id, action="edit", kind="contact", count=1)
    await ctx.content.refresh(ctx.db)
    updated = ctx.municipality.contact(contact.id) or contact
    return [Reply(parts=(Text(t("content.saved", role=updated.role)), contact_card(updated)), ephemeral=True)]


async def mark_reviewed(inbound: Inbound, ctx: Context) -> list[Reply]:
    """Mark a routine reviewed today (it is then not due again for a year)."""
    if not ctx.municipality.is_coordinator(inbound.user_id):
        return [Reply.text(t("router.coordinators_only"), ephemeral=True)]
    value = inbound.values.get("value")
    routine = next((r for r in ctx.municipality.routines if r.id == value), None)
    if routine is None:
        return [Reply.text(t("content.unknown_entry"), ephemeral=True)]
    today = ctx.today()
    async with ctx.db.session() as session:
        await store.save_edit(
            session,
            kind="routine",
            entry_id=routine.id,
            fields={"last_reviewed": today.isoformat()},
            by=inbound.user_id,
            now=ctx.clock(),
        )
        await audited(session, ctx, actor=inbound.user_id, action="edit", kind="routine", count=1)
    await ctx.content.refresh(ctx.db)
    return [Reply.text(t("content.reviewed", title=routine.title, day=norwegian_date(today)), ephemeral=True)]


def review_reminder(ctx: Context) -> list[Part]:
    """For the digest: the routines whose review is due, and how to mark them reviewed."""
    today = ctx.today()
    due = ctx.municipality.due_for_review(today)
    if not due:
        return []
    items = tuple((routine.title, norwegian_date(routine.last_reviewed)) for routine in due)
    return [Facts(title=t("content.digest_due_title"), items=items), Text(t("content.digest_due_hint"))]


async def export_content(ctx: Context, *, actor: str) -> tuple[int, str]:
    """How many entries were edited, and the municipality file with the edits in it as YAML (audited)."""
    async with ctx.db.session() as session:
        edits = await store.list_edits(session)
        await audited(session, ctx, actor=actor, action="export", kind="content", count=len(edits))
    today = ctx.today()
    return len(edits), ctx.content.export_yaml(edits, today)
