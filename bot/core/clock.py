"""The clock: everything that needs 'now' takes one, so tests can freeze and advance time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    """The real clock (tests pass a frozen one instead)."""
    return dt.datetime.now(dt.UTC)
