"""Proactive posts to Teams (reminders to a channel, digests to a coordinator's personal chat) for the outbox."""

from __future__ import annotations

import datetime as dt

from bot.channels.teams.connector import TeamsConnector
from bot.channels.teams.render import activity as render_activity
from bot.core.messages import Reply
from bot.runtime.conversations import Conversations
from bot.runtime.outbox import SendFailed


class TeamsNotifier:
    """Proactive posts (reminders to a channel, digests to a coordinator's personal chat) for the outbox worker."""

    platform = "teams"
    # Teams allows 7 sends a second and 60 per 30 seconds per conversation: one every half second stays under both.
    min_interval = 0.5

    def __init__(self, conversations: Conversations, connector: TeamsConnector) -> None:
        self.conversations, self.connector = conversations, connector

    async def send(self, target: str, reply: Reply, *, municipality: str = "", tag: str = "") -> None:
        """Post to the stored conversation of a target ('teams:<conversation>' or 'teams:<user>')."""
        reference = await self.conversations.find(target.removeprefix("teams:"))
        if reference is None:
            raise SendFailed(
                "teams: no conversation stored for this target (is the app installed there?)", permanent=True
            )
        await self.connector.post(reference, render_activity(reply))

    async def arrived(self, target: str, tag: str, *, municipality: str = "", since: dt.datetime) -> bool:
        """Never known: the Bot Framework connector keeps no history to ask, so an unsure post is sent again."""
        return False
