"""Keyed hashes of people: enough to count a person once (a vote, a daily limit), never enough to say who.

The key belongs to a period (a day, a meeting) and is deleted when the period is over (handlers/retention.py),
after which not even the database's owner can link a hash to a person.
"""

from __future__ import annotations

import hashlib
import hmac


def keyed_hash(secret: bytes, *parts: str) -> str:
    """HMAC-SHA256 of the parts under the period's secret."""
    return hmac.new(secret, "|".join(parts).encode(), hashlib.sha256).hexdigest()
