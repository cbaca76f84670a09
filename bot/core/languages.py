"""Which language the bot speaks with a person: their own choice (`språk`), else their municipality's.

A choice is stored under a keyed hash of the person (HMAC with a secret of the municipality's own), never the
platform id. The choices are few (one row per person who made one), so they are kept in memory and read again
only when another replica has added one (a count and a time, checked at most every few seconds): asking which
language someone speaks costs no query of its own, also when the database is slow or away.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging

from sqlalchemy.exc import SQLAlchemyError

from bot.core.catalog import has_catalogue
from storage import people
from storage.db import Database
from storage.keys import period_secret

log = logging.getLogger(__name__)

CHECK_EVERY = dt.timedelta(seconds=10)
PURPOSE, PERIOD = "language", "always"


class Languages:
    """The people's language choices of one municipality."""

    def __init__(self) -> None:
        self._secret: bytes | None = None
        self._choices: dict[str, str] = {}
        self._version: tuple[int, dt.datetime | None] = (0, None)
        self._checked: dt.datetime | None = None

    def _person(self, user_id: str) -> str:
        assert self._secret is not None
        return hmac.new(self._secret, user_id.encode(), hashlib.sha256).hexdigest()

    async def refresh(self, db: Database) -> None:
        """Read the secret and every choice (on start, and when another replica added one)."""
        async with db.session() as session:
            self._secret = await period_secret(session, purpose=PURPOSE, period=PERIOD)
            self._choices = await people.all_languages(session)
            self._version = await people.languages_version(session)

    async def _refresh_if_changed(self, db: Database, now: dt.datetime) -> None:
        if self._secret is not None and self._checked is not None and now - self._checked < CHECK_EVERY:
            return
        self._checked = now
        try:
            if self._secret is None:
                await self.refresh(db)
                return
            async with db.session() as session:
                version = await people.languages_version(session)
            if version != self._version:
                await self.refresh(db)
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            log.warning("language choices not read (%s); answering with what was read before", type(exc).__name__)

    async def chosen(self, db: Database, user_id: str, now: dt.datetime) -> str | None:
        """The language this person chose, or None (then the municipality's)."""
        await self._refresh_if_changed(db, now)
        if self._secret is None:
            return None
        language = self._choices.get(self._person(user_id))
        return language if language and has_catalogue(language) else None

    async def choose(self, db: Database, user_id: str, language: str, now: dt.datetime) -> None:
        """Remember the person's language."""
        if self._secret is None:
            await self.refresh(db)
        person = self._person(user_id)
        async with db.session() as session:
            await people.choose_language(session, person=person, language=language, now=now)
            self._version = await people.languages_version(session)
        self._choices[person] = language
