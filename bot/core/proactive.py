"""Proactive messages as handlers ask for them: queued in the outbox, in the caller's transaction, once per key.

The key names what, which occurrence and which target, so a job that runs twice (a restart, a second replica)
queues each message once. The runtime's outbox worker (bot/runtime/outbox.py) delivers them.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.messages import Reply, reply_to_payload
from storage import outbox


async def queue(session: AsyncSession, *, key: str, target: str, reply: Reply, now: dt.datetime) -> bool:
    """Queue a proactive message in the caller's transaction; False if this key was queued before."""
    return await outbox.enqueue(session, key=key, target=target, payload=reply_to_payload(reply), now=now)
