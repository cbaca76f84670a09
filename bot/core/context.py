"""What a handler gets besides the Inbound: storage, the municipality, the clock and the dialog engine."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot.core.catalog import current_language
from bot.core.clock import Clock
from bot.core.content import Content
from bot.core.dialogs import DialogEngine
from bot.core.languages import Languages
from bot.municipality import Municipality
from storage.db import Database


@dataclass(frozen=True)
class HelpEntry:
    """A command in the help text: catalogue keys `help.cmd.<key>` (what to type) and `help.desc.<key>`."""

    key: str
    coordinators_only: bool


@dataclass(frozen=True)
class Context:
    """The services handlers use; built once in bot/app.py."""

    db: Database
    content: Content
    clock: Clock
    dialogs: DialogEngine
    # The router's commands for the help text (the router is built with the handlers, so it is passed in).
    commands: tuple[HelpEntry, ...] = ()
    # Every municipality of the deployment, for housekeeping of the platforms' shared tables (retention).
    deployment: tuple[Municipality, ...] = ()
    # The people's language choices (`språk`).
    languages: Languages = field(default_factory=Languages)
    # Where the server is reached from outside (SLT_PUBLIC_URL), for pictures and links in chat; empty: none.
    public_url: str = ""

    def today(self) -> dt.date:
        """Today's date where the municipality is (its time zone), by the context's clock."""
        return self.clock().astimezone(self.content.file.tz).date()

    @property
    def municipality(self) -> Municipality:
        """The municipality as the bot answers: its file with the coordinators' edits, in the language in effect."""
        return self.content.in_language(current_language())
