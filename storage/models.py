"""SQLModel tables. Every change here comes with an Alembic migration in storage/migrations/versions."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

metadata = SQLModel.metadata


def utcnow() -> dt.datetime:
    """The current time, timezone-aware, in UTC."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timestamps stored in UTC and always read back timezone-aware (SQLite would return naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        """Refuse naive datetimes: an ambiguous local time must never reach the database."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        """Mark what SQLite returns as UTC; convert what PostgreSQL returns to UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _when(**kwargs: Any) -> Any:
    """A timezone-aware timestamp column."""
    return Field(sa_column=Column(UTCDateTime(), **kwargs))


def _municipality(primary_key: bool = False) -> Any:
    """The municipality a row belongs to (its file's `id`); set and filtered by storage/tenancy.py."""
    return Field(default="", max_length=64, index=not primary_key, primary_key=primary_key)


class DialogState(SQLModel, table=True):
    """A guided dialog in progress for one user in one conversation; deleted when it ends."""

    __tablename__ = "dialog_state"

    municipality_id: str = _municipality(primary_key=True)
    key: str = Field(primary_key=True, max_length=400)
    flow: str = Field(max_length=100)
    step: str = Field(max_length=100)
    history: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    started_at: dt.datetime = _when(nullable=False)
    updated_at: dt.datetime = _when(nullable=False, index=True)


class Topic(SQLModel, table=True):
    """An anonymous topic suggestion for a meeting. There is deliberately no submitter column of any kind."""

    __tablename__ = "topic"

    municipality_id: str = _municipality()
    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(max_length=1000)
    status: str = Field(default="new", max_length=20, index=True)
    # The day only: a precise time could be matched against the chat platform's own logs.
    created_on: dt.date = Field(index=True)
    votes: int = Field(default=0)
    meeting_date: dt.date | None = Field(default=None, index=True)


class TopicVote(SQLModel, table=True):
    """One vote, known only by a keyed hash of (voter, topic) under the current period's key."""

    __tablename__ = "topic_vote"
    __table_args__ = (UniqueConstraint("municipality_id", "voter_hash", name="uq_topic_vote_voter_hash"),)

    municipality_id: str = _municipality()
    id: int | None = Field(default=None, primary_key=True)
    topic_id: int = Field(foreign_key="topic.id", index=True)
    period: str = Field(max_length=40, index=True)
    voter_hash: str = Field(max_length=64)


class RotatingKey(SQLModel, table=True):
    """The secret for keyed hashes of one purpose in the current period; replaced (and forgotten) when it rotates."""

    __tablename__ = "rotating_key"

    municipality_id: str = _municipality(primary_key=True)
    purpose: str = Field(primary_key=True, max_length=40)
    period: str = Field(max_length=40)
    secret: str = Field(max_length=128)


class FloodCount(SQLModel, table=True):
    """How many suggestions one (hashed) person has sent in a period; for flood protection only."""

    __tablename__ = "flood_count"

    municipality_id: str = _municipality(primary_key=True)
    sender_hash: str = Field(primary_key=True, max_length=64)
    period: str = Field(max_length=40, index=True)
    count: int = Field(default=0)


class OutboxMessage(SQLModel, table=True):
    """A proactive message waiting to be sent (or sent). The unique key makes every send happen once."""

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("municipality_id", "key", name="uq_outbox_key"),)

    municipality_id: str = _municipality()
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=300)
    target: str = Field(max_length=300, index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: dt.datetime = _when(nullable=False)
    attempts: int = Field(default=0)
    next_attempt_at: dt.datetime = _when(nullable=False, index=True)
    sent_at: dt.datetime | None = _when(nullable=True)
    failed: bool = Field(default=False)
    # A random tag the platform keeps with the post (Slack message metadata): after a crash, a retry can see that
    # the post arrived. Random, so it cannot be traced back to the key (and the record the key names).
    tag: str = Field(default_factory=lambda: secrets.token_hex(12), max_length=32)
    # An attempt has begun and its outcome is not recorded yet (the claim sets it; the sent or retry mark clears it).
    in_flight: bool = Field(default=False)


class EscalationRecord(SQLModel, table=True):
    """The anonymised outcome of one escalation dialog: choices and bands, never a user id or a name."""

    __tablename__ = "escalation"

    municipality_id: str = _municipality()
    id: str = Field(primary_key=True, max_length=20)
    # Days only: a precise time could be matched against the chat platform's logs of who ran the dialog.
    started_on: dt.date = Field(index=True)
    completed_on: dt.date = Field(index=True)
    acute: bool = Field(default=False)
    subject: str | None = Field(default=None, max_length=20)
    setting: str | None = Field(default=None, max_length=40)
    categories: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    school_team_discussed: bool | None = Field(default=None)
    avvergeplikt: str | None = Field(default=None, max_length=20)
    opplysningsplikt: str | None = Field(default=None, max_length=20)
    anonymous: bool | None = Field(default=None)
    consent: str | None = Field(default=None, max_length=40)
    recommendation: str | None = Field(default=None, max_length=60, index=True)
    coordinator_notified: bool = Field(default=False)


class MeetingOutcome(SQLModel, table=True):
    """A meeting's outcome following the referatmal: roles and services only, never names."""

    __tablename__ = "meeting_outcome"

    municipality_id: str = _municipality()
    id: int | None = Field(default=None, primary_key=True)
    meeting_type: str = Field(max_length=100)
    meeting_date: dt.date = Field(index=True)
    participants: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    basis: str = Field(default="anonymous", max_length=20)
    consent_archived_in: str = Field(default="", max_length=200)
    known: str = Field(default="", max_length=2000)
    topics: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    measures: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    stafettholder: str = Field(default="", max_length=100)
    notifications: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    follow_up_date: dt.date | None = Field(default=None, index=True)
    status: str = Field(default="open", max_length=20)
    # The coordinator who recorded it, to remind when the follow-up date comes; never exported.
    responsible: str = Field(max_length=300)
    created_at: dt.datetime = _when(nullable=False)


class Measure(SQLModel, table=True):
    """A measure (tiltak) decided in a meeting, followed up until it is evaluated or dropped; never a person."""

    __tablename__ = "measure"

    municipality_id: str = _municipality()
    id: int | None = Field(default=None, primary_key=True)
    outcome_id: int = Field(index=True)
    what: str = Field(max_length=300)
    # A service or role, never a person's name.
    responsible: str = Field(default="", max_length=100)
    due: dt.date | None = Field(default=None, index=True)
    evaluate_on: dt.date | None = Field(default=None, index=True)
    status: str = Field(default="open", max_length=20, index=True)
    evaluation: str = Field(default="", max_length=2000)
    # The coordinator who recorded the referat, reminded before the dates; never exported.
    coordinator: str = Field(max_length=300)
    updated_at: dt.datetime = _when(nullable=False)


class AuditEntry(SQLModel, table=True):
    """Who read or exported which kind of record, and when; never the content."""

    __tablename__ = "audit_log"

    municipality_id: str = _municipality()
    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = _when(nullable=False, index=True)
    actor: str = Field(max_length=300)
    action: str = Field(max_length=40)
    kind: str = Field(max_length=40)
    count: int = Field(default=0)


class OccurrenceOverride(SQLModel, table=True):
    """A coordinator cancelled or moved one occurrence of a meeting series."""

    __tablename__ = "occurrence_override"
    __table_args__ = (UniqueConstraint("municipality_id", "series_id", "rule_date", name="uq_occurrence_override"),)

    municipality_id: str = _municipality()
    id: int | None = Field(default=None, primary_key=True)
    series_id: str = Field(max_length=100)
    rule_date: dt.date
    action: str = Field(max_length=10)  # "cancel" or "move"
    new_date: dt.date | None = Field(default=None)
    # How many times this occurrence was changed: the calendar's SEQUENCE, so every change reaches subscribers.
    revision: int = Field(default=1)
    created_at: dt.datetime = _when(nullable=False)


class PersonLanguage(SQLModel, table=True):
    """The language a person chose with `språk`, under a keyed hash of the person (never the platform id)."""

    __tablename__ = "person_language"

    municipality_id: str = _municipality(primary_key=True)
    person: str = Field(primary_key=True, max_length=64)
    language: str = Field(max_length=8)
    updated_at: dt.datetime = _when(nullable=False)


class ContentEdit(SQLModel, table=True):
    """A coordinator's change to a contact or routine of the municipality file, made in the chat.

    The file stays as it was written; the bot answers from the file with these over it, and
    `slt-bot export content` writes the two together back to YAML.
    """

    __tablename__ = "content_edit"
    __table_args__ = (UniqueConstraint("municipality_id", "kind", "entry_id", name="uq_content_edit"),)

    municipality_id: str = _municipality()
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=10)  # "contact" or "routine"
    entry_id: str = Field(max_length=100)
    # Only the fields that were changed: contact name, phone, email, when; routine last_reviewed (ISO date).
    fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_by: str = Field(max_length=300)
    updated_at: dt.datetime = _when(nullable=False, index=True)


class EscalationCategory(SQLModel, table=True):
    """One concern category of an escalation record, so the digest can count categories with GROUP BY."""

    __tablename__ = "escalation_category"

    municipality_id: str = _municipality()
    escalation_id: str = Field(foreign_key="escalation.id", primary_key=True, max_length=20, ondelete="CASCADE")
    category: str = Field(primary_key=True, max_length=40, index=True)


class InboxItem(SQLModel, table=True):
    """An inbound event, command or activity, written before it is acknowledged so nothing acknowledged is lost.

    The key (Slack's event_id, the interaction's trigger id, the Teams activity id) makes a redelivery a no-op.
    The payload is cleared once the item is processed; the key stays a day to catch late retries.
    """

    __tablename__ = "inbox"

    key: str = Field(primary_key=True, max_length=300)
    channel: str = Field(max_length=20, index=True)
    received_at: dt.datetime = _when(nullable=False, index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    processed_at: dt.datetime | None = _when(nullable=True)
    # When a replica last took the item on (on acceptance, or when recovering it); another replica may take an
    # unprocessed item over once this is older than the lease (its replica died before finishing it).
    claimed_at: dt.datetime | None = _when(nullable=True, index=True)


class ConversationRef(SQLModel, table=True):
    """A Teams ConversationReference, saved on install and on every message, for proactive posts after restarts."""

    __tablename__ = "conversation_reference"

    conversation_id: str = Field(primary_key=True, max_length=500)
    # The user of a personal chat (so a coordinator's digest finds their chat); empty for channels and groups.
    user_id: str = Field(default="", max_length=300, index=True)
    kind: str = Field(default="personal", max_length=20)
    reference: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: dt.datetime = _when(nullable=False)


class PersonMunicipality(SQLModel, table=True):
    """Which municipality a person chose to work in where their workspace or tenant serves several."""

    __tablename__ = "person_municipality"

    user_id: str = Field(primary_key=True, max_length=300)
    municipality_id: str = Field(max_length=64)
    updated_at: dt.datetime = _when(nullable=False, index=True)


# The tables whose rows belong to one municipality. The inbox, the Teams conversation references and a person's
# chosen municipality are the platforms' own: keyed by the platform's ids, and one person or personal chat may
# serve several municipalities (a shared coordinator).
SCOPED_MODELS: tuple[type[SQLModel], ...] = (
    DialogState,
    Topic,
    TopicVote,
    RotatingKey,
    FloodCount,
    OutboxMessage,
    EscalationRecord,
    EscalationCategory,
    MeetingOutcome,
    Measure,
    AuditEntry,
    OccurrenceOverride,
    ContentEdit,
    PersonLanguage,
)
