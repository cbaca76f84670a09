"""Proactive posts to Slack (reminders, digests, summaries) for the outbox worker."""

from __future__ import annotations

import datetime as dt

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack.history import tag as tag_metadata
from bot.channels.slack.history import tagged_in_dm
from bot.channels.slack.oauth import NoInstallation, SlackTokens, TokenUnavailable
from bot.channels.slack.render import message
from bot.core.messages import Reply
from bot.runtime.outbox import SendFailed

# Errors that will not go away by trying again: the message is given up (and logged) at once.
PERMANENT = {
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "invalid_auth",
    "account_inactive",
    "user_not_found",
    "invalid_blocks",
    "msg_too_long",
}


class SlackNotifier:
    """Posts to a channel ('slack:C...') or a user's DM ('slack:U...') with chat.postMessage."""

    platform = "slack"
    # chat.postMessage allows about one message a second per channel.
    min_interval = 1.0

    def __init__(self, client: AsyncWebClient, tokens: SlackTokens, workspaces: dict[str, str]) -> None:
        # workspaces: municipality id -> its Slack workspace (team id), for the token of a scheduled send.
        self.client, self.tokens, self.workspaces = client, tokens, workspaces

    async def send(self, target: str, reply: Reply, *, municipality: str = "", tag: str = "") -> None:
        """Post, or raise SendFailed (with Slack's Retry-After on 429); a DM carries `tag` in its metadata."""
        blocks, text = message(reply)
        try:
            token = await self.tokens.for_team(self.workspaces.get(municipality))
        except TokenUnavailable:
            raise SendFailed("slack: the workspace's token could not be renewed just now") from None
        except NoInstallation:
            raise SendFailed(
                "slack: the app is not installed in the municipality's workspace", permanent=True
            ) from None
        try:
            channel = target.removeprefix("slack:")
            meta = tag_metadata(tag, 0, 1) if tag and _is_dm(channel) else None
            await self.client.chat_postMessage(channel=channel, blocks=blocks, text=text, token=token, metadata=meta)
        except SlackApiError as exc:
            raise failure(exc) from None
        except OSError as exc:
            raise SendFailed(f"network: {type(exc).__name__}") from None

    async def arrived(self, target: str, tag: str, *, municipality: str = "", since: dt.datetime) -> bool:
        """Whether the post is in the person's DM already; a channel cannot be read (no channels:history)."""
        user = target.removeprefix("slack:")
        if not _is_dm(user):
            return False
        found, total = await tagged_in_dm(self.client, self.tokens, self.workspaces.get(municipality), user, tag, since)
        return bool(total) and len(found) >= total


def _is_dm(channel: str) -> bool:
    # Posting to a user id (U..., or W... on Enterprise Grid) goes to the bot's DM with that person.
    return channel.startswith(("U", "W"))


def failure(exc: SlackApiError) -> SendFailed:
    """A Slack error as SendFailed: only Slack's error code, never the message content."""
    code = str(exc.response.get("error", "unknown")) if exc.response is not None else "unknown"
    status = exc.response.status_code if exc.response is not None else 0
    if status == 429:
        retry_after = float(exc.response.headers.get("Retry-After", exc.response.headers.get("retry-after", 30)))
        return SendFailed(f"slack 429 {code}", retry_after=retry_after)
    return SendFailed(f"slack {status} {code}", permanent=code in PERMANENT)
