"""The municipality as the bot answers from it: its file, with the coordinators' edits from the chat over it.

Coordinators keep contacts and review dates true from Slack, Teams or the console (handlers/content.py); the
edits live in the database, never in the file, and `slt-bot export content` writes the two together as YAML.
Every replica reads the edits again when another one has changed them (a count and a time, checked at most
every few seconds), so an edit shows everywhere within that time.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.exc import SQLAlchemyError

from bot.municipality import Contact, MeetingSeries, Municipality, Routine
from bot.yearly import YearlyTask
from storage import content as store
from storage.db import Database
from storage.models import ContentEdit

log = logging.getLogger(__name__)

CONTACT_FIELDS = ("name", "phone", "email", "when")
CHECK_EVERY = dt.timedelta(seconds=10)


def merged(file: Municipality, edits: list[ContentEdit]) -> Municipality:
    """The file's municipality with the edits applied; an edit of an entry the file no longer has is skipped."""
    by_entry = {(edit.kind, edit.entry_id): edit.fields for edit in edits}
    contacts = tuple(_contact(c, by_entry.get(("contact", c.id))) for c in file.contacts)
    routines = tuple(_routine(r, by_entry.get(("routine", r.id))) for r in file.routines)
    if contacts == file.contacts and routines == file.routines:
        return file
    return file.model_copy(update={"contacts": contacts, "routines": routines})


def _contact(contact: Contact, fields: dict[str, Any] | None) -> Contact:
    if not fields:
        return contact
    return contact.model_copy(update={k: str(v) for k, v in fields.items() if k in CONTACT_FIELDS})


def _routine(routine: Routine, fields: dict[str, Any] | None) -> Routine:
    reviewed = (fields or {}).get("last_reviewed")
    if not reviewed:
        return routine
    return routine.model_copy(update={"last_reviewed": dt.date.fromisoformat(str(reviewed))})


def in_language(municipality: Municipality, language: str) -> Municipality:
    """The municipality with its entries' texts in a language, where the file gives them (else as written)."""
    entries: tuple[Contact | Routine | MeetingSeries | YearlyTask, ...] = (
        *municipality.contacts,
        *municipality.routines,
        *municipality.meetings,
        *municipality.yearly_tasks,
    )
    if not any(language in entry.translations for entry in entries):
        return municipality

    def localized(entry: Any) -> Any:
        return entry.model_copy(update=entry.translations[language]) if language in entry.translations else entry

    update = {
        "contacts": tuple(localized(c) for c in municipality.contacts),
        "routines": tuple(localized(r) for r in municipality.routines),
        "meetings": tuple(localized(m) for m in municipality.meetings),
        "yearly_tasks": tuple(localized(task) for task in municipality.yearly_tasks),
    }
    return municipality.model_copy(update=update)


class Content:
    """One municipality's content, shared by its context and its dialog engine."""

    def __init__(self, file: Municipality, path: Path | None = None) -> None:
        self.file, self.path = file, path
        self.current = file
        self._languages: dict[str, Municipality] = {}
        self._version: tuple[int, dt.datetime | None] = (0, None)
        self._checked: dt.datetime | None = None

    async def refresh(self, db: Database) -> None:
        """Read the edits and apply them over the file."""
        async with db.session() as session:
            edits = await store.list_edits(session)
            self._version = await store.edits_version(session)
        self.current = merged(self.file, edits)
        self._languages = {}

    async def refresh_if_changed(self, db: Database, now: dt.datetime) -> None:
        """Apply edits another replica made, checking at most every CHECK_EVERY; a database away keeps what is."""
        if self._checked is not None and now - self._checked < CHECK_EVERY:
            return
        self._checked = now
        try:
            async with db.session() as session:
                version = await store.edits_version(session)
            if version != self._version:
                await self.refresh(db)
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            log.warning("content edits not read (%s); answering from what was read before", type(exc).__name__)

    def in_language(self, language: str) -> Municipality:
        """The current content with the texts the file gives for this language (computed once per change)."""
        if language not in self._languages:
            self._languages[language] = in_language(self.current, language)
        return self._languages[language]

    def export_yaml(self, edits: list[ContentEdit], today: dt.date) -> str:
        """The municipality file as written, with the edits in it, for the coordinator to put back in place."""
        assert self.path is not None
        raw = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        by_entry = {(edit.kind, edit.entry_id): edit.fields for edit in edits}
        for contact in raw.get("contacts", []):
            fields = by_entry.get(("contact", contact.get("id")), {})
            contact.update({k: str(v) for k, v in fields.items() if k in CONTACT_FIELDS})
        for routine in raw.get("routines", []):
            reviewed = by_entry.get(("routine", routine.get("id")), {}).get("last_reviewed")
            if reviewed:
                routine["last_reviewed"] = dt.date.fromisoformat(str(reviewed))
        head = f"# {self.path.name}, exported by `slt-bot export content` on {today.isoformat()}: the file with the\n"
        head += "# coordinators' edits from the chat in it. The comments of the original file are not kept.\n"
        return head + yaml.safe_dump(raw, allow_unicode=True, sort_keys=False, width=110)
