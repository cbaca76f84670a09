"""Benchmark: what the person feels. Reply latency end to end, the full bot beside bare baseline apps.

    python benchmarks/latency.py [--rates 10,25,50,100,150] [--seconds 6] [--profile]

Open-loop load: requests go out at a fixed rate whatever the server does, every one from a different person,
and each is timed from the moment it is sent until its reply reaches the local stand-in (the fake Slack Web API
or the fake Bot Framework connector, both in this process). Slack traffic is mixed: questions by direct message,
`/slt-tema` suggestions, «hjelp», and a button press; Teams traffic is questions, «hjelp» and suggestions.
The servers (`slt-bot serve` on SQLite with both channels on, a bare slack-bolt app that acknowledges and
answers «ok» through the same Web API, a bare botbuilder echo bot) run pinned to CPU 0; this process, the load
and the stand-ins, to CPU 1. Prints per rate p50/p99/max and replies lost, the highest rate held with p99 under
one second, CPU per Teams turn, idle memory and cold start. `--profile` also runs the bot under cProfile for a
suggestion, a question and a Teams turn and prints each profile's top lines.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile  # noqa: F401 (documented: the profile runs use `python -m cProfile`)
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.slack_ack import free_port, wait_ready  # noqa: E402
from tests.slack_fake import (  # noqa: E402
    BOT_TOKEN,
    SIGNING_SECRET,
    FakeSlackApi,
    block_action,
    command_body,
    event_body,
    interaction_body,
    signed_headers,
)
from tests.teams_fake import FakeConnector, message  # noqa: E402

SERVER_CPU, LOAD_CPU = 0, 1
WAIT_FOR_REPLIES = 10.0


class StampedSlackApi(FakeSlackApi):
    """The fake Web API, noting when each message for a person arrives (by the person's user id)."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived: dict[str, float] = {}

    async def _handle(self, request: web.Request) -> web.Response:
        response = await super()._handle(request)
        method, params = self.calls[-1]
        if method in ("chat.postMessage", "chat.postEphemeral"):
            for key in (str(params.get("user", "")), str(params.get("channel", ""))):
                if key.startswith("U") and key not in self.arrived:
                    self.arrived[key] = time.perf_counter()
        self.calls.clear()  # a long run would otherwise keep every call
        return response


class StampedConnector(FakeConnector):
    """The fake connector, noting when the first reply in each conversation arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived: dict[str, float] = {}

    async def _handle(self, request: web.Request) -> web.Response:
        self.arrived.setdefault(request.match_info["conversation"], time.perf_counter())
        self.posted.clear()
        return web.json_response({"id": "reply"})


def slack_request(label: str, number: int) -> tuple[str, str, dict[str, str]]:
    """(who, body, headers) of one Slack request of the mix; who is the user id the reply is posted to."""
    user = f"U{label}{number:05d}"
    kind = number % 10
    if kind < 4:
        body = event_body("hvem er politikontakt?", event_id=f"Ev{user}", user=user, channel=f"D{user}")
        content = "application/json"
    elif kind < 8:
        body = command_body("/slt-tema", f"Skjermbruk og søvn, forslag {number}", user=user, channel=f"D{user}",
                            trigger=f"t{user}")  # fmt: skip
        content = "application/x-www-form-urlencoded"
    elif kind == 8:
        body = event_body("hjelp", event_id=f"Ev{user}", user=user, channel=f"D{user}")
        content = "application/json"
    else:
        body = interaction_body(block_action("home", "kontakter", user=user, channel=f"D{user}", trigger=f"b{user}"))
        content = "application/x-www-form-urlencoded"
    return user, body, {"Content-Type": content, **signed_headers(body)}


def teams_request(service_url: str, label: str, number: int) -> tuple[str, dict[str, Any]]:
    """(conversation, activity) of one Teams message of the mix."""
    conversation = f"a:personal-{label}{number:05d}"
    text = ("hvem er politikontakt?", "hjelp", f"tema Skjermbruk og søvn, forslag {number}")[number % 3]
    activity = message(service_url, text, activity_id=f"act-{label}{number}", user=f"aad-{label}{number}",
                       conversation=conversation)  # fmt: skip
    return conversation, activity


async def open_loop(
    rate: int, seconds: float, send: Callable[[aiohttp.ClientSession, int], Any], arrived: dict[str, float]
) -> tuple[list[float], int]:
    """Send `rate` requests a second for `seconds`; returns the reply latencies and the number never answered."""
    total = int(rate * seconds)
    sent: dict[str, float] = {}
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=timeout) as session:
        start = time.perf_counter()

        async def one(number: int) -> None:
            await asyncio.sleep(max(0.0, start + number / rate - time.perf_counter()))
            sent_at = time.perf_counter()
            key = await send(session, number)
            sent[key] = sent_at

        tasks = [asyncio.create_task(one(n)) for n in range(total)]
        await asyncio.gather(*tasks)
        deadline = time.perf_counter() + WAIT_FOR_REPLIES
        while any(key not in arrived for key in sent) and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
    latencies = [arrived[key] - at for key, at in sent.items() if key in arrived]
    return latencies, total - len(latencies)


def summary(latencies: list[float]) -> tuple[float, float, float]:
    """(p50, p99, max) in milliseconds."""
    if not latencies:
        return float("nan"), float("nan"), float("nan")
    ordered = sorted(latencies)
    p99 = ordered[max(0, int(len(ordered) * 0.99) - 1)]
    return statistics.median(ordered) * 1000, p99 * 1000, ordered[-1] * 1000


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    """Resident memory of a process in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start(command: list[str], env: dict[str, str], folder: str, *, profile: str = "") -> subprocess.Popen[bytes]:
    """Start a server pinned to the server CPU (under cProfile when `profile` names an output file)."""
    prefix = ["taskset", "-c", str(SERVER_CPU)] if _has_two_cpus() else []
    python = [sys.executable, "-m", "cProfile", "-o", profile] if profile else [sys.executable]
    return subprocess.Popen(prefix + python + command, env=env, cwd=folder)


def _has_two_cpus() -> bool:
    return (
        len(os.sched_getaffinity(0)) >= 2 and subprocess.run(["which", "taskset"], capture_output=True).returncode == 0
    )


def _environment(api: StampedSlackApi, folder: str) -> dict[str, str]:
    """The bot's settings: SQLite in a fresh folder, Slack over HTTP to the stand-in, Teams in emulator mode."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder}/bench.db", "SLACK_BOT_TOKEN": BOT_TOKEN,
           "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": api.url, "SLT_TEAMS_EMULATOR": "1",
           "SLT_LOG_LEVEL": "ERROR", "PYTHONPATH": str(ROOT)}  # fmt: skip
    for name in ("SLT_CONFIG", "MICROSOFT_APP_ID", "SLACK_APP_TOKEN"):
        env.pop(name, None)
    return env


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a server (SIGINT, so a cProfile run writes its file)."""
    process.send_signal(2)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


async def run(rates: list[int], seconds: float, want_profile: bool) -> int:
    """Everything: the servers, the load at each rate, the report."""
    if _has_two_cpus():
        os.sched_setaffinity(0, {LOAD_CPU})
    api, connector = StampedSlackApi(), StampedConnector()
    await api.start()
    await connector.start()
    folder = tempfile.mkdtemp()
    if not rates:  # --rates "": the profiles only
        await profiles(api, connector, _environment(api, folder), folder)
        await api.close()
        await connector.close()
        return 0
    env = _environment(api, folder)
    ports = {"bot": free_port(), "bolt": free_port(), "echo": free_port()}
    began = time.perf_counter()
    bot = start(["-m", "bot", "serve", "--port", str(ports["bot"])], env, folder)
    await wait_ready(f"http://127.0.0.1:{ports['bot']}/healthz", bot)
    cold_start = time.perf_counter() - began
    bolt = start([str(ROOT / "benchmarks" / "bare_slack_app.py"), str(ports["bolt"]), api.url], env, folder)
    echo = start([str(ROOT / "benchmarks" / "bare_teams_echo.py"), str(ports["echo"])], env, folder)
    rows: list[str] = []
    held: dict[str, int] = {}
    try:
        await wait_ready(f"http://127.0.0.1:{ports['bolt']}/healthz", bolt)
        await wait_ready(f"http://127.0.0.1:{ports['echo']}/healthz", echo)
        await asyncio.sleep(2)
        idle = rss_mib(bot.pid)
        cpu: dict[str, float] = {}
        for name, port, channel in (
            ("SLT-assistenten, Slack", ports["bot"], "slack"),
            ("bare slack-bolt reply app", ports["bolt"], "slack"),
            ("SLT-assistenten, Teams", ports["bot"], "teams"),
            ("bare botbuilder echo bot", ports["echo"], "teams"),
        ):
            process = bot if port == ports["bot"] else bolt if port == ports["bolt"] else echo
            used_before, turns = cpu_seconds(process.pid), 0
            for rate in rates:
                label = f"{port % 1000:03d}{rate:03d}"
                if channel == "slack":
                    url = f"http://127.0.0.1:{port}/slack/events"

                    async def send(
                        session: aiohttp.ClientSession, number: int, url: str = url, label: str = label
                    ) -> str:
                        who, body, headers = slack_request(label, number)
                        async with session.post(url, data=body, headers=headers) as response:
                            await response.read()
                        return who

                    latencies, lost = await open_loop(rate, seconds, send, api.arrived)
                else:
                    url = f"http://127.0.0.1:{port}/api/messages"

                    async def send(
                        session: aiohttp.ClientSession, number: int, url: str = url, label: str = label
                    ) -> str:
                        conversation, activity = teams_request(connector.url, label, number)
                        async with session.post(url, json=activity) as response:
                            await response.read()
                        return conversation

                    latencies, lost = await open_loop(rate, seconds, send, connector.arrived)
                    turns += int(rate * seconds)
                p50, p99, worst = summary(latencies)
                rows.append(f"| {name} | {rate}/s | {p50:.0f} | {p99:.0f} | {worst:.0f} | {lost} |")
                print(rows[-1], flush=True)
                if p99 < 1000 and lost == 0:
                    held[name] = rate
                await asyncio.sleep(1)
            if channel == "teams":
                cpu[name] = (cpu_seconds(process.pid) - used_before) / max(turns, 1) * 1000
    finally:
        for process in (bot, bolt, echo):
            stop(process)
    print("\n| server | rate | p50 ms | p99 ms | max ms | lost |\n|---|---|---|---|---|---|")
    print("\n".join(rows))
    print()
    for name, rate in held.items():
        print(f"{name}: highest rate held with p99 under 1 s and nothing lost: {rate}/s")
    for name, ms in cpu.items():
        print(f"{name}: {ms:.1f} ms CPU per turn")
    print(f"SLT-assistenten: cold start {cold_start:.2f} s to /healthz 200; idle RSS {idle:.0f} MiB (both channels on)")
    if want_profile:
        await profiles(api, connector, env, folder)
    await api.close()
    await connector.close()
    return 0


async def profiles(api: StampedSlackApi, connector: StampedConnector, env: dict[str, str], folder: str) -> None:
    """Run the bot under cProfile for one kind of request at a time; print the top lines of each."""
    kinds = {"a suggestion (/slt-tema)": 4, "a question (DM)": 0, "a Teams turn": -1}
    for title, kind in kinds.items():
        out = str(Path(folder) / f"profile-{abs(kind)}.prof")
        port = free_port()
        bot = start(["-m", "bot", "serve", "--port", str(port)], {**env, "DATABASE_URL": f"sqlite:///{out}.db"},
                    folder, profile=out)  # fmt: skip
        try:
            await wait_ready(f"http://127.0.0.1:{port}/healthz", bot)
            label = f"P{abs(kind)}"
            if kind >= 0:
                url = f"http://127.0.0.1:{port}/slack/events"

                async def send(session: aiohttp.ClientSession, number: int, url: str = url, label: str = label,
                               kind: int = kind) -> str:  # fmt: skip
                    who, body, headers = slack_request(label, number * 10 + kind)
                    async with session.post(url, data=body, headers=headers) as response:
                        await response.read()
                    return who

                await open_loop(40, 8, send, api.arrived)
            else:
                url = f"http://127.0.0.1:{port}/api/messages"

                async def send(session: aiohttp.ClientSession, number: int, url: str = url, label: str = label) -> str:
                    conversation, activity = teams_request(connector.url, label, number * 3)
                    async with session.post(url, json=activity) as response:
                        await response.read()
                    return conversation

                await open_loop(40, 8, send, connector.arrived)
        finally:
            stop(bot)
        print(f"\nprofile of {title}, 320 requests at 40/s (top functions by own time):")
        with contextlib.suppress(FileNotFoundError):
            stats = pstats.Stats(out)
            stats.sort_stats("tottime").print_stats(12)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="10,25,50,100,150")
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--profile", action="store_true")
    arguments = parser.parse_args()
    chosen = [int(rate) for rate in arguments.rates.split(",") if rate]
    sys.exit(asyncio.run(run(chosen, arguments.seconds, arguments.profile)))
