"""Counters of expected faults (the database away, a platform refusing), shown in /healthz for an operator's alarm.

An expected fault is logged as one line with its type and counted here; it never produces a traceback.
"""

from __future__ import annotations

from collections import Counter

_COUNTS: Counter[str] = Counter()


def count(kind: str) -> None:
    """Count one fault of this kind (in this process, since it started)."""
    _COUNTS[kind] += 1


def counts() -> dict[str, int]:
    """Every fault counted so far, by kind."""
    return dict(_COUNTS)
