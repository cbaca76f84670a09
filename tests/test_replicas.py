"""Three replicas of `slt-bot serve` on one PostgreSQL database: a burst spread over them, retries, kill -9.

Every event is answered exactly once and the due reminder is sent exactly once, also when the leader (which
runs the scheduler) is killed with work in hand. The stand-in Slack Web API serves each replica under its own
path, so it can hold the leader's posts unanswered: killed while waiting, they never reached Slack, exactly as
a crash before the post would be. Takes about half a minute (the leader's hand-over and the inbox lease).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.config import BUNDLED_MUNICIPALITY
from tests.running import free_port
from tests.slack_fake import SIGNING_SECRET, event_body, signed_headers

REPLICAS = 3
EVENTS = 45
REMINDER_CHANNEL = "C0REPLICA"


class ReplicaSlack:
    """A stand-in Slack Web API at /r<n>/api/<method>; a post counts only once it was answered."""

    def __init__(self) -> None:
        self.answered: list[tuple[int, str, dict[str, Any]]] = []
        self.held: set[int] = set()
        self.arrived_held = asyncio.Event()
        self.server: TestServer | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        replica, method = int(request.match_info["replica"]), request.match_info["method"]
        raw = await request.read()
        params: dict[str, Any] = (
            json.loads(raw or b"{}")
            if request.content_type == "application/json"
            else {k: v[0] for k, v in __import__("urllib.parse").parse.parse_qs(raw.decode()).items()}
        )
        if method == "chat.postMessage" and replica in self.held:
            self.arrived_held.set()
            await asyncio.Event().wait()  # never answered; the caller dies waiting
        self.answered.append((replica, method, params))
        extra = {"user_id": "UBOT", "bot_id": "BBOT", "team_id": "T0EKS"} if method == "auth.test" else {}
        return web.json_response({"ok": True, "ts": "1700000000.000100", **extra})

    def posts(self) -> Counter[str]:
        """How many answered posts each channel (or user, for a DM) got."""
        return Counter(
            str(params.get("channel")) for _, method, params in self.answered if method == "chat.postMessage"
        )

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/r{replica}/api/{method}", self._handle)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        return f"http://127.0.0.1:{self.server.port}"

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()


def municipality_with_a_due_reminder(folder: Path, channel: str = REMINDER_CHANNEL) -> Path:
    """The example municipality with one meeting tomorrow whose reminder fell due a minute ago."""
    now = dt.datetime.now(ZoneInfo("Europe/Oslo")) - dt.timedelta(minutes=1)
    example = yaml.safe_load(BUNDLED_MUNICIPALITY.read_text(encoding="utf-8"))
    meeting = {**example["meetings"][0]}
    meeting.update(
        schedule={"dates": [(now + dt.timedelta(days=1)).date().isoformat()]},
        start="12:00",
        end="13:00",
        channels=[f"slack:{channel}"],
        reminders=[{"days_before": 1, "at": now.strftime("%H:%M"), "kind": "link"}],
        skip_months=[],
        avoid_school_holidays=False,
        themes={},
    )
    path = folder / "kommune.yaml"
    path.write_text(yaml.safe_dump({**example, "meetings": [meeting]}, allow_unicode=True), encoding="utf-8")
    return path


async def _healthy(session: aiohttp.ClientSession, port: int) -> dict[str, Any] | None:
    try:
        async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
            return dict(await response.json()) if response.status == 200 else None
    except aiohttp.ClientError:
        return None


async def test_three_replicas_answer_every_event_once_and_send_the_reminder_once_across_a_kill(
    postgres_url: str, tmp_path: Path
) -> None:
    if dt.datetime.now(ZoneInfo("Europe/Oslo")).strftime("%H:%M") in ("00:00", "00:01"):
        pytest.skip("the crafted reminder would fall on the previous day")
    slack = ReplicaSlack()
    base = await slack.start()
    config = municipality_with_a_due_reminder(tmp_path)
    ports = [free_port() for _ in range(REPLICAS)]
    servers = []
    for index, port in enumerate(ports):
        env = {
            **os.environ,
            "DATABASE_URL": postgres_url,
            "SLT_CONFIG": str(config),
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": f"{base}/r{index}/api/",
            "SLT_LOG_LEVEL": "WARNING",
        }
        command = [sys.executable, "-m", "bot", "serve", "--port", str(port)]
        servers.append(subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    try:
        async with aiohttp.ClientSession() as session:
            deadline = time.monotonic() + 60
            health: list[dict[str, Any] | None] = [None] * REPLICAS
            while not all(health) or not any(h and h["leader"] for h in health):
                assert time.monotonic() < deadline, "the replicas did not come up with a leader"
                health = [await _healthy(session, port) for port in ports]
                await asyncio.sleep(0.2)
            leader = next(i for i, h in enumerate(health) if h and h["leader"])
            slack.held.add(leader)  # the leader's replies will never be answered: it dies waiting

            async def deliver(body: str, first: int, retry: int = 0) -> None:
                """Post an event the way Slack does: to a replica, and again elsewhere if that one fails."""
                for attempt in range(REPLICAS * 2):
                    replica = (first + attempt) % REPLICAS
                    headers = {**signed_headers(body), "Content-Type": "application/json"}
                    if retry or attempt:
                        headers["X-Slack-Retry-Num"] = str(retry + attempt)
                    try:
                        async with session.post(
                            f"http://127.0.0.1:{ports[replica]}/slack/events", data=body, headers=headers
                        ) as response:
                            if response.status == 200:
                                return
                    except aiohttp.ClientError:
                        pass
                raise AssertionError("no replica acknowledged the event")

            bodies = [
                event_body("kontakter", event_id=f"Ev{n}", user=f"U{n:04d}", channel=f"D{n:04d}") for n in range(EVENTS)
            ]
            half = EVENTS // 2
            await asyncio.gather(*(deliver(body, n) for n, body in enumerate(bodies[:half])))
            await asyncio.wait_for(slack.arrived_held.wait(), timeout=10)
            servers[leader].send_signal(signal.SIGKILL)
            servers[leader].wait(timeout=10)
            # The rest of the burst, and Slack's retries of a third of it to another replica.
            await asyncio.gather(*(deliver(body, n) for n, body in enumerate(bodies[half:], start=half)))
            await asyncio.gather(*(deliver(body, n + 1, retry=1) for n, body in enumerate(bodies) if n % 3 == 0))

            deadline = time.monotonic() + 90
            while True:
                replies = slack.posts()
                answered = sum(1 for n in range(EVENTS) if replies[f"U{n:04d}"])
                if answered == EVENTS and replies[REMINDER_CHANNEL]:
                    break
                waiting = f"{answered} of {EVENTS} answered, reminders {replies[REMINDER_CHANNEL]}"
                assert time.monotonic() < deadline, waiting
                await asyncio.sleep(0.2)
            await asyncio.sleep(3)  # time for a double to show up, if there were one
        replies = slack.posts()
        assert {user: count for user, count in replies.items() if user.startswith("U") and count != 1} == {}
        assert sorted(user for user in replies if user.startswith("U")) == [f"U{n:04d}" for n in range(EVENTS)]
        assert replies[REMINDER_CHANNEL] == 1
        assert all(replica != leader for replica, method, _ in slack.answered if method == "chat.postMessage")
    finally:
        for server in servers:
            if server.poll() is None:
                server.send_signal(signal.SIGTERM)
        for server in servers:
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
        await slack.close()
