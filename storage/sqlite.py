"""SQLite driven from the event loop: statements run in place, and a lock held elsewhere is waited out in asyncio.

aiosqlite hands every call (a statement, a fetch, a commit, even making a cursor) to its own thread and back.
On a 2-core server those hand-overs took about a sixth of a request's CPU, while a statement on a local SQLite
file takes microseconds. Here the calls run on the event loop itself. What the thread gave for free is kept:
when another connection holds the lock (a second process, a backup, this process's other connection), SQLite
answers "busy" at once (its busy timeout is 0) and the call is tried again after a short asyncio sleep, so the
loop goes on serving everyone else, until BUSY_TIMEOUT has passed; then the error is raised, as SQLite's own busy
timeout would. A long statement (an export of many rows) holds the loop while it runs: on a municipality's
data that is milliseconds.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

import aiosqlite

# Below the inbox's deadline (bot/runtime/inbox.py): a lock held by another process makes a statement fail in
# time for the request to be refused inside Slack's three seconds.
BUSY_TIMEOUT = 1.5
# The first wait after "busy", doubled up to the longest.
FIRST_WAIT, LONGEST_WAIT = 0.001, 0.025
# A read transaction that saw an older snapshot cannot write: waiting would not help, so it is not retried.
_BUSY_SNAPSHOT = 517
# The calls that are safe to make again after "busy" (nothing was applied); executemany or a half-read fetch is not.
_RETRIED = frozenset({"execute", "commit", "rollback"})


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection whose calls run on the event loop, waiting (in asyncio) while the file is busy."""

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + BUSY_TIMEOUT
        wait = FIRST_WAIT
        while True:
            try:
                return fn(*args, **kwargs)
            except sqlite3.OperationalError as exc:
                retried = getattr(fn, "__name__", "") in _RETRIED
                if not retried or not is_busy(exc) or loop.time() + wait > deadline:
                    raise
            await asyncio.sleep(wait)
            if not self._running or not self._connection:
                raise ValueError("Connection closed")
            wait = min(wait * 2, LONGEST_WAIT)


def is_busy(exc: sqlite3.Error) -> bool:
    """Whether SQLite refused because another connection holds the lock (worth trying again shortly)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY and code != _BUSY_SNAPSHOT


def checkpoint(database: str) -> None:
    """Copy what the write-ahead log holds into the database file, on a connection of its own (run in a thread).

    The connections on the event loop never checkpoint (wal_autocheckpoint=0): a checkpoint writes and syncs
    the file, which can take tens of milliseconds on a slow disk, a pause every reply would share. PASSIVE
    never waits for readers or writers; what it cannot copy now is copied next time.
    """
    connection = sqlite3.connect(database, timeout=BUSY_TIMEOUT)
    try:
        connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
    finally:
        connection.close()


def connector(database: str) -> Callable[[], Awaitable[aiosqlite.Connection]]:
    """What SQLAlchemy's `async_creator` calls for a new connection to the file `database`."""

    async def connect() -> aiosqlite.Connection:
        # check_same_thread: the connection is opened in aiosqlite's thread and then used on the event loop.
        connection = InlineConnection(
            lambda: sqlite3.connect(database, timeout=0, check_same_thread=False), iter_chunk_size=64
        )
        connection._thread.daemon = True  # as SQLAlchemy does for aiosqlite: a forgotten close never hangs exit
        return await connection

    return connect
