"""Storage for the audit log of coordinators' reads and exports (who, when, what kind; never content)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AuditEntry


async def record_access(
    session: AsyncSession, *, actor: str, action: str, kind: str, count: int, now: dt.datetime
) -> None:
    """Write one audit entry: `actor` did `action` (read, export) on `count` records of `kind`."""
    session.add(AuditEntry(at=now, actor=actor, action=action, kind=kind, count=count))


async def audit_entries(session: AsyncSession, *, limit: int = 100) -> list[AuditEntry]:
    """The newest audit entries first."""
    statement = select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(limit)
    return list((await session.exec(statement)).all())


async def delete_audit_before(session: AsyncSession, *, when: dt.datetime) -> int:
    """Delete audit entries older than `when`; returns how many."""
    result = await session.exec(delete(AuditEntry).where(col(AuditEntry.at) < when))
    return int(getattr(result, "rowcount", 0))
