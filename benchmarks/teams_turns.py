"""Benchmark: Teams turns per second and reply latency, the full bot beside a bare botbuilder echo bot.

    python benchmarks/teams_turns.py [--turns 1500] [--concurrency 16]

Starts a fake Bot Framework connector (in this process), the full bot (`slt-bot serve`, SQLite, no app id: the
Emulator mode, so no token service is needed) and a bare CloudAdapter echo bot. Each gets the same message
activities ("hjelp", unique ids, serviceUrl pointing at the fake connector); a turn ends when the server has
posted its reply to the connector and answered the request. Prints p50/p99 latency and turns per second for
both and the ratios. Target from the issue: at least 3x the echo bot's throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.slack_ack import free_port, report, wait_ready  # noqa: E402
from tests.teams_fake import FakeConnector, message  # noqa: E402


async def load(url: str, service_url: str, turns: int, concurrency: int, label: str) -> tuple[list[float], float]:
    """Send message activities; returns the latencies and the wall time."""
    latencies: list[float] = []
    counter = iter(range(turns))
    timeout = aiohttp.ClientTimeout(total=15)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency), timeout=timeout) as session:

        async def worker(lane: int) -> None:
            for number in counter:
                activity = message(
                    service_url,
                    "hjelp",
                    activity_id=f"{label}-{number}",
                    user=f"aad-user-{lane}",
                    conversation=f"a:personal-{lane}",
                )
                started = time.perf_counter()
                async with session.post(url, json=activity) as response:
                    await response.read()
                    assert response.status in (200, 201), response.status
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker(lane) for lane in range(concurrency)))
        return latencies, time.perf_counter() - started


async def main(turns: int, concurrency: int) -> int:
    """Run both servers, measure, print the comparison; exit 1 if the target is missed."""
    connector = FakeConnector()
    await connector.start()
    folder = tempfile.mkdtemp()
    bot_port, echo_port = free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder}/bench.db",
        "SLT_LOG_LEVEL": "ERROR",
        "SLT_TEAMS_EMULATOR": "1",  # the local fake connector is on loopback
        "PYTHONPATH": str(ROOT),
    }
    for name in ("SLT_CONFIG", "MICROSOFT_APP_ID", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"):
        env.pop(name, None)
    print(f"starting the servers ({turns} turns, {concurrency} at a time) ...", flush=True)
    bot = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(bot_port)], env=env, cwd=folder)
    echo = subprocess.Popen(
        [sys.executable, str(ROOT / "benchmarks" / "bare_teams_echo.py"), str(echo_port)], env=env, cwd=folder
    )
    try:
        await wait_ready(f"http://127.0.0.1:{bot_port}/healthz", bot)
        await wait_ready(f"http://127.0.0.1:{echo_port}/healthz", echo)
        results = {}
        for name, port in {"bare botbuilder echo bot": echo_port, "SLT-assistenten (full bot)": bot_port}.items():
            url = f"http://127.0.0.1:{port}/api/messages"
            before = len(connector.posted)
            await load(url, connector.url, turns // 5, concurrency, f"warm-{port}")
            latencies, wall = await load(url, connector.url, turns, concurrency, f"run-{port}")
            results[name] = report(name, latencies, wall, unit="turns/s")
            replies = len(connector.posted) - before
            print(f"{'':<34} replies received by the connector: {replies} of {turns + turns // 5}")
    finally:
        for process in (bot, echo):
            process.terminate()
            process.wait(timeout=20)
        await connector.close()
    (echo_p50, _, echo_rate), (bot_p50, _, bot_rate) = results.values()
    ratio = bot_rate / echo_rate
    print(f"ratio full/echo: throughput {ratio:.2f}x, p50 {bot_p50 / echo_p50:.2f}x (target: throughput >= 3x)")
    print("result: " + ("meets the target" if ratio >= 3 else "MISSES the target"))
    return 0 if ratio >= 3 else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=1500)
    parser.add_argument("--concurrency", type=int, default=16)
    arguments = parser.parse_args()
    sys.exit(asyncio.run(main(arguments.turns, arguments.concurrency)))
