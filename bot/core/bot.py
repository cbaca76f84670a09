"""The platform-neutral bot: one per process, shared by every channel; it routes and never crashes."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings
from bot.core.catalog import t
from bot.core.context import Context
from bot.core.messages import Inbound, Reply
from bot.core.router import Router
from bot.municipality import Municipality
from storage.db import Database

log = logging.getLogger(__name__)


@dataclass
class Bot:
    """The platform-neutral bot: one per process, shared by every channel."""

    settings: Settings
    municipality: Municipality
    db: Database
    router: Router
    context: Context

    async def handle(self, inbound: Inbound) -> list[Reply]:
        """Route one Inbound to its handler; a failure becomes a friendly reply, never a crash or silence."""
        try:
            return await self.router.dispatch(inbound, self.context)
        except (SQLAlchemyError, OSError) as exc:
            # Only the exception type is logged: the message may quote what the user wrote.
            log.error("database error while handling a %s message: %s", inbound.channel, type(exc).__name__)
            return [Reply.text(t("error.database"), ephemeral=True)]
        except Exception as exc:
            log.error(
                "handler failed on a %s message: %s",
                inbound.channel,
                type(exc).__name__,
                exc_info=self.settings.log_level == "DEBUG",
            )
            return [Reply.text(t("error.unexpected"), ephemeral=True)]

    async def start(self) -> None:
        """Bring the database to the newest schema and drop abandoned dialogs."""
        await self.db.upgrade()
        expired = await self.context.dialogs.expire()
        if expired:
            log.info("expired %d abandoned dialogs", expired)

    async def close(self) -> None:
        """Release the database connections."""
        await self.db.close()
