"""The audit rule: every coordinator read of records, and every export, is logged (who, when, what kind)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.context import Context
from storage.audit import record_access


async def audited(session: AsyncSession, ctx: Context, *, actor: str, action: str, kind: str, count: int) -> None:
    """Write the audit entry in the same transaction as the read, so a read is never unlogged."""
    await record_access(session, actor=actor, action=action, kind=kind, count=count, now=ctx.clock())
