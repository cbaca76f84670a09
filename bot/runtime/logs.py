"""Logging set-up with a privacy filter: no user ids, e-mail addresses or phone-like numbers reach a log line.

Handlers already log no message text and no user ids for anonymous features; the filter is the second line
of defence, for a third-party library or a future mistake.
"""

from __future__ import annotations

import logging
import re
from typing import TextIO

# Platform ids as the bot writes them, raw Slack/Teams ids, e-mail addresses, and runs of 8+ digits.
_PATTERNS = (
    re.compile(r"\b(?:slack|teams|console):[^\s,;'\")\]}]+"),
    # Slack ids (U0ABC12345) always hold a digit; a shouted word like UNAUTHENTICATED is not an id.
    re.compile(r"\b[UW](?=[A-Z0-9]*\d)[A-Z0-9]{8,}\b"),
    re.compile(r"\b29:[\w-]{10,}"),
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    # A report link is a bearer token: the access log must not hold one that still works.
    re.compile(r"(?<=/rapport/)[^\s\"?]+"),
    # Norwegian phone numbers, fødselsnummer and account numbers as people write them; not "200 23430"
    # (an HTTP status and a size).
    re.compile(
        r"(?<![\d.])(?:(?:\+47|0047) ?)?(?:\d{3} \d{2} \d{3}|\d{2} \d{2} \d{2} \d{2}|\d{6} ?\d{5}|"
        r"\d{4}[ .]\d{2}[ .]\d{5}|\d{8,})(?![\d.])"
    ),
)
# Their DEBUG output includes whole request payloads or SQL parameters, with user ids and message text.
CHATTY_LIBRARIES = (
    "slack_bolt",
    "slack_sdk",
    "botbuilder",
    "botframework",
    "msrest",
    "urllib3",
    "aiosqlite",
    "asyncpg",
    "sqlalchemy",
)
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def redact(text: str) -> str:
    """Replace anything that looks like a user id, e-mail address or phone/id number with '[skjult]'."""
    for pattern in _PATTERNS:
        text = pattern.sub("[skjult]", text)
    return text


class PrivacyFilter(logging.Filter):
    """Rewrites every record's message (and exception text) through `redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record in place; never drops it."""
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def configure_logging(level: str, stream: TextIO) -> logging.Handler:
    """Log to `stream` at `level` through the privacy filter; returns the handler (tests remove it again)."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(PrivacyFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(max(logging.getLevelName(level), logging.WARNING))
    # Alembic logs every step at INFO; one line from us says the schema is current.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # APScheduler logs every job it adds at INFO; the scheduler's own lines say enough.
    logging.getLogger("apscheduler").setLevel(max(logging.getLevelName(level), logging.WARNING))
    return handler
