"""Benchmark: the coordinators' digest on a large SQLite database, beside plain SQL for the same figures.

    python benchmarks/digest.py [--rows 100000] [--repeat 7]

Fills a fresh database with ROWS topics and ROWS escalation records (dates spread over two years, the default
retention), then times the whole digest (handlers/digest.py: queries through SQLAlchemy/aiosqlite plus building
the message) and the same aggregates as hand-written SQL through the sqlite3 module. Prints medians and the
ratio. Target from the issue: the digest under 1 second, and at most 3x the plain SQL time.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import build_bot
from bot.config import BUNDLED_MUNICIPALITY, Settings
from handlers.digest import build_digest

NOW = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
CATEGORIES = ["rusbruk", "kriminalitet", "atferd", "omgangskrets", "vold", "radikalisering", "fravaer", "annet"]
RECOMMENDATIONS = [
    "innsatsteam_anonymt",
    "innsatsteam_samtykke",
    "bti",
    "tverrfaglig_team",
    "bekymringsmelding",
    "frokostmote",
    "koordineringsgruppe",
    None,
]


def fill(path: Path, rows: int) -> None:
    """Bulk-insert the rows straight through sqlite3 (the schema was made by the migrations)."""
    rng = random.Random(2026)
    connection = sqlite3.connect(path)
    day = lambda: (TODAY - dt.timedelta(days=rng.randrange(730))).isoformat()  # noqa: E731
    statuses = ["new", "planned", "discussed", "rejected"]
    connection.executemany(
        "INSERT INTO topic (text, status, created_on, votes, meeting_date) VALUES (?, ?, ?, ?, NULL)",
        ((f"Tema {i}", rng.choice(statuses), day(), rng.randrange(12)) for i in range(rows)),
    )
    escalations, categories = [], []
    for i in range(rows):
        reference, completed = f"B-{i:07d}", day()
        picked = rng.sample(CATEGORIES, rng.randrange(1, 4))
        as_json = str(picked).replace("'", '"')
        escalations.append((reference, completed, completed, rng.choice(RECOMMENDATIONS), as_json))
        categories += [(reference, c) for c in picked]
    connection.executemany(
        "INSERT INTO escalation (id, started_on, completed_on, acute, categories, recommendation, coordinator_notified)"
        " VALUES (?, ?, ?, 0, ?, ?, 0)",
        ((r, s, c, cats, rec) for r, s, c, rec, cats in escalations),
    )
    connection.executemany("INSERT INTO escalation_category (escalation_id, category) VALUES (?, ?)", categories)
    connection.commit()
    connection.execute("ANALYZE")
    connection.close()


PLAIN_SQL = [
    "SELECT count(*) FROM topic WHERE created_on >= :since",
    "SELECT count(*), coalesce(sum(votes), 0) FROM topic WHERE status IN ('new', 'planned')",
    "SELECT id, text, votes FROM topic WHERE status IN ('new', 'planned') ORDER BY votes DESC, id DESC LIMIT 5",
    "SELECT recommendation, count(*) AS n FROM escalation WHERE completed_on >= :since GROUP BY recommendation"
    " ORDER BY n DESC",
    "SELECT c.category, count(*) AS n FROM escalation_category c JOIN escalation e ON e.id = c.escalation_id"
    " WHERE e.completed_on >= :since GROUP BY c.category ORDER BY n DESC",
    "SELECT id, meeting_type, follow_up_date FROM meeting_outcome WHERE follow_up_date <= :until"
    " AND status != 'closed' ORDER BY follow_up_date",
]


def plain_sql(path: Path) -> float:
    """The same figures as the digest, by hand, on a fresh connection (as a request would have)."""
    start = time.perf_counter()
    connection = sqlite3.connect(path)
    params = {"since": (TODAY - dt.timedelta(days=7)).isoformat(), "until": (TODAY + dt.timedelta(days=7)).isoformat()}
    for statement in PLAIN_SQL:
        connection.execute(statement, params).fetchall()
    connection.close()
    return time.perf_counter() - start


async def main(rows: int, repeat: int) -> int:
    """Run the benchmark and print the report; exit 1 if a target is missed."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        bot = build_bot(
            Settings(database_url=f"sqlite:///{path}", municipality_path=BUNDLED_MUNICIPALITY), clock=lambda: NOW
        )
        await bot.start()
        started = time.perf_counter()
        fill(path, rows)
        print(f"filled {rows:,} topics and {rows:,} escalations in {time.perf_counter() - started:.1f} s")
        await build_digest(bot.context)  # warm up: connection pool, statement cache
        digest_times, sql_times = [], []
        for _ in range(repeat):
            start = time.perf_counter()
            await build_digest(bot.context)
            digest_times.append(time.perf_counter() - start)
            sql_times.append(plain_sql(path))
        await bot.close()
    digest, sql = statistics.median(digest_times), statistics.median(sql_times)
    ratio = digest / sql
    print(f"digest (handlers/digest.py): median {digest * 1000:.1f} ms over {repeat} runs")
    print(f"plain SQL, same figures:     median {sql * 1000:.1f} ms")
    print(f"ratio digest / plain SQL:    {ratio:.2f}x   (target: digest < 1000 ms and ratio <= 3x)")
    ok = digest < 1.0 and ratio <= 3.0
    print("result: " + ("meets the targets" if ok else "MISSES a target"))
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    arguments = parser.parse_args()
    sys.exit(asyncio.run(main(arguments.rows, arguments.repeat)))
