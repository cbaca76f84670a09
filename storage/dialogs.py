"""Storage for guided dialogs in progress."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import DialogState


async def get_dialog(session: AsyncSession, *, key: str, lock: bool = False) -> DialogState | None:
    """The dialog in progress under this key, or None.

    With `lock`, the row stays locked until the transaction ends (SELECT ... FOR UPDATE on PostgreSQL), so two
    answers to the same step (a double click, two workers) are taken one after the other, never both.
    SQLite needs no lock: it has one writer, and the bot's one connection already serialises sessions.
    """
    statement = select(DialogState).where(col(DialogState.key) == key)
    return (await session.exec(statement.with_for_update() if lock else statement)).first()


async def save_dialog(
    session: AsyncSession,
    *,
    key: str,
    flow: str,
    step: str,
    history: list[str],
    answers: dict[str, Any],
    now: dt.datetime,
) -> DialogState:
    """Create or update the dialog under this key with its current step, path and answers."""
    state = await get_dialog(session, key=key)
    if state is None or state.flow != flow:
        if state is not None:
            await session.delete(state)
            await session.flush()
        state = DialogState(key=key, flow=flow, step=step, history=[], answers={}, started_at=now, updated_at=now)
    # Fresh containers so SQLAlchemy sees the JSON columns change.
    state.step, state.history, state.answers, state.updated_at = step, list(history), dict(answers), now
    session.add(state)
    return state


async def delete_dialog(session: AsyncSession, *, key: str) -> bool:
    """End the dialog under this key; True if there was one."""
    result = await session.exec(delete(DialogState).where(col(DialogState.key) == key))
    return bool(getattr(result, "rowcount", 0))


async def delete_stale_dialogs(session: AsyncSession, *, idle_since: dt.datetime) -> int:
    """Delete dialogs untouched since `idle_since`; returns how many."""
    result = await session.exec(delete(DialogState).where(col(DialogState.updated_at) < idle_since))
    return int(getattr(result, "rowcount", 0))
