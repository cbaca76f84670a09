"""Every municipal row belongs to one municipality: a municipality_id column, and uniqueness per municipality.

Also the table of a person's chosen municipality, where a workspace or tenant serves several.

Existing rows are given to the municipality the server was configured with (`municipality_id` in the Alembic
config's attributes, set by storage.db). With several municipalities configured and old rows present, the
upgrade stops with a clear message instead of guessing whose the rows are.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from storage.models import UTCDateTime
from storage.tenancy import OwnerUnknown

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "dialog_state",
    "topic",
    "topic_vote",
    "rotating_key",
    "flood_count",
    "outbox",
    "escalation",
    "escalation_category",
    "meeting_outcome",
    "audit_log",
    "occurrence_override",
)
# Names SQLite's unnamed constraints get while a table is rebuilt (PostgreSQL's own defaults are used there).
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s", "pk": "pk_%(table_name)s"}


def _owner() -> str:
    municipality = context.config.attributes.get("municipality_id")
    bind = op.get_bind()
    has_rows = any(bind.execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1")).first() for table in TABLES)
    if has_rows and not municipality:
        raise OwnerUnknown(
            "the database has data from before several municipalities were served; start once with SLT_CONFIG "
            "naming that municipality's file alone, then with the folder"
        )
    return str(municipality or "")


def _replace_key(table: str, *, primary: list[str] | None = None, unique: tuple[str, list[str]] | None = None) -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table(table, naming_convention=NAMING) as batch:
        if primary is not None:
            batch.drop_constraint(f"{table}_pkey" if postgres else f"pk_{table}", type_="primary")
            batch.create_primary_key(f"{table}_pkey" if postgres else f"pk_{table}", primary)
        if unique is not None:
            name, columns = unique
            old = {"outbox": "outbox_key_key" if postgres else "uq_outbox_key"}.get(table, name)
            batch.drop_constraint(old, type_="unique")
            batch.create_unique_constraint(name, columns)


def upgrade() -> None:
    owner = _owner()
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("municipality_id", sa.String(length=64), nullable=False, server_default=owner))
    for table in TABLES:
        if table not in ("dialog_state", "rotating_key", "flood_count"):
            op.create_index(f"ix_{table}_municipality_id", table, ["municipality_id"])
    if op.get_bind().dialect.name == "postgresql":
        # The default only filled the existing rows; new ones are always stamped by storage/tenancy.py. (On
        # SQLite dropping it would rebuild every table, and rebuilding a table others refer to breaks them.)
        for table in TABLES:
            op.alter_column(table, "municipality_id", server_default=None)
    _replace_key("dialog_state", primary=["municipality_id", "key"])
    _replace_key("rotating_key", primary=["municipality_id", "purpose"])
    _replace_key("flood_count", primary=["municipality_id", "sender_hash"])
    _replace_key("topic_vote", unique=("uq_topic_vote_voter_hash", ["municipality_id", "voter_hash"]))
    _replace_key("outbox", unique=("uq_outbox_key", ["municipality_id", "key"]))
    _replace_key(
        "occurrence_override", unique=("uq_occurrence_override", ["municipality_id", "series_id", "rule_date"])
    )

    op.create_table(
        "person_municipality",
        sa.Column("user_id", sa.String(length=300), primary_key=True),
        sa.Column("municipality_id", sa.String(length=64), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_person_municipality_updated_at", "person_municipality", ["updated_at"])


def downgrade() -> None:
    # Deliberately refused: folding several municipalities' rows back into one table without owners would mix
    # their records. Restore the backup taken before the upgrade instead.
    raise RuntimeError("migration 0008 is not reversible: restore the database backup taken before upgrading")
