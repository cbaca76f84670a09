"""Storage on SQLite and PostgreSQL: migrations from empty to head, dialog state, WAL, an unreachable database."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import subprocess
import sys
import time
from collections.abc import Awaitable
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from storage import dialogs, keys, topics
from storage.db import Database, DatabaseUnavailable, alembic_config, async_url
from storage.sqlite import BUSY_TIMEOUT
from tests.db_outage import SqliteLock

NOW = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC)
ROOT = Path(__file__).resolve().parent.parent


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


async def test_migrations_take_an_empty_database_to_head(any_database_url: str) -> None:
    db = Database(any_database_url)
    try:
        await db.upgrade()
        await db.upgrade()  # a second start is a no-op
        async with db.engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
            version = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
        assert {"dialog_state", "topic", "topic_vote", "rotating_key", "flood_count", "alembic_version"} <= tables
        assert version == head_revision()
    finally:
        await db.close()


async def test_replaying_every_migration_builds_the_schema_of_the_models(any_database_url: str) -> None:
    # A new database gets the models' schema in one step; an old one gets there by the migrations. Same result.
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    db = Database(any_database_url)
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync, "x"), "head"))
            diff = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), SQLModel.metadata)
            )
        assert diff == []
    finally:
        await db.close()


async def test_rows_from_before_municipalities_go_to_the_configured_one(any_database_url: str) -> None:
    from alembic import command

    from storage.db import DatabaseConfigError

    db = Database(any_database_url)
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), "0007"))
            for statement in (
                "INSERT INTO topic (text, status, created_on, votes) VALUES ('Skjermbruk', 'new', '2026-11-01', 1)",
                # Rows that refer to other rows: a vote for the topic, a category of an escalation record.
                "INSERT INTO topic_vote (topic_id, period, voter_hash) VALUES (1, 'p', 'h')",
                "INSERT INTO escalation (id, started_on, completed_on, acute, categories, coordinator_notified) "
                "VALUES ('E1', '2026-11-01', '2026-11-01', false, '[]', false)",
                "INSERT INTO escalation_category (escalation_id, category) VALUES ('E1', 'rus')",
            ):
                await connection.execute(text(statement))
        try:
            await db.upgrade()  # several municipalities: whose is the old topic? The upgrade refuses to guess.
        except DatabaseConfigError as exc:
            assert "SLT_CONFIG" in str(exc)
        else:
            raise AssertionError("the upgrade should not guess the owner")
        await db.upgrade(owner="eksempel-kommune")
        async with db.scoped("eksempel-kommune").session() as session:
            assert [t.text for t in await topics.all_topics(session)] == ["Skjermbruk"]
        async with db.scoped("nabo-kommune").session() as session:
            assert await topics.all_topics(session) == []
        async with db.engine.connect() as connection:
            counts = [
                (
                    await connection.execute(
                        text(f"SELECT count(*) FROM {table} WHERE municipality_id = 'eksempel-kommune'")
                    )
                ).scalar_one()
                for table in ("topic_vote", "escalation", "escalation_category")
            ]
        assert counts == [1, 1, 1]  # nothing that referred to another row was lost on the way
    finally:
        await db.close()


async def test_dialog_state_round_trip(any_database_url: str) -> None:
    db = Database(any_database_url)
    await db.upgrade()
    try:
        async with db.session() as session:
            await dialogs.save_dialog(
                session,
                key="c|u",
                flow="bekymring",
                step="gjelder",
                history=["akutt"],
                answers={"acute": "nei", "categories": ["vold"]},
                now=NOW,
            )
        async with db.session() as session:
            state = await dialogs.get_dialog(session, key="c|u")
            assert state is not None
            assert (state.step, state.history, state.answers) == (
                "gjelder",
                ["akutt"],
                {"acute": "nei", "categories": ["vold"]},
            )
            assert state.updated_at == NOW and state.updated_at.tzinfo is not None
        async with db.session() as session:
            await dialogs.save_dialog(
                session,
                key="c|u",
                flow="bekymring",
                step="arena_individ",
                history=["akutt", "gjelder"],
                answers={"subject": "individual"},
                now=NOW + dt.timedelta(minutes=1),
            )
        async with db.session() as session:
            state = await dialogs.get_dialog(session, key="c|u")
            assert state is not None and state.step == "arena_individ" and state.started_at == NOW
            assert await dialogs.delete_stale_dialogs(session, idle_since=NOW) == 0
            assert await dialogs.delete_dialog(session, key="c|u")
            assert not await dialogs.delete_dialog(session, key="c|u")
    finally:
        await db.close()


async def test_a_failed_transaction_leaves_nothing_half_written(any_database_url: str) -> None:
    db = Database(any_database_url)
    await db.upgrade()
    try:
        try:
            async with db.session() as session:
                await dialogs.save_dialog(session, key="k", flow="f", step="s", history=[], answers={}, now=NOW)
                raise RuntimeError("the handler failed after writing")
        except RuntimeError:
            pass
        async with db.session() as session:
            assert await dialogs.get_dialog(session, key="k") is None
    finally:
        await db.close()


async def test_sqlite_uses_wal(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = Database(f"sqlite:///{tmp_path / 'wal.db'}")
    try:
        async with db.engine.connect() as connection:
            assert (await connection.execute(text("PRAGMA journal_mode"))).scalar_one() == "wal"
    finally:
        await db.close()


async def test_sqlite_checkpoints_run_on_their_own_not_inside_a_commit(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "wal.db"
    db = Database(f"sqlite:///{path}")
    try:
        await db.upgrade()
        await db.checkpoint()  # the tables are in the file now
        async with db.engine.connect() as connection:
            assert (await connection.execute(text("PRAGMA wal_autocheckpoint"))).scalar_one() == 0
        for number in range(30):
            await _write(db, f"k{number}")

        def in_the_file() -> int:
            # immutable: read the database file alone, as if the write-ahead log were not there
            with contextlib.closing(sqlite3.connect(f"file:{path}?immutable=1", uri=True)) as raw:
                return int(raw.execute("SELECT count(*) FROM dialog_state").fetchone()[0])

        assert in_the_file() == 0  # the commits left everything in the log
        await db.checkpoint()
        assert in_the_file() == 30
    finally:
        await db.close()


async def _ticks_while(work: Awaitable[object]) -> tuple[int, float, BaseException | None]:
    """Run `work`; count how often a 10 ms ticker ran meanwhile (the event loop kept serving), and how long."""
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    started = time.perf_counter()
    try:
        await work
        error: BaseException | None = None
    except Exception as exc:
        error = exc
    finally:
        task.cancel()
    return ticks, time.perf_counter() - started, error


async def test_a_lock_held_by_another_process_is_waited_out_without_holding_up_the_loop(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    db = Database(f"sqlite:///{path}")
    try:
        await db.upgrade()
        with SqliteLock(path) as lock:
            loop = asyncio.get_running_loop()
            loop.call_later(0.3, lock.release)
            async with asyncio.timeout(5):
                ticks, seconds, error = await _ticks_while(_write(db, "venter"))
        assert error is None and 0.25 < seconds < BUSY_TIMEOUT  # written once the lock was gone
        assert ticks >= 10  # meanwhile the loop went on (a blocking wait would leave it at 0 or 1)
        with SqliteLock(path):
            ticks, seconds, error = await _ticks_while(_write(db, "for sent"))
        assert error is not None and "locked" in str(error)  # a lock held for longer: refused, as before
        assert BUSY_TIMEOUT - 0.1 < seconds < BUSY_TIMEOUT + 0.5 and ticks >= 50
        async with db.session() as session:
            assert await dialogs.get_dialog(session, key="venter") is not None
            assert await dialogs.get_dialog(session, key="for sent") is None
    finally:
        await db.close()


async def _write(db: Database, key: str) -> None:
    async with db.session() as session:
        await dialogs.save_dialog(session, key=key, flow="f", step="s", history=[], answers={}, now=NOW)


async def test_unreachable_database_is_reported_not_crashed() -> None:
    db = Database("postgresql://nobody@127.0.0.1:1/none")
    try:
        assert not await db.ping()
        try:
            await db.upgrade()
        except DatabaseUnavailable as exc:
            assert str(exc).startswith("database unavailable (") and exc.detail
        else:
            raise AssertionError("upgrade should fail")
    finally:
        await db.close()


def test_database_urls_get_async_drivers() -> None:
    assert async_url("sqlite:///slt-bot.db") == "sqlite+aiosqlite:///slt-bot.db"
    assert async_url("postgresql://u:p@h/db") == "postgresql+asyncpg://u:p@h/db"
    assert async_url("postgres://h/db") == "postgresql+asyncpg://h/db"


async def test_topics_votes_and_rotating_keys(any_database_url: str) -> None:
    db = Database(any_database_url)
    await db.upgrade()
    today = NOW.date()
    try:
        async with db.session() as session:
            topic = await topics.add_topic(session, text="Trygg skolevei", today=today)
            secret = await keys.period_secret(session, purpose="votes", period="2026-11-27")
            assert await keys.period_secret(session, purpose="votes", period="2026-11-27") == secret
            assert topic.id is not None
            assert await topics.add_vote(session, topic_id=topic.id, voter_hash="a" * 64, period="2026-11-27")
            assert not await topics.add_vote(session, topic_id=topic.id, voter_hash="a" * 64, period="2026-11-27")
            assert await topics.add_vote(session, topic_id=topic.id, voter_hash="b" * 64, period="2026-11-27")
        async with db.session() as session:
            stored = await topics.get_topic(session, topic_id=topic.id)
            assert stored is not None and stored.votes == 2
            # A new period forgets the old secret and deletes the hashes made with it.
            assert await keys.period_secret(session, purpose="votes", period="2026-12-18") != secret
        async with db.session() as session:
            assert await topics.add_vote(session, topic_id=topic.id, voter_hash="a" * 64, period="2026-12-18")
            planned = await topics.set_status(session, topic_id=topic.id, status="planned", meeting_date=today)
            assert planned is not None and planned.meeting_date == today
            assert [t.text for t in await topics.agenda(session, meeting_date=today)] == ["Trygg skolevei"]
            assert await keys.count_submission(session, sender_hash="x", period="d1") == 1
            assert await keys.count_submission(session, sender_hash="x", period="d1") == 2
            assert await keys.count_submission(session, sender_hash="x", period="d2") == 1
    finally:
        await db.close()


async def test_keys_and_flood_counts_under_concurrency(any_database_url: str) -> None:
    import asyncio

    db = Database(any_database_url)
    await db.upgrade()
    try:

        async def secret() -> bytes:
            async with db.session() as session:
                return await keys.period_secret(session, purpose="votes", period="p1")

        async def count() -> int:
            async with db.session() as session:
                return await keys.count_submission(session, sender_hash="h", period="d1")

        secrets = await asyncio.gather(*(secret() for _ in range(5)))
        assert len(set(secrets)) == 1
        counts = await asyncio.gather(*(count() for _ in range(5)))
        assert sorted(counts) == [1, 2, 3, 4, 5]
    finally:
        await db.close()


async def test_inbox_rows_written_on_the_fast_path_read_back_exactly(any_database_url: str) -> None:
    from storage import inbox

    db = Database(any_database_url)
    await db.upgrade()
    try:
        payload = {"inbound": {"text": "hvem er politikontakt? æøå"}, "values": ["a", "b"]}
        async with db.transaction() as connection:
            new = await inbox.accept_many(
                connection, items=[("k1", "slack", payload), ("k1", "slack", payload), ("k2", "teams", {})], now=NOW
            )
        assert new == {"k1", "k2"}
        async with db.transaction() as connection:
            assert await inbox.accept_many(connection, items=[("k1", "slack", payload)], now=NOW) == set()
        later = NOW + dt.timedelta(minutes=5)
        async with db.session() as session:
            # Nobody held k1 since NOW: a recovering replica takes it over (and the claim is atomic).
            (item,) = await inbox.claim_abandoned(session, channel="slack", now=later, stale=later)
            assert item.key == "k1" and item.payload == payload and item.received_at == NOW
        async with db.session() as session:
            assert await inbox.claim_abandoned(session, channel="slack", now=later, stale=NOW) == []
        await db.record_effect(lambda connection: inbox.mark_many_processed(connection, keys=["k1"], now=NOW))
        async with db.session() as session:
            assert await inbox.claim_abandoned(session, channel="slack", now=later, stale=later) == []
    finally:
        await db.close()


async def test_an_item_a_live_replica_holds_is_never_taken_over(any_database_url: str) -> None:
    # However long an item waits in its replica's queue, the replica renews its claim; only a dead one's is taken.
    from bot.runtime.inbox import Inbox
    from tests.conftest import FrozenClock

    clock = FrozenClock(NOW)
    db = Database(any_database_url)
    try:
        await db.upgrade()
        alive, other = Inbox(db, clock), Inbox(db, clock)
        assert await alive.accept(key="event:E1", channel="slack", payload={"x": 1})
        clock.advance(seconds=11)
        assert await alive.abandoned("slack") == []  # its own, still in hand
        await alive.renew()  # the heartbeat
        assert await other.abandoned("slack") == []  # held by a live replica
        clock.advance(seconds=11)  # no heartbeat since: that replica died
        assert [item.key for item in await other.abandoned("slack")] == ["event:E1"]
        assert await alive.abandoned("slack") == []  # and now it is the other's
        await alive.flush()
        await other.flush()
    finally:
        await db.close()


def test_the_head_read_from_the_files_is_alembics() -> None:
    from storage.db import head_revision as quick_head

    assert quick_head() == head_revision()


def test_a_restart_on_an_up_to_date_database_does_not_load_alembic(tmp_path: Path) -> None:
    """Alembic and Mako cost 11 MiB of a server's idle memory; they are needed only for a migration."""
    script = (
        "import asyncio, sys\n"
        "from storage.db import Database\n"
        f"db = Database('sqlite:///{tmp_path / 'restart.db'}')\n"
        "asyncio.run(db.upgrade())\n"
        "print('alembic' in sys.modules)\n"
    )
    runs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT) for _ in range(2)]
    assert [run.stdout.strip() for run in runs] == ["False", "False"], [run.stderr for run in runs]


async def test_measures_in_old_referats_become_tracked_items(any_database_url: str) -> None:
    from alembic import command

    from storage import measures

    db = Database(any_database_url)
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync, "eksempel"), "0011"))
            for number, status, items in (
                (1, "open", '[{"what": "Foreldremøte", "responsible": "Skole", "due": "2026-12-15"}]'),
                (2, "closed", '[{"what": "Natteravner", "responsible": "Politiet", "due": null}]'),
                (3, "open", "[]"),
            ):
                await connection.execute(
                    text(
                        "INSERT INTO meeting_outcome (municipality_id, id, meeting_type, meeting_date, participants,"
                        " basis, consent_archived_in, known, topics, measures, stafettholder, notifications, status,"
                        " responsible, created_at) VALUES ('eksempel', :id, 'SLT-innsatsteam', '2026-11-20', '[]',"
                        " 'anonymous', '', '', '[]', :items, '', '[]', :status, 'console:koordinator',"
                        " '2026-11-20 10:00:00+00:00')"
                    ),
                    {"id": number, "items": items, "status": status},
                )
        await db.upgrade()
        async with db.scoped("eksempel").session() as session:
            rows = await measures.all_measures(session)
        assert [(m.outcome_id, m.what, m.responsible, m.status) for m in rows] == [
            (1, "Foreldremøte", "Skole", "open"),
            (2, "Natteravner", "Politiet", "evaluated"),
        ]
        assert rows[0].due == dt.date(2026, 12, 15) and rows[0].evaluate_on == dt.date(2027, 1, 12)
        assert rows[0].coordinator == "console:koordinator" and rows[1].due is None
    finally:
        await db.close()
