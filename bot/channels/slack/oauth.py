"""Slack for many workspaces: the OAuth install flow, installations in our database, and their bot tokens.

A host installs one Slack app into each municipality's workspace through `GET /slack/install` and Slack's
redirect to `GET /slack/oauth_redirect` (bolt's own flow, with its state check against CSRF). Installations and
OAuth states are kept by slack_sdk's SQLAlchemy stores on the bot's database. Bolt rotates an expiring token when
a request comes in; replies sent after the acknowledgement and scheduled sends (reminders, digests) take their
token from here, which rotates it the same way and saves the new one. Without OAuth settings the one bot token
from SLACK_BOT_TOKEN serves (single-workspace mode).
"""

from __future__ import annotations

import asyncio
import logging

from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings

log = logging.getLogger(__name__)

SCOPES = ("app_mentions:read", "chat:write", "commands", "im:history", "im:read", "im:write")
STATE_SECONDS = 600
# Rotate a token that expires within this many minutes (bolt's default for incoming requests too).
ROTATE_MINUTES = 120


class NoInstallation(Exception):
    """The app is not installed in that workspace (or the workspace is unknown)."""


class TokenUnavailable(NoInstallation):
    """The workspace's token could not be renewed just now; trying again later may work."""


class SlackTokens:
    """The bot token for a workspace: the configured one, or the workspace's installation (rotated when due)."""

    def __init__(self, settings: Settings, engine: AsyncEngine, client: AsyncWebClient) -> None:
        self.single_token = settings.slack_bot_token
        self.oauth = bool(settings.slack_client_id and settings.slack_client_secret)
        self.installations: AsyncSQLAlchemyInstallationStore | None = None
        self.states: AsyncSQLAlchemyOAuthStateStore | None = None
        self.rotator: AsyncTokenRotator | None = None
        # One rotation at a time per workspace in this process (across replicas, see for_team's fallback).
        self._locks: dict[str, asyncio.Lock] = {}
        if self.oauth:
            self.installations = AsyncSQLAlchemyInstallationStore(client_id=settings.slack_client_id, engine=engine)
            self.states = AsyncSQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=engine)
            self.rotator = AsyncTokenRotator(
                client_id=settings.slack_client_id, client_secret=settings.slack_client_secret, client=client
            )
        self._settings = settings

    def oauth_settings(self) -> AsyncOAuthSettings | None:
        """Bolt's OAuth settings (install and redirect routes, stores), or None in single-workspace mode."""
        if not self.oauth:
            return None
        return AsyncOAuthSettings(
            client_id=self._settings.slack_client_id,
            client_secret=self._settings.slack_client_secret,
            scopes=list(SCOPES),
            installation_store=self.installations,
            state_store=self.states,
            install_page_rendering_enabled=False,
        )

    async def start(self) -> None:
        """Create the stores' tables if they are missing (slack_sdk owns their schema)."""
        if self.installations is None or self.states is None:
            return
        for attempt in range(3):
            try:
                await self.installations.create_tables()  # type: ignore[no-untyped-call]
                await self.states.create_tables()  # type: ignore[no-untyped-call]
                return
            except SQLAlchemyError:
                # Two replicas starting together may race to create them; the second sees them next time.
                if attempt == 2:
                    raise
                await asyncio.sleep(0.2 * (attempt + 1))

    async def for_team(self, team_id: str | None) -> str:
        """The bot token for this workspace; raises NoInstallation if the app is not installed there."""
        if not self.oauth:
            return self.single_token
        assert self.installations is not None and self.rotator is not None
        if not team_id:
            raise NoInstallation("no workspace")
        async with self._locks.setdefault(team_id, asyncio.Lock()):
            installation = await self.installations.async_find_installation(enterprise_id=None, team_id=team_id)
            if installation is None or not installation.bot_token:
                raise NoInstallation(team_id)
            try:
                rotated = await self.rotator.perform_token_rotation(
                    installation=installation, minutes_before_expiration=ROTATE_MINUTES
                )
            except Exception as exc:
                # Another replica (or bolt, on a request) rotated it a moment ago and the refresh token we held is
                # spent: its new token is in the store.
                log.warning("slack: token rotation failed (%s); reading the stored token again", type(exc).__name__)
                again = await self.installations.async_find_installation(enterprise_id=None, team_id=team_id)
                if again is None or not again.bot_token or again.bot_token == installation.bot_token:
                    raise TokenUnavailable(team_id) from None
                return str(again.bot_token)
            if rotated is not None:
                await self.installations.async_save(rotated)
                log.info("slack: rotated the bot token of a workspace")
                installation = rotated
        return str(installation.bot_token)
