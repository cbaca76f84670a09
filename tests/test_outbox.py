"""The outbox: exactly-once queueing, delivery through a notifier, backoff with Retry-After, never lost."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.core.bot import Bot
from bot.core.messages import Reply
from bot.core.proactive import queue
from bot.runtime.outbox import CLAIM_LEASE, MAX_ATTEMPTS, OutboxWorker, SendFailed
from storage.models import OutboxMessage
from tests.conftest import FrozenClock


class FakeNotifier:
    platform = "slack"
    min_interval = 0.0

    def __init__(self, failures: list[SendFailed] | None = None) -> None:
        self.sent: list[tuple[str, str]] = []
        self.failures = failures or []
        # The tags of the posts the platform holds (for `arrived`), and the lookups asked for.
        self.at_target: set[str] = set()
        self.asked: list[str] = []

    async def send(self, target: str, reply: Reply, *, municipality: str = "", tag: str = "") -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((target, reply.plain))
        self.at_target.add(tag)

    async def arrived(self, target: str, tag: str, *, municipality: str = "", since: dt.datetime) -> bool:
        self.asked.append(target)
        return tag in self.at_target


async def _queue(bot: Bot, key: str = "k1", target: str = "slack:C1") -> bool:
    async with bot.db.session() as session:
        return await queue(session, key=key, target=target, reply=Reply.text("Hei"), now=bot.context.clock())


async def _message(bot: Bot, key: str = "k1") -> OutboxMessage:
    from storage.outbox import get_by_key

    async with bot.db.session() as session:
        message = await get_by_key(session, key=key)
    assert message is not None
    return message


async def _crash_while_sending(bot: Bot, clock: FrozenClock, notifier: FakeNotifier, *, posted: bool) -> None:
    """A worker claims the message and dies: before the post reached the platform, or after, before its mark."""
    from storage.outbox import claim

    message = await _message(bot)
    assert message.id is not None
    async with bot.db.session() as session:
        assert await claim(session, message=message, now=clock(), lease=CLAIM_LEASE)
        assert not await claim(session, message=message, now=clock(), lease=CLAIM_LEASE)  # taken: not twice
    if posted:
        await notifier.send(message.target, Reply.text("Hei"), tag=message.tag)
    clock.advance(minutes=3)  # the dead worker's claim has run out


@pytest.mark.parametrize("posted", [True, False])
async def test_a_message_a_crash_cut_short_is_looked_up_before_it_is_sent_again(
    bot: Bot, clock: FrozenClock, posted: bool
) -> None:
    await _queue(bot, target="slack:U0KOORD")
    notifier = FakeNotifier()
    await _crash_while_sending(bot, clock, notifier, posted=posted)
    worker = OutboxWorker(db=bot.db, clock=clock, notifiers={"slack": notifier})
    assert await worker.deliver_due() == 1
    assert notifier.asked == ["slack:U0KOORD"]  # the first attempt's outcome was unknown
    assert notifier.sent == [("slack:U0KOORD", "Hei")]  # once: by the dead worker, or now
    message = await _message(bot)
    assert message.sent_at is not None and message.payload == {} and not message.in_flight


async def test_a_failure_whose_outcome_is_known_is_retried_without_a_lookup(bot: Bot, clock: FrozenClock) -> None:
    await _queue(bot, target="slack:U0KOORD")
    notifier = FakeNotifier([SendFailed("502")])
    worker = OutboxWorker(db=bot.db, clock=clock, notifiers={"slack": notifier})
    assert await worker.deliver_due() == 0
    clock.advance(minutes=5)
    assert await worker.deliver_due() == 1
    assert notifier.asked == [] and notifier.sent == [("slack:U0KOORD", "Hei")]


async def test_a_message_whose_every_attempt_was_cut_short_is_given_up(bot: Bot, clock: FrozenClock) -> None:
    from storage.outbox import count_failed

    await _queue(bot, target="slack:U0KOORD")
    notifier = FakeNotifier()
    for _ in range(MAX_ATTEMPTS):  # each attempt brings the process down before its outcome is recorded
        await _crash_while_sending(bot, clock, notifier, posted=False)
    worker = OutboxWorker(db=bot.db, clock=clock, notifiers={"slack": notifier})
    assert await worker.deliver_due() == 0
    assert notifier.sent == [] and (await _message(bot)).failed
    async with bot.db.session() as session:
        assert await count_failed(session) == 1


async def test_a_first_attempt_is_not_looked_up(bot: Bot) -> None:
    await _queue(bot, target="slack:U0KOORD")
    notifier = FakeNotifier()
    worker = OutboxWorker(db=bot.db, clock=bot.context.clock, notifiers={"slack": notifier})
    assert await worker.deliver_due() == 1
    assert notifier.asked == [] and notifier.sent == [("slack:U0KOORD", "Hei")]


async def test_the_same_key_is_queued_once(bot: Bot) -> None:
    assert await _queue(bot)
    assert not await _queue(bot)


async def test_delivery_and_content_is_dropped_after_sending(bot: Bot) -> None:
    await _queue(bot)
    notifier = FakeNotifier()
    worker = OutboxWorker(db=bot.db, clock=bot.context.clock, notifiers={"slack": notifier})
    assert await worker.deliver_due() == 1
    assert await worker.deliver_due() == 0
    assert notifier.sent == [("slack:C1", "Hei")]
    message = await _message(bot)
    assert message.sent_at is not None and message.payload == {}


async def test_rate_limited_send_waits_for_retry_after(bot: Bot, clock: FrozenClock) -> None:
    await _queue(bot)
    notifier = FakeNotifier([SendFailed("429", retry_after=30)])
    worker = OutboxWorker(db=bot.db, clock=clock, notifiers={"slack": notifier})
    assert await worker.deliver_due() == 0
    message = await _message(bot)
    assert message.attempts == 1 and message.next_attempt_at == clock() + dt.timedelta(seconds=30)
    clock.advance(seconds=29)
    assert await worker.deliver_due() == 0
    clock.advance(seconds=2)
    assert await worker.deliver_due() == 1


async def test_repeated_failures_give_up_and_are_logged(bot: Bot, clock: FrozenClock, caplog) -> None:  # type: ignore[no-untyped-def]
    await _queue(bot)
    notifier = FakeNotifier([SendFailed("502") for _ in range(MAX_ATTEMPTS)])
    worker = OutboxWorker(db=bot.db, clock=clock, notifiers={"slack": notifier})
    for _ in range(MAX_ATTEMPTS):
        await worker.deliver_due()
        clock.advance(hours=2)
    message = await _message(bot)
    assert message.failed and message.attempts == MAX_ATTEMPTS and message.sent_at is None
    assert "gave up on message" in caplog.text


async def test_a_permanent_failure_is_not_retried(bot: Bot) -> None:
    await _queue(bot)
    notifier = FakeNotifier([SendFailed("channel_not_found", permanent=True)])
    worker = OutboxWorker(db=bot.db, clock=bot.context.clock, notifiers={"slack": notifier})
    await worker.deliver_due()
    assert (await _message(bot)).failed


async def test_targets_without_a_notifier_wait(bot: Bot) -> None:
    await _queue(bot, target="teams:conversation")
    worker = OutboxWorker(db=bot.db, clock=bot.context.clock, notifiers={"slack": FakeNotifier()})
    assert await worker.deliver_due() == 0
    assert (await _message(bot)).attempts == 0


async def test_scheduler_has_its_jobs(bot: Bot) -> None:
    from bot.app import scheduled_jobs
    from bot.runtime.leader import LeaderLock
    from bot.runtime.scheduler import build_scheduler

    scheduler = build_scheduler(scheduled_jobs(bot, {}), tz=bot.municipality.tz, leader=LeaderLock(bot.db))
    expected = {"outbox", "inbox-recovery", "reminders", "expire-dialogs", "follow-ups", "retention", "digest"}
    expected.add("leader")
    if bot.db.is_sqlite:
        expected.add("sqlite-checkpoint")  # the write-ahead log is copied on a timer, never inside a commit
    assert {job.id for job in scheduler.get_jobs()} == expected


async def test_messages_for_a_target_no_channel_serves_never_block_the_others(bot: Bot) -> None:
    for number in range(60):  # more than one batch, for a console user nobody serves on a server
        await _queue(bot, key=f"console-{number}", target="console:koordinator")
    await _queue(bot, key="slack-1", target="slack:C1")
    notifier = FakeNotifier()
    worker = OutboxWorker(db=bot.db, clock=bot.context.clock, notifiers={"slack": notifier})
    assert await worker.deliver_due() == 1
    assert notifier.sent == [("slack:C1", "Hei")]


class BrokenNotifier(FakeNotifier):
    async def send(self, target: str, reply: Reply, *, municipality: str = "", tag: str = "") -> None:
        raise RuntimeError("a bug, not a SendFailed")


async def test_any_error_counts_as_an_attempt_and_ends_in_a_counted_give_up(bot: Bot, clock: FrozenClock) -> None:
    from storage.outbox import count_failed

    await _queue(bot)
    worker = OutboxWorker(db=bot.db, clock=bot.context.clock, notifiers={"slack": BrokenNotifier()})
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert await worker.deliver_due() == 0
        assert (await _message(bot)).attempts == attempt
        clock.advance(hours=2)
    message = await _message(bot)
    assert message.failed and message.sent_at is None
    async with bot.db.session() as session:
        assert await count_failed(session) == 1
    clock.advance(hours=2)
    assert await worker.deliver_due() == 0 and (await _message(bot)).attempts == MAX_ATTEMPTS  # no more tries
