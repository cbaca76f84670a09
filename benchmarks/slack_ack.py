"""Benchmark: how fast Slack's signed slash commands are acknowledged, the full bot beside a bare bolt app.

    python benchmarks/slack_ack.py [--requests 2000] [--concurrency 16]

Starts three things on 127.0.0.1: a fake Slack Web API (in this process), the full bot (`slt-bot serve` with
SQLite: signature verification, the inbox write, the ack; the answer is posted afterwards) and a bare
slack-bolt AsyncApp that only calls ack(). Each server gets the same signed `/slt hjelp` commands (unique
trigger ids) from this process, first a warm-up, then the measured run. Prints p50/p99 acknowledgement
latency and throughput for both, and the ratios. Target from the issue: the full bot at least as fast as the
bare app, p50 and throughput alike.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.slack_fake import BOT_TOKEN, SIGNING_SECRET, FakeSlackApi, command_body, signed_headers  # noqa: E402


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    """Poll /healthz until the server answers."""
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            if process.poll() is not None:
                raise SystemExit(f"server exited early: {url}")
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"server did not come up: {url}")


async def load(url: str, requests: int, concurrency: int, label: str) -> tuple[list[float], float]:
    """Send signed slash commands; returns the latencies and the wall time."""
    latencies: list[float] = []
    counter = iter(range(requests))
    connector = aiohttp.TCPConnector(limit=concurrency)
    # Slack gives up after 3 seconds; so does this client (a stuck request fails the run instead of hanging it).
    timeout = aiohttp.ClientTimeout(total=3)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def worker() -> None:
            for number in counter:
                body = command_body("/slt", "hjelp", trigger=f"{label}-{number}")
                headers = {"Content-Type": "application/x-www-form-urlencoded", **signed_headers(body)}
                started = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    assert response.status == 200, response.status
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return latencies, time.perf_counter() - started


def report(name: str, latencies: list[float], wall: float, unit: str = "commands/s") -> tuple[float, float, float]:
    """Print and return (p50 ms, p99 ms, requests per second)."""
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
    rate = len(ordered) / wall
    print(f"{name:<34} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms   {rate:8.0f} {unit}")
    return p50, p99, rate


async def main(requests: int, concurrency: int, database_url: str | None) -> int:
    """Run both servers, measure, print the comparison; exit 1 if the target is missed."""
    api = FakeSlackApi()
    await api.start()
    folder = tempfile.mkdtemp()
    bot_port, bare_port = free_port(), free_port()
    env = {**os.environ, "DATABASE_URL": database_url or f"sqlite:///{folder}/bench.db", "SLACK_BOT_TOKEN": BOT_TOKEN,
           "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": api.url, "SLT_LOG_LEVEL": "WARNING",
           "PYTHONPATH": str(ROOT)}  # fmt: skip
    env.pop("SLT_CONFIG", None)
    storage = "PostgreSQL" if database_url and database_url.startswith("postgres") else "SQLite"
    print(f"starting the servers ({requests} requests, {concurrency} at a time; the bot on {storage}) ...", flush=True)
    bot = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(bot_port)], env=env, cwd=folder)
    bare = subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "bare_slack_app.py"), str(bare_port), api.url],
                            env=env, cwd=folder)  # fmt: skip
    try:
        await wait_ready(f"http://127.0.0.1:{bot_port}/healthz", bot)
        await wait_ready(f"http://127.0.0.1:{bare_port}/healthz", bare)
        targets = {"bare slack-bolt app (ack only)": bare_port, "SLT-assistenten (full bot)": bot_port}
        results = {}
        for name, port in targets.items():
            url = f"http://127.0.0.1:{port}/slack/events"
            await load(url, requests // 5, concurrency, f"warm-{port}")
            results[name] = report(name, *await load(url, requests, concurrency, f"run-{port}"))
        await asyncio.sleep(2)  # let the bot finish posting its answers
        answered = len(api.of("chat.postEphemeral"))
        print(f"answers the full bot posted to the fake Slack API: {answered}")
    finally:
        for process in (bot, bare):
            process.terminate()
            process.wait(timeout=20)
        await api.close()
    (bare_p50, _, bare_rate), (bot_p50, _, bot_rate) = results.values()
    print(f"ratio full/bare: p50 {bot_p50 / bare_p50:.2f}x (lower is better), throughput {bot_rate / bare_rate:.2f}x")
    ok = bot_p50 <= bare_p50 and bot_rate >= bare_rate
    print("result: " + ("meets the target" if ok else "MISSES the target"))
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--database-url",
        help="the bot's DATABASE_URL (default: a fresh SQLite file); an empty "
        "PostgreSQL database works too, e.g. postgresql://postgres@127.0.0.1/slt_bench",
    )
    arguments = parser.parse_args()
    sys.exit(asyncio.run(main(arguments.requests, arguments.concurrency, arguments.database_url)))
