"""Fuzzing both doors: thousands of mutated Slack requests and Bot Framework activities, and never a 5xx.

The server runs in a thread of its own, on a local port, with Slack (signatures checked) and Teams (emulator
mode) on. The Slack Web API it is given does not answer, so the run also shows that the Slack door keeps
verifying and acknowledging while Slack itself is down. Hypothesis mutates recorded payloads: keys dropped,
values swapped for other JSON, odd unicode, huge text, truncated bodies. Every answer must be below 500, and
the server must still be healthy and answering at the end.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import build_bot, build_web_app
from bot.config import BUNDLED_MUNICIPALITY, Settings
from tests.conftest import FROZEN_NOW, REPORT, FrozenClock, fresh_postgres_database, postgres_skip_reason
from tests.running import free_port
from tests.slack_fake import BOT_TOKEN, SIGNING_SECRET, block_action, signed_headers, view_submission
from tests.teams_fake import FakeConnector, message

EXAMPLES = 1200  # per door
# The server thread's own use of `random` (backoff jitter) runs while examples are drawn; Hypothesis notices.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
ODD = [
    "",
    "\u0000",
    "\ud800",
    "\u202e\u0661\u0662",
    "e\u0301\u0301\u0301",
    "🙂" * 500,
    "a" * 60_000,
    "<script>",
    "tema ",
    "bekymring",
    "oppsummering",
]


class Server:
    """The whole app on a local port, served from a background thread's event loop."""

    def __init__(self, database_url: str) -> None:
        dead_api = f"http://127.0.0.1:{free_port()}/api/"  # nothing listens: the Web API is down
        self.settings = Settings(
            database_url=database_url,
            municipality_path=BUNDLED_MUNICIPALITY,
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=dead_api,
            teams_emulator=True,
        )
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.runner: web.AppRunner | None = None
        self.connector = FakeConnector()  # Teams replies go here (loopback, as emulator mode requires)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._start())
        self.ready.set()
        self.loop.run_forever()

    async def _start(self) -> None:
        await self.connector.start()
        bot = build_bot(self.settings, clock=FrozenClock(FROZEN_NOW))
        self.runner = web.AppRunner(build_web_app(bot), access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    def start(self) -> None:
        self.thread.start()
        assert self.ready.wait(30), "the server did not start"

    def stop(self) -> None:
        assert self.runner is not None
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(30)
        asyncio.run_coroutine_threadsafe(self.connector.close(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=body, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    def get(self, path: str) -> int:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as response:
            return int(response.status)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """On PostgreSQL where there is one: it enforces column lengths and refuses NUL, which SQLite lets pass."""
    databases = None if postgres_skip_reason() else fresh_postgres_database()
    url = next(databases) if databases else f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}"
    running = Server(url)
    running.start()
    yield running
    running.stop()
    for _ in databases or ():  # drops the PostgreSQL database
        pass


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | st.sampled_from(ODD),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def mutated(draw: st.DrawFn, base: Any) -> Any:
    """The base payload with a few of its values dropped or replaced, anywhere in the tree."""
    value = json.loads(json.dumps(base))
    for _ in range(draw(st.integers(1, 3))):
        node: Any = value
        while True:  # walk down to a random key of a random container
            keys: list[Any] = list(node) if isinstance(node, dict) else list(range(len(node)))
            if not keys:
                break
            key = draw(st.sampled_from(keys))
            child = node[key]
            if isinstance(child, dict | list) and child and draw(st.booleans()):
                node = child
                continue
            if isinstance(node, dict) and draw(st.booleans()):
                del node[key]
            else:
                node[key] = draw(json_values)
            break
    return value


def _slack_bases() -> list[tuple[str, dict[str, Any]]]:
    command = {
        "token": "x",
        "team_id": "T0EKS",
        "channel_id": "C0GENERAL",
        "user_id": "U0STAFF",
        "command": "/slt",
        "text": "kontakter",
        "trigger_id": "trig",
        "response_url": "https://hooks.slack.invalid/1",
    }
    event = {
        "type": "event_callback",
        "team_id": "T0EKS",
        "event_id": "Ev1",
        "event": {"type": "message", "channel_type": "im", "user": "U0STAFF", "text": "hei", "channel": "D0STAFF"},
    }
    submission = view_submission("topic-submit", {"tekst": {"type": "plain_text_input", "value": "Trygg skolevei"}})
    return [
        ("command", command),
        ("event", event),
        ("interaction", block_action("dialog:bekymring:akutt", "nei")),
        ("interaction", submission),
    ]


@st.composite
def slack_request(draw: st.DrawFn) -> tuple[bytes, dict[str, str]]:
    kind, base = draw(st.sampled_from(_slack_bases()))
    payload = draw(mutated(base))
    if kind == "event":
        body = json.dumps(payload)
        content = "application/json"
    elif kind == "command":
        fields = payload if isinstance(payload, dict) else {"text": payload}
        body = urllib.parse.urlencode({str(k): str(v) for k, v in fields.items()})
        content = "application/x-www-form-urlencoded"
    else:
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        content = "application/x-www-form-urlencoded"
    raw = body.encode()
    if draw(st.integers(0, 9)) == 0:
        raw = raw[: draw(st.integers(0, len(raw)))]  # a body cut short
    text = raw.decode("utf-8", "surrogateescape")
    headers = {"Content-Type": content, **signed_headers(text)}
    return raw, headers


_FUZZ_IDS = itertools.count()


@st.composite
def teams_request(draw: st.DrawFn, service: str) -> tuple[bytes, dict[str, str]]:
    # Fresh ids (so the inbox does not drop them as redeliveries) of one length: Hypothesis replays a case
    # and needs the same sizes to draw the same way.
    ident = f"fuzz-{next(_FUZZ_IDS):09d}"
    base = draw(
        st.sampled_from(
            [
                message(service, "kontakter", activity_id=ident),
                message(service, "bekymring", kind="channel", conversation="19:c@thread.tacv2", activity_id=ident),
                message(service, value={"action": "dialog:bekymring:akutt", "value": "nei"}, activity_id=ident),
            ]
        )
    )
    raw = json.dumps(draw(mutated(base))).encode()
    if draw(st.integers(0, 9)) == 0:
        raw = raw[: draw(st.integers(0, len(raw)))]
    return raw, {"Content-Type": "application/json"}


def _fuzz(server: Server, door: str, strategy: st.SearchStrategy[tuple[bytes, dict[str, str]]]) -> Counter[int]:
    statuses: Counter[int] = Counter()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
    @given(strategy)
    def one(request: tuple[bytes, dict[str, str]]) -> None:
        body, headers = request
        status = server.post(door, body, headers)
        statuses[status] += 1
        assert status < 500, (status, body[:300])

    one()
    return statuses


def _report(door: str, statuses: Counter[int], server: Server) -> None:
    total = sum(statuses.values())
    clients = sum(n for status, n in statuses.items() if 400 <= status < 500)
    servers = sum(n for status, n in statuses.items() if status >= 500)
    backend = server.settings.database_url.split(":", 1)[0]
    REPORT.append(
        f"fuzz {door} on {backend}: {total} requests, {clients} answered 4xx, {servers} answered 5xx ({dict(statuses)})"
    )


def test_mutated_slack_requests_never_get_a_5xx(server: Server) -> None:
    statuses = _fuzz(server, "/slack/events", slack_request())
    _report("POST /slack/events (Web API down)", statuses, server)
    assert sum(statuses.values()) >= 1000 and statuses[200] > 0 and statuses[400] > 0
    assert server.get("/healthz") == 200


def test_mutated_bot_framework_activities_never_get_a_5xx(server: Server) -> None:
    statuses = _fuzz(server, "/api/messages", teams_request(server.connector.url))
    _report("POST /api/messages", statuses, server)
    assert sum(statuses.values()) >= 1000 and statuses[200] > 0 and statuses[400] > 0
    assert server.get("/healthz") == 200
