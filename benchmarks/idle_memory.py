"""Idle memory of `slt-bot serve` with both channels on: after start, after a year wheel, after a report.

    python benchmarks/idle_memory.py [--runs 3]

Starts the server (SQLite in a fresh folder, Slack over HTTP to a local stand-in, Teams in emulator mode), waits
for /healthz and two quiet seconds, and reads VmRSS. Then asks for /arshjul.png and reads it again, and makes one
report through `rapport`'s link route (which loads matplotlib and python-docx) and reads it a last time. The idle
figure is the one a deployment lives with; the report libraries must only count after a report was asked for.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import benchmarks.latency
from benchmarks.latency import StampedSlackApi, _environment, rss_mib, start, stop
from benchmarks.slack_ack import free_port, wait_ready


async def one_run(idle_only: bool = False) -> tuple[float, float, float]:
    """RSS in MiB: idle, after a year wheel PNG, after a report (`idle_only`: for a tree from before those)."""
    api = StampedSlackApi()
    await api.start()
    folder = tempfile.mkdtemp()
    port = free_port()
    env = {**_environment(api, folder), "SLT_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    server = start(["-m", "bot", "serve", "--port", str(port)], env, folder)
    try:
        base = f"http://127.0.0.1:{port}"
        await wait_ready(f"{base}/healthz", server)
        await asyncio.sleep(2)
        idle = rss_mib(server.pid)
        if idle_only:
            return idle, float("nan"), float("nan")
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/arshjul.png") as response:
                assert response.status == 200
            await asyncio.sleep(0.5)
            wheel = rss_mib(server.pid)
            url = await _report_link(env, folder)
            async with http.post(url.replace("http://127.0.0.1:0", base)) as response:
                assert response.status == 200, response.status
                await response.read()
        await asyncio.sleep(0.5)
        return idle, wheel, rss_mib(server.pid)
    finally:
        stop(server)
        await api.close()


async def _report_link(env: dict[str, str], folder: str) -> str:
    """A link made as `rapport` makes it, by a coordinator in the same database (the console, in-process)."""
    import os

    from bot.app import build_bot
    from bot.config import load_settings
    from tests.conversation import Conversation

    old = dict(os.environ)
    os.environ.update({**env, "SLT_PUBLIC_URL": "http://127.0.0.1:0"})
    try:
        bot = build_bot(load_settings())
    finally:
        os.environ.clear()
        os.environ.update(old)
    await bot.start()
    try:
        reply = await Conversation(bot, user="koordinator").say("rapport 2026")
    finally:
        await bot.close()
    return next(word for word in reply.split() if word.startswith("http://127.0.0.1:0/rapport/"))


def main() -> int:
    """Run the measurement a few times and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--idle-only", action="store_true", help="only the idle figure (a tree without the wheel)")
    parser.add_argument("--tree", type=Path, help="measure the server of another checkout (e.g. a git worktree)")
    args = parser.parse_args()
    if args.tree:
        benchmarks.latency.ROOT = args.tree.resolve()
    results = [asyncio.run(one_run(args.idle_only)) for _ in range(args.runs)]
    for label, index in (("idle", 0), ("after /arshjul.png", 1), ("after a report", 2)):
        values = [run[index] for run in results]
        print(f"{label}: median {statistics.median(values):.0f} MiB ({', '.join(f'{v:.0f}' for v in values)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
