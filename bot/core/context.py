"""What a handler gets besides the Inbound: storage, the municipality, the clock and the dialog engine."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.clock import Clock
from bot.core.dialogs import DialogEngine
from bot.municipality import Municipality
from storage.db import Database


@dataclass(frozen=True)
class Context:
    """The services handlers use; built once in bot/app.py."""

    db: Database
    municipality: Municipality
    clock: Clock
    dialogs: DialogEngine
