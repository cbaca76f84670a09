"""The bot's own posts in a person's DM: the tag each carries, and the lookup that finds them after a crash.

A post's tag is Slack message metadata (not shown to people): an opaque reference of the work it belongs to
(an inbox item or an outbox message), its number and how many posts that work makes. After a crash, work
whose posts may have gone out is looked up here first, so what arrived is not sent twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack.oauth import NoInstallation, SlackTokens, TokenUnavailable

log = logging.getLogger(__name__)

# The event type of the metadata on the bot's posts in a DM.
REPLY_EVENT = "slt_reply"
# How long looking up one piece of work's posts may take (seconds).
LOOKUP_DEADLINE = 2.0
CLOCK_MARGIN = dt.timedelta(seconds=60)


def tag(ref: str, part: int, of: int) -> dict[str, Any]:
    """The metadata of a post: its work's opaque reference, its number and how many posts the work makes."""
    return {"event_type": REPLY_EVENT, "event_payload": {"ref": ref, "part": part, "of": of}}


async def tagged_in_dm(
    client: AsyncWebClient, tokens: SlackTokens, team: str | None, user: str, ref: str, since: dt.datetime
) -> tuple[frozenset[int], int]:
    """The numbers of the bot's posts tagged `ref` in its DM with `user` since `since`, and how many it made.

    Not knowing (Slack away or rate-limited, a missing scope) reads as none found: sending again beats losing.
    The messages read (the person's own among them) are looked at for the tag only; nothing is kept or logged.
    """
    found: set[int] = set()
    total = 0
    try:
        # The token first and outside the deadline: renewing it must never be cut off halfway.
        token = await tokens.for_team(team)
        # Bounded: a rate-limited lookup (the retry handler would wait out Retry-After) must not hold up the work.
        async with asyncio.timeout(LOOKUP_DEADLINE):
            opened = await client.conversations_open(users=user, token=token)
            cursor = None
            while True:
                page = await client.conversations_history(
                    channel=opened["channel"]["id"],
                    # Slack stamps messages with its own clock: a margin for a server clock that runs ahead.
                    oldest=f"{(since - CLOCK_MARGIN).timestamp():.6f}",
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor,
                    token=token,
                )
                for message in page.get("messages") or []:
                    meta = message.get("metadata") or {}
                    payload = meta.get("event_payload") or {}
                    if meta.get("event_type") == REPLY_EVENT and payload.get("ref") == ref:
                        found.add(int(payload.get("part", 0)))
                        total = int(payload.get("of", 0))
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not page.get("has_more") or not cursor:
                    break
    except (
        SlackApiError,
        aiohttp.ClientError,
        OSError,
        KeyError,
        TypeError,
        ValueError,
        TimeoutError,
        NoInstallation,
        TokenUnavailable,
    ):
        log.warning("slack: could not look up whether a post had arrived before a crash; it is sent again")
        return frozenset(), 0
    return frozenset(found), total
