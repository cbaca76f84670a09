"""Reminders: exactly once across restarts and replicas, the agenda, cancel and move, on a frozen clock."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

from bot.app import build_bot
from bot.config import Settings
from bot.core.bot import Bot
from bot.core.messages import Reply
from bot.runtime.leader import LeaderLock
from bot.runtime.outbox import OutboxWorker
from handlers.reminders import queue_due_reminders
from storage.outbox import pending_for
from tests.conftest import FrozenClock
from tests.conversation import Conversation

OSLO = ZoneInfo("Europe/Oslo")
CHANNEL = "slack:C0EKSSLT"


class RecordingNotifier:
    platform = "slack"
    min_interval = 0.0

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, target: str, reply: Reply, *, municipality: str = "", tag: str = "") -> None:
        self.sent.append((target, reply.plain))

    async def arrived(self, target: str, tag: str, *, municipality: str = "", since: dt.datetime) -> bool:
        return False


def at(clock: FrozenClock, text: str) -> None:
    clock.now = dt.datetime.fromisoformat(text).replace(tzinfo=OSLO)


async def _pending(bot: Bot, target: str = CHANNEL) -> list[str]:
    async with bot.db.session() as session:
        return [str(m.payload) for m in await pending_for(session, target=target)]


async def test_reminder_is_queued_when_due_and_only_once(bot: Bot, clock: FrozenClock) -> None:
    at(clock, "2026-11-26T11:59")
    assert await queue_due_reminders(bot.context) == 0
    at(clock, "2026-11-26T12:00")
    assert await queue_due_reminders(bot.context) == 1  # the day-before agenda for 27 November
    assert await queue_due_reminders(bot.context) == 0
    (payload,) = await _pending(bot)
    assert "I morgen: SLT-frokostmøte" in payload and "eksempel-kommune-slt-frokost" in payload


async def test_a_restart_across_the_due_time_sends_exactly_once(settings: Settings, clock: FrozenClock) -> None:
    notifier = RecordingNotifier()
    at(clock, "2026-11-27T07:00")  # the process runs before the 07:30 link reminder ...
    first = build_bot(settings, clock=clock)
    await first.start()
    assert await queue_due_reminders(first.context) == 0
    await first.close()  # ... and stops
    at(clock, "2026-11-27T07:50")  # it comes back after the due time, within the grace period
    second = build_bot(settings, clock=clock)
    await second.start()
    try:
        assert await queue_due_reminders(second.context) == 1
        assert await queue_due_reminders(second.context) == 0
        worker = OutboxWorker(db=second.db, clock=clock, notifiers={"slack": notifier})
        await worker.deliver_due()
        await worker.deliver_due()
    finally:
        await second.close()
    assert [target for target, _ in notifier.sent] == [CHANNEL]
    assert "I dag: SLT-frokostmøte" in notifier.sent[0][1]


async def test_a_reminder_for_a_meeting_that_has_started_is_not_sent(bot: Bot, clock: FrozenClock) -> None:
    at(clock, "2026-11-27T08:05")  # the 07:30 link reminder was missed and the meeting has begun
    assert await queue_due_reminders(bot.context) == 0


async def test_agenda_of_planned_topics_is_in_the_reminder(
    staff: Conversation, coordinator: Conversation, bot: Bot, clock: FrozenClock
) -> None:
    await staff.say("tema Trygg skolevei")
    await staff.say("tema Nettvett for foreldre")
    listing = await coordinator.say("temaer")
    assert "Planlegg til 27. november 2026" in listing
    await coordinator.say("1")  # plan the first listed (newest of equal votes: #2) for 27 November
    at(clock, "2026-11-26T12:00")
    await queue_due_reminders(bot.context)
    (payload,) = await _pending(bot)
    assert "Agenda (foreslått anonymt og planlagt av SLT-koordinator)" in payload
    assert "- Nettvett for foreldre" in payload and "Trygg skolevei" not in payload


async def test_call_for_topics_a_week_before(bot: Bot, clock: FrozenClock) -> None:
    at(clock, "2026-12-11T09:00")
    assert await queue_due_reminders(bot.context) == 1
    (payload,) = await _pending(bot)
    assert "Om en uke: SLT-frokostmøte" in payload and "«tema <tekst>»" in payload
    assert "flyttet fra 25. desember 2026: første juledag" in payload


async def test_cancel_an_occurrence_tells_the_channel_and_stops_its_reminders(
    coordinator: Conversation, bot: Bot, clock: FrozenClock
) -> None:
    menu = await coordinator.say("avlys")
    assert "1) SLT-frokostmøte fredag 27. november 2026" in menu
    assert "Avlyst: SLT-frokostmøte fredag 27. november 2026" in await coordinator.say("1")
    assert any("Avlyst:" in p for p in await _pending(bot))
    at(clock, "2026-11-26T12:00")
    assert await queue_due_reminders(bot.context) == 0
    plan = await coordinator.say("møteplan")
    assert "Neste: fredag 18. desember 2026" in plan


async def test_move_an_occurrence(coordinator: Conversation, bot: Bot, clock: FrozenClock) -> None:
    import io

    coordinator.channel.stdin = io.StringIO("1\n4.12.2026\n")
    reply = await coordinator.say("flytt")
    assert "Flyttet: SLT-frokostmøte fredag 27. november 2026 er flyttet til fredag 4. desember 2026" in reply
    assert any("er flyttet til fredag 4. desember 2026 kl. 08:00" in p for p in await _pending(bot))
    assert "Neste SLT-frokostmøte er fredag 4. desember 2026" in await coordinator.say("når er neste frokostmøte?")
    at(clock, "2026-12-03T12:00")
    assert await queue_due_reminders(bot.context) == 1  # the reminders follow the meeting


async def test_staff_cannot_cancel(staff: Conversation) -> None:
    assert "bare for SLT-koordinatorene" in await staff.say("avlys")


async def test_two_schedulers_on_one_postgres_database_send_once(postgres_url: str, clock: FrozenClock) -> None:
    from bot.config import BUNDLED_MUNICIPALITY

    settings = Settings(database_url=postgres_url, municipality_path=BUNDLED_MUNICIPALITY)
    one, two = build_bot(settings, clock=clock), build_bot(settings, clock=clock)
    await one.start()
    await two.start()
    lock_one, lock_two = LeaderLock(one.db), LeaderLock(two.db)
    try:
        assert await lock_one.refresh() and not await lock_two.refresh()
        at(clock, "2026-11-26T12:00")
        # Even if both did the work, the ledger keys keep it to one message ...
        counts = await asyncio.gather(queue_due_reminders(one.context), queue_due_reminders(two.context))
        assert sorted(counts) == [0, 1]
        # ... and two workers racing for it send it once.
        notifier = RecordingNotifier()
        workers = [OutboxWorker(db=b.db, clock=clock, notifiers={"slack": notifier}) for b in (one, two)]
        await asyncio.gather(*(w.deliver_due() for w in workers))
        assert len(notifier.sent) == 1
        # When the leader goes away, the other replica takes over.
        await lock_one.release()
        assert await lock_two.refresh()
    finally:
        await lock_one.release()
        await lock_two.release()
        await one.close()
        await two.close()


async def test_staff_cannot_forge_a_move(bot: Bot) -> None:
    from bot.core.messages import Inbound

    forged = Inbound(
        "slack",
        "slack:U1",
        "slack:D1",
        action="meeting-move",
        values={"occurrence": "frokostmote:2026-11-27", "new_date": "i går"},
    )
    assert "bare for SLT-koordinatorene" in (await bot.handle(forged))[0].plain
