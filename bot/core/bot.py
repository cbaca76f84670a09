"""The platform-neutral bot: one per process, shared by every channel and every municipality it serves.

Each municipality has its own Context (its file, its dialog engine, a database view scoped to its rows). An
Inbound names the municipalities its workspace or tenant belongs to; with one, that one answers. Where a
workspace or tenant serves several, the person's earlier choice decides, a coordinator's command is answered
for each municipality they coordinate (each part headed by its name), and anyone else is asked once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings
from bot.core import faults
from bot.core.catalog import t
from bot.core.context import Context
from bot.core.messages import Choice, Choices, Form, Inbound, Reply, Text
from bot.core.router import Router
from bot.core.text import fold
from bot.municipality import Municipality
from storage import people
from storage.db import Database

log = logging.getLogger(__name__)

CHOOSE_ACTION = "municipality"
# Buttons and forms answered where several municipalities meet carry theirs: "~<id>~<action>".
TAG = "~"
# What a channel names for a workspace or tenant that belongs to no municipality it serves.
UNCONNECTED = "-"
# The word that shows (and lets a person change) which municipality they work in.
CHOOSE_WORD = "kommune"  # vocabulary: a command word


@dataclass
class Bot:
    """The bot: the router, and a Context per municipality (the first is the default)."""

    settings: Settings
    db: Database
    router: Router
    contexts: dict[str, Context]

    @property
    def context(self) -> Context:
        """The default municipality's context (the only one in a single-municipality deployment)."""
        return next(iter(self.contexts.values()))

    @property
    def municipality(self) -> Municipality:
        """The default municipality."""
        return self.context.municipality

    @property
    def municipalities(self) -> dict[str, Municipality]:
        """Every municipality served, by id."""
        return {key: ctx.municipality for key, ctx in self.contexts.items()}

    def for_slack(self, team_id: str | None) -> tuple[str, ...]:
        """The municipalities a Slack workspace belongs to.

        Empty when one municipality is served and no file lists workspaces (any workspace is that one's); once
        workspaces are listed, only those are served, and any other is UNCONNECTED (told so, nothing handled).
        """
        if not any(m.slack_team_ids for m in self.municipalities.values()):
            return () if len(self.contexts) == 1 else (UNCONNECTED,)
        found = tuple(key for key, m in self.municipalities.items() if team_id and team_id in m.slack_team_ids)
        return found or (UNCONNECTED,)

    def for_teams(self, tenant_id: str | None, team_id: str | None) -> tuple[str, ...]:
        """The municipalities a Teams conversation belongs to: by tenant, then by team where a tenant has several.

        As for Slack: with tenants listed, only those are served.
        """
        if not any(m.teams_tenant_ids for m in self.municipalities.values()):
            return () if len(self.contexts) == 1 else (UNCONNECTED,)
        found = [key for key, m in self.municipalities.items() if tenant_id and tenant_id in m.teams_tenant_ids]
        by_team = [key for key in found if team_id and team_id in self.municipalities[key].teams_team_ids]
        return tuple(by_team or found) or (UNCONNECTED,)

    def owner(self, inbound: Inbound) -> str:
        """The municipality an Inbound surely belongs to (its only candidate, or the default); for the outbox."""
        known = [key for key in inbound.municipalities if key in self.contexts]
        return known[0] if known else self.context.municipality.id

    async def open_form(self, inbound: Inbound) -> list[Reply]:
        """The form a button asks to (re)open, built for the Inbound's municipality."""
        known = [key for key in inbound.municipalities if key in self.contexts]
        if not inbound.municipalities and len(self.contexts) == 1:
            known = list(self.contexts)
        tagged = _untag(inbound)
        if tagged is not None and tagged[0] in known:
            return _tag(tagged[0], await self.router.open_form(tagged[1], self.contexts[tagged[0]]))
        if len(known) != 1:
            return [Reply.text(t("router.unknown_action"), ephemeral=True)]
        return await self.router.open_form(inbound, self.contexts[known[0]])

    async def handle(self, inbound: Inbound) -> list[Reply]:
        """Route one Inbound to its handler; a failure becomes a friendly reply, never a crash or silence."""
        try:
            return await self._handle(inbound)
        except (SQLAlchemyError, OSError) as exc:
            # Only the exception type is logged: the message may quote what the user wrote.
            log.error("database error while handling a %s message: %s", inbound.channel, type(exc).__name__)
            faults.count("database_unavailable")
            return [Reply.text(t("store.unavailable"), ephemeral=True)]
        except Exception as exc:
            log.error(
                "handler failed on a %s message: %s",
                inbound.channel,
                type(exc).__name__,
                exc_info=self.settings.log_level == "DEBUG",
            )
            return [Reply.text(t("error.unexpected"), ephemeral=True)]

    async def _handle(self, inbound: Inbound) -> list[Reply]:
        candidates = [key for key in inbound.municipalities if key in self.contexts]
        if not inbound.municipalities and len(self.contexts) == 1:
            candidates = list(self.contexts)
        if not candidates:
            return [Reply.text(t("tenancy.not_connected"), ephemeral=True)]
        if (inbound.action or "").split(":", 1)[0] == CHOOSE_ACTION:
            return await self._chosen(inbound, candidates)
        tagged = _untag(inbound)
        if tagged is not None:
            key, untagged = tagged
            if key not in candidates:
                return [Reply.text(t("router.unknown_action"), ephemeral=True)]
            return _tag(key, await self.router.dispatch(untagged, self.contexts[key]))
        asks = fold(inbound.text).strip(" .!?") == CHOOSE_WORD and not inbound.action
        if len(candidates) == 1:
            if asks:
                return [Reply.text(t("tenancy.this_one", municipality=self.contexts[candidates[0]].municipality.name))]
            return await self.router.dispatch(inbound, self.contexts[candidates[0]])
        async with self.db.session(all_municipalities=True) as session:
            chosen = await people.chosen_municipality(session, user_id=inbound.user_id)
        coordinating = [key for key in candidates if self.contexts[key].municipality.is_coordinator(inbound.user_id)]
        command = self.router.find_command(inbound.text) if not inbound.action else None
        if command is not None and command.coordinators_only and coordinating and not asks:
            return await self._for_each(inbound, coordinating)
        if chosen in candidates and not asks:
            return _tag(chosen, await self.router.dispatch(inbound, self.contexts[chosen]))
        return [self._ask(candidates, chosen)]

    async def _for_each(self, inbound: Inbound, keys: list[str]) -> list[Reply]:
        """A coordinator's command in every municipality they coordinate, each answer headed by its name."""
        replies: list[Reply] = []
        for key in keys:
            ctx = self.contexts[key]
            heading = Text(t("tenancy.heading", municipality=ctx.municipality.name))
            answers = _tag(key, await self.router.dispatch(inbound, ctx))
            # The heading goes on the first reply the person reads in private (not on a pointer left in a channel).
            first = next((i for i, reply in enumerate(answers) if reply.private), 0)
            replies += [
                replace(reply, parts=(heading, *reply.parts)) if index == first else reply
                for index, reply in enumerate(answers)
            ]
        return replies

    def _ask(self, candidates: list[str], chosen: str | None) -> Reply:
        options = tuple(Choice(self.contexts[key].municipality.name, key) for key in candidates)
        intro = (
            t("tenancy.current", municipality=self.contexts[chosen].municipality.name)
            if chosen in candidates
            else t("tenancy.which")
        )
        return Reply(parts=(Text(intro), Choices(action=CHOOSE_ACTION, options=options)), ephemeral=True, private=True)

    async def _chosen(self, inbound: Inbound, candidates: list[str]) -> list[Reply]:
        value = inbound.values.get("value", "")
        if not isinstance(value, str) or value not in candidates:
            return [Reply.text(t("router.unknown_action"), ephemeral=True)]
        async with self.db.session(all_municipalities=True) as session:
            await people.choose_municipality(
                session, user_id=inbound.user_id, municipality_id=value, now=self.context.clock()
            )
        name = self.contexts[value].municipality.name
        return [Reply(parts=(Text(t("tenancy.chosen", municipality=name)),), ephemeral=True, private=True)]

    async def upgrade(self) -> None:
        """Bring the database to the newest schema (rows from before municipalities go to the only one)."""
        await self.db.upgrade(owner=self.context.municipality.id if len(self.contexts) == 1 else None)

    async def start(self) -> None:
        """Bring the database to the newest schema, read the coordinators' content edits, drop abandoned dialogs."""
        await self.upgrade()
        for ctx in self.contexts.values():
            await ctx.content.refresh(ctx.db)
            await ctx.languages.refresh(ctx.db)
            expired = await ctx.dialogs.expire()
            if expired:
                log.info("expired %d abandoned dialogs", expired)

    async def close(self) -> None:
        """Release the database connections."""
        await self.db.close()


def _tag(key: str, replies: list[Reply]) -> list[Reply]:
    """Mark every button and form in replies given where several municipalities meet with the one they are for."""
    tagged = []
    for reply in replies:
        parts = tuple(
            replace(part, action=f"{TAG}{key}{TAG}{part.action}") if isinstance(part, Choices | Form) else part
            for part in reply.parts
        )
        tagged.append(replace(reply, parts=parts))
    return tagged


def _untag(inbound: Inbound) -> tuple[str, Inbound] | None:
    """The municipality a tagged action is for, and the action as the router knows it; None if untagged."""
    action = inbound.action or ""
    if not action.startswith(TAG):
        return None
    key, _, rest = action[len(TAG) :].partition(TAG)
    return key, replace(inbound, action=rest)
