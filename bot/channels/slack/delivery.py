"""Replies to Slack: messages in the right place (DM, ephemeral, channel), modals, App Home, and the fallback.

A reply that Slack refuses or cannot take is not lost: it goes to the outbox as a direct message to the person.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack import render
from bot.channels.slack.history import tag, tagged_in_dm
from bot.channels.slack.inbound import Where, metadata
from bot.channels.slack.notifier import failure
from bot.channels.slack.oauth import NoInstallation, SlackTokens, TokenUnavailable
from bot.core.messages import Form, Reply
from bot.runtime.outbox import Outbox

log = logging.getLogger(__name__)


class SlackDelivery:
    """Posts replies where they belong with the bot's Web API client."""

    def __init__(self, client: AsyncWebClient, tokens: SlackTokens, outbox: Outbox) -> None:
        self.client, self.tokens, self.outbox = client, tokens, outbox

    async def deliver(
        self,
        replies: list[Reply],
        where: Where,
        *,
        municipality: str | None = None,
        ref: str = "",
        skip: frozenset[int] = frozenset(),
    ) -> None:
        """Post each reply: a form as a modal while the trigger id lasts, private work to the DM.

        `municipality` owns the reply if it must wait in the outbox. A direct message carries `ref` (the inbox
        item's tag) in its metadata, so recovery after a crash can see it arrived; replies numbered in `skip`
        did arrive before a crash and are not posted again.
        """
        try:
            token = await self.tokens.for_team(where.team)
        except TokenUnavailable:
            # Not lost: the outbox sends them once the token is renewed.
            for number, reply in enumerate(replies):
                key = self._later_key(ref, number, reply)
                await self.outbox.later(key=key, target=f"slack:{where.user}", reply=reply, municipality=municipality)
            return
        except NoInstallation:
            log.warning("slack: no installation for the workspace; replies dropped")
            return
        for number, reply in enumerate(replies):
            if number in skip:
                continue
            has_form = any(isinstance(p, Form) for p in reply.parts)
            if has_form and where.trigger_id and await self.open_modal(reply, where, token=token):
                where = dataclasses.replace(where, trigger_id="")  # a trigger id opens one modal
                continue
            blocks = render.blocks_for(reply.parts)
            text = render.fallback_text(reply)
            try:
                if where.is_dm or where.channel is None or reply.private:
                    # Private work asked for in a channel goes to the person's DM (posting to a user id opens it).
                    meta = tag(ref, number, len(replies)) if ref else None
                    await self.client.chat_postMessage(
                        channel=where.user, blocks=blocks, text=text, token=token, metadata=meta
                    )
                elif reply.ephemeral or where.private:
                    await self.client.chat_postEphemeral(
                        channel=where.channel, user=where.user, blocks=blocks, text=text, token=token
                    )
                else:
                    await self.client.chat_postMessage(channel=where.channel, blocks=blocks, text=text, token=token)
            except (SlackApiError, aiohttp.ClientError, OSError) as exc:
                # Not lost: the outbox tries again with backoff, as a direct message to the user.
                reason = failure(exc) if isinstance(exc, SlackApiError) else type(exc).__name__
                log.warning("slack: reply failed (%s); queued for retry", reason)
                key = self._later_key(ref, number, reply)
                await self.outbox.later(key=key, target=f"slack:{where.user}", reply=reply, municipality=municipality)

    def _later_key(self, ref: str, number: int, reply: Reply) -> str:
        # The item's tag and the reply's number: queued again after a crash, it is still queued (and sent) once.
        if ref:
            return f"reply:{ref}:{number}"
        return f"reply:{id(reply)}:{self.outbox.clock().timestamp()}"

    async def answered_before(self, where: Where, ref: str, since: dt.datetime) -> tuple[frozenset[int], int]:
        """Which of an item's replies are in the person's DM already, and how many it had (0: none found).

        Asked only when recovering after a crash, for the few items that may have been mid-reply. A reply in a
        channel or an ephemeral one cannot be looked up (that would need reading the channel); it is sent again.
        """
        return await tagged_in_dm(self.client, self.tokens, where.team, where.user, ref, since)

    async def open_modal(self, reply: Reply, where: Where, *, token: str | None = None) -> bool:
        """Open the reply's form as a modal (needs a fresh trigger id); False if Slack refused."""
        form = next(p for p in reply.parts if isinstance(p, Form))
        intro = tuple(p for p in reply.parts if not isinstance(p, Form))
        view = render.modal(form, metadata=metadata(where), intro=intro)
        try:
            token = token or await self.tokens.for_team(where.team)
            await self.client.views_open(trigger_id=where.trigger_id, view=view, token=token)
            return True
        except SlackApiError as exc:
            log.warning("slack: could not open a modal: %s", failure(exc))
            return False
        except NoInstallation:
            return False

    async def publish_home(self, user: str, reply: Reply, *, team: str = "") -> None:
        """Show the reply as the person's App Home tab."""
        try:
            token = await self.tokens.for_team(team)
            await self.client.views_publish(user_id=user, view=render.home(reply), token=token)
        except SlackApiError as exc:
            log.warning("slack: could not publish App Home: %s", failure(exc))
        except NoInstallation:
            log.warning("slack: no installation for the workspace; App Home not published")
