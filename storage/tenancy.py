"""Every municipality's rows apart, in one place: a session scoped to a municipality sees and writes only its own.

A session opened with a municipality (`Database.scoped(id).session()`) gets an ORM criterion on every SELECT,
UPDATE and DELETE of a scoped table (`municipality_id = :id`), and every new row it flushes is stamped with that
id. Handlers and storage functions therefore never name the municipality. A runtime session that works across
municipalities (the outbox worker) says so with `all_municipalities=True`; any other unscoped query on a scoped
table is refused when the deployment serves several municipalities, so a forgotten scope fails loudly.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import SCOPED_MODELS

SCOPE = "municipality"
ALL = "all_municipalities"
STRICT = "strict"


class OwnerUnknown(RuntimeError):
    """The migration to municipalities found rows from before, and several municipalities configured."""


class UnscopedQuery(RuntimeError):
    """A query on a municipality's table from a session without a municipality (a bug, not a user error)."""


def scope_of(session: AsyncSession | Session) -> str | None:
    """The municipality a session is scoped to (None for a runtime session across municipalities)."""
    value = session.info.get(SCOPE)
    return str(value) if value is not None else None


def _touches_scoped(state: ORMExecuteState) -> bool:
    return any(mapper.class_ in SCOPED_MODELS for mapper in state.all_mappers)


@event.listens_for(Session, "do_orm_execute")
def _scope_queries(state: ORMExecuteState) -> None:
    """Add `municipality_id = :id` to every ORM SELECT, UPDATE and DELETE of a scoped table."""
    if not (state.is_select or state.is_update or state.is_delete):
        return
    municipality = state.session.info.get(SCOPE)
    if municipality is None:
        if state.session.info.get(STRICT) and not state.session.info.get(ALL) and _touches_scoped(state):
            raise UnscopedQuery("a query on a municipality's table from a session without a municipality")
        return
    state.statement = state.statement.options(*_criteria(str(municipality)))


@functools.lru_cache(maxsize=256)
def _criteria(municipality: str) -> tuple[Any, ...]:
    # Built once per municipality, not on every query: building the 15 expressions was a tenth of a request's CPU.
    return tuple(
        with_loader_criteria(model, model.municipality_id == municipality, include_aliases=True)  # type: ignore[attr-defined]
        for model in SCOPED_MODELS
    )


@event.listens_for(Session, "before_flush")
def _stamp_new_rows(session: Session, _context: Any, _instances: Any) -> None:
    """Give every new row of a scoped table the session's municipality (strict: refuse one without)."""
    municipality = session.info.get(SCOPE)
    for row in session.new:
        if type(row) not in SCOPED_MODELS:
            continue
        if municipality is not None:
            row.municipality_id = municipality
        elif session.info.get(STRICT) and not getattr(row, "municipality_id", ""):
            raise UnscopedQuery(f"a new {type(row).__name__} row without a municipality")
