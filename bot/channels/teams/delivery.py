"""Replies to Teams: into the conversation asked from, or into the person's personal chat for private work.

Teams has no ephemeral messages, so a private reply asked for in a channel or group chat is posted in the
person's personal chat with the bot (opened when there is none yet), never in the shared conversation. What
cannot be delivered now goes to the outbox.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from bot.channels.teams import inbound as translate
from bot.channels.teams.connector import TeamsConnector
from bot.channels.teams.render import activity as render_activity
from bot.core.catalog import t
from bot.core.messages import Inbound, Reply
from bot.runtime.conversations import Conversations
from bot.runtime.outbox import Outbox, SendFailed

log = logging.getLogger(__name__)

SEND_ATTEMPTS = 3


class TeamsDelivery:
    """Remembers conversations (their ConversationReference) and posts replies where they belong."""

    def __init__(self, connector: TeamsConnector, conversations: Conversations, outbox: Outbox, *, owner: str) -> None:
        # owner: the municipality of a reply whose turn names none (kept from before municipalities).
        self.connector, self.conversations, self.outbox, self.owner = connector, conversations, outbox, owner
        self.clock = outbox.clock
        self._saved: dict[str, str] = {}

    async def remember(self, body: dict[str, Any]) -> None:
        """Store the conversation an activity came from, so proactive posts can reach it."""
        await self._save(translate.reference(body), translate.kind(body), translate.user_id(body))

    async def _save(self, reference: dict[str, Any], kind: str, user_id: str) -> None:
        conversation = reference["conversation"]["id"]
        # Today's date is part of it, so a conversation in use is touched daily (retention sees it as used).
        today = self.clock().date().isoformat()
        fingerprint = today + json.dumps({k: v for k, v in reference.items() if k != "activityId"}, sort_keys=True)
        if self._saved.get(conversation) == fingerprint:
            return  # unchanged since the last message: no need to write it again
        await self.conversations.save(
            conversation_id=conversation,
            user_id=user_id.removeprefix("teams:") if kind == "personal" else "",
            kind=kind,
            reference=reference,
            now=self.clock(),
        )
        self._saved[conversation] = fingerprint

    async def _personal(self, payload: dict[str, Any], inbound: Inbound, *, fresh: bool = False) -> dict[str, Any]:
        """The reference of the sender's personal chat: stored, or created now (Teams has no ephemeral messages)."""
        user = inbound.user_id.removeprefix("teams:")
        if not fresh:
            stored = await self.conversations.find(user)
            if stored is not None:
                return stored
        reference = payload["reference"]
        sender = {"id": payload.get("sender") or user, "aadObjectId": user}
        personal = await self.connector.open_personal(reference, sender, payload.get("tenant") or "")
        await self._save(personal, "personal", inbound.user_id)
        return personal

    async def reply(self, payload: dict[str, Any], inbound: Inbound | None, replies: list[Reply]) -> None:
        """Post the replies to one turn (`payload` is what the inbox kept of it); private ones to the person."""
        reference = payload["reference"]
        shared = payload.get("kind") != "personal"
        for reply in replies:
            where, reply_to = reference, payload.get("reply_to")
            if reply.private and shared and inbound is not None:
                try:
                    where, reply_to = await self._personal(payload, inbound), None
                except SendFailed as exc:
                    # Never fall back to the shared conversation: say only how to reach the bot privately.
                    log.warning("teams: could not open the personal chat (%s)", exc)
                    await self._post_for(
                        payload, reference, Reply.text(t("teams.no_personal_chat")), payload.get("reply_to"), ""
                    )
                    return
            target = f"teams:{inbound.user_id.removeprefix('teams:')}" if reply.private and inbound else ""
            if await self._post_for(payload, where, reply, reply_to, target) or where is reference or inbound is None:
                continue
            # The stored personal chat is gone (the app was removed for this person): forget it, open it anew, once.
            await self.conversations.forget(where["conversation"]["id"])
            self._saved.pop(where["conversation"]["id"], None)
            try:
                personal = await self._personal(payload, inbound, fresh=True)
            except SendFailed as exc:
                log.warning("teams: could not reopen the personal chat (%s)", exc)
                await self._post_for(
                    payload, reference, Reply.text(t("teams.no_personal_chat")), payload.get("reply_to"), ""
                )
                return
            await self._post_for(payload, personal, reply, None, target)

    async def _no_personal_chat(self, payload: dict[str, Any], reference: dict[str, Any]) -> None:
        """Say in the shared conversation only how to reach the bot privately (never the private reply)."""
        await self._post_for(payload, reference, Reply.text(t("teams.no_personal_chat")), payload.get("reply_to"), "")

    async def _post_for(
        self, payload: dict[str, Any], reference: dict[str, Any], reply: Reply, reply_to: str | None, target: str
    ) -> bool:
        return await self._post(reference, reply, reply_to, target, owner=payload.get("municipality") or self.owner)

    async def _post(
        self, reference: dict[str, Any], reply: Reply, reply_to: str | None, target: str, owner: str | None = None
    ) -> bool:
        """Post one reply, retrying briefly; what still fails goes to the outbox (private ones to the person).

        False only when the conversation refused it for good (the caller may try another way).
        """
        activity = render_activity(reply)
        for attempt in range(SEND_ATTEMPTS):
            try:
                await self.connector.post(reference, activity, reply_to=reply_to)
                return True
            except SendFailed as exc:
                if exc.permanent:
                    # Trying again cannot help (bot removed, address refused); the outbox would only fail again.
                    log.warning("teams: reply not delivered (%s)", exc)
                    return False
                if attempt == SEND_ATTEMPTS - 1:
                    # Not lost: the outbox keeps trying this conversation with backoff.
                    log.warning("teams: reply failed (%s); queued for retry", exc)
                    key = f"reply:{reply_to}:{id(reply)}:{self.clock().timestamp()}"
                    where = target or f"teams:{reference['conversation']['id']}"
                    await self.outbox.later(key=key, target=where, reply=reply, municipality=owner)
                    return True
                await asyncio.sleep(min(exc.retry_after or 0.5 * 2**attempt, 5.0))
        return True
