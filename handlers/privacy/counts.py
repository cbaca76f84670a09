"""Small numbers never reach a reader: counts of records below the municipality's minimum read «under 5».

Helsedirektoratet treats information as anonymous only when it fits at least 4-5 people. A count of 2 records
about acute danger at one school in one week can point at a child, and so can a breakdown whose small row is
the total minus the rows shown. Every output that counts records about young people (digests, `bekymringer`,
reports) goes through these functions.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.catalog import t


def count_text(n: int, minimum: int) -> str:
    """A count as a reader may see it: 0, or at least the minimum, or «under 5»."""
    return str(n) if n == 0 or n >= minimum else t("counts.under", n=minimum)


def breakdown(rows: Sequence[tuple[str, int]], minimum: int) -> list[tuple[str, str]]:
    """Rows of (label, count) safe to show beside their total.

    Rows below the minimum are folded into one «Andre» row; while that row is still below the minimum, the
    smallest shown row joins it, so no small row can be recovered by subtracting the others from the total.
    When everything would fold, there is no breakdown at all (the total says «under 5» or the sum).
    """
    shown = sorted((row for row in rows if row[1] > 0), key=lambda row: -row[1])
    if all(n >= minimum for _, n in shown):
        return [(label, str(n)) for label, n in shown]
    other = sum(n for _, n in shown if n < minimum)
    shown = [row for row in shown if row[1] >= minimum]
    while other < minimum and shown:
        other += shown.pop()[1]
    if not shown:
        return []
    return [*((label, str(n)) for label, n in shown), (t("counts.other"), str(other))]
