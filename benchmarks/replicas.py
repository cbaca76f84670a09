"""Benchmark: end-to-end throughput with one and with two replicas of `slt-bot serve` on one PostgreSQL database.

    python benchmarks/replicas.py [--events 600] [--concurrency 32] [--database postgresql://postgres@127.0.0.1/test]

For each setup a fresh database is created, the replicas are started (real processes, Slack over HTTP, a stand-in
Slack Web API in this process), and signed direct-message events from different people are spread over the
replicas round-robin. Timed from the first request until the last reply reached the stand-in Web API: events
answered per second, and p50/p99 of the time from request to reply. On a 2-core machine the replicas and this
load generator share the cores, so two replicas show what the locking costs more than what a second machine adds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import aiohttp
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.slack_ack import free_port, wait_ready  # noqa: E402
from tests.slack_fake import BOT_TOKEN, SIGNING_SECRET, FakeSlackApi, event_body, signed_headers  # noqa: E402


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(
        make_url(url).set(drivername="postgresql+asyncpg", database="postgres"), isolation_level="AUTOCOMMIT"
    )
    async with engine.connect() as connection:
        await connection.execute(text(statement))
    await engine.dispose()


async def run(replicas: int, events: int, concurrency: int, database: str) -> dict[str, float]:
    """Start the replicas on a fresh database, send the events, return throughput and latencies."""
    name = f"slt_bench_{uuid.uuid4().hex[:8]}"
    await _admin(database, f'CREATE DATABASE "{name}"')
    url = make_url(database).set(database=name).render_as_string(hide_password=False)
    slack = FakeSlackApi()
    await slack.start()
    ports = [free_port() for _ in range(replicas)]
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.url,
        "SLT_LOG_LEVEL": "WARNING",
    }
    servers = [
        subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port)], env=env, cwd=ROOT)
        for port in ports
    ]
    try:
        for port, server in zip(ports, servers, strict=True):
            await wait_ready(f"http://127.0.0.1:{port}/healthz", server)
        sent: dict[str, float] = {}
        latencies: list[float] = []
        seen = 0
        counter = iter(range(events))
        start = time.perf_counter()

        async def worker(session: aiohttp.ClientSession) -> None:
            for n in counter:
                user = f"U{uuid.uuid4().hex[:8].upper()}"
                body = event_body("kontakter", event_id=f"Ev{n}-{user}", user=user, channel=f"D{user}")
                headers = {**signed_headers(body), "Content-Type": "application/json"}
                sent[user] = time.perf_counter()
                async with session.post(
                    f"http://127.0.0.1:{ports[n % replicas]}/slack/events", data=body, headers=headers
                ) as response:
                    assert response.status == 200, response.status

        async with aiohttp.ClientSession() as session:
            await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        while seen < events:
            posts = slack.of("chat.postMessage")
            for params in posts[seen:]:
                latencies.append(time.perf_counter() - sent[str(params["channel"])])
            seen = len(posts)
            await asyncio.sleep(0.005)
        wall = time.perf_counter() - start
        ordered = sorted(latencies)
        return {
            "per_second": events / wall,
            "p50_ms": statistics.median(ordered) * 1000,
            "p99_ms": ordered[int(len(ordered) * 0.99) - 1] * 1000,
        }
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=20)
        await slack.close()
        await _admin(database, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def main() -> None:
    """Measure one and two replicas and print them side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    results = {n: await run(n, args.events, args.concurrency, args.database) for n in (1, 2)}
    for n, result in results.items():
        print(
            f"{n} replica{'s' if n > 1 else ''}: {result['per_second']:.0f} events/s answered, "
            f"reply p50 {result['p50_ms']:.0f} ms, p99 {result['p99_ms']:.0f} ms"
        )
    print(f"two replicas / one: {results[2]['per_second'] / results[1]['per_second']:.2f}x throughput")


if __name__ == "__main__":
    asyncio.run(main())
