"""Meeting reminders: what is due when and where, the reminder texts, and queueing them exactly once.

Reminder times are local (Europe/Oslo) and turned into instants per day, so a reminder at 09:00 stays at
09:00 across daylight-saving changes. Each reminder is queued under the key (series, occurrence, offset,
target): the scheduler may run the job as often as it likes, after a restart, late or on two replicas, and
each reminder is still sent once. A reminder missed while the bot was down is sent when it comes back, if it
is at most GRACE late and the meeting has not started.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.core.catalog import t, use_language
from bot.core.context import Context
from bot.core.messages import Link, Part, Reply, Text
from bot.core.parts import norwegian_date
from bot.core.proactive import queue
from bot.municipality import MeetingSeries, Municipality, ReminderRule
from handlers.meetings import describe
from handlers.planning.agenda import agenda_lines
from handlers.planning.schedule import Occurrence, Overrides, load_overrides, occurrences

GRACE = dt.timedelta(hours=6)


@dataclass(frozen=True)
class PlannedReminder:
    """One reminder for one occurrence to one target, and when it is due."""

    due: dt.datetime
    occurrence: Occurrence
    rule: ReminderRule
    target: str

    @property
    def key(self) -> str:
        """The ledger key: the same reminder always gets the same key."""
        series = self.occurrence.series.id
        rule_date = self.occurrence.rule_date.isoformat()
        return f"reminder:{series}:{rule_date}:{self.rule.kind}:{self.rule.days_before}:{self.target}"


def targets(municipality: Municipality, series: MeetingSeries) -> tuple[str, ...]:
    """Where a series' reminders go: its own channels, or the municipality's."""
    return series.channels or municipality.channels


def planned_reminders(
    municipality: Municipality, start: dt.datetime, end: dt.datetime, overrides: Overrides
) -> list[PlannedReminder]:
    """Every reminder due in [start, end), for planned occurrences only, in time order."""
    tz = municipality.tz
    found: list[PlannedReminder] = []
    for series in municipality.meetings:
        if not series.reminders:
            continue
        longest = max(rule.days_before for rule in series.reminders)
        # Rule dates a month either side: moved meetings may be far from their rule date.
        first = start.astimezone(tz).date() - dt.timedelta(days=31)
        last = end.astimezone(tz).date() + dt.timedelta(days=longest + 31)
        for occurrence in occurrences(municipality, series, first, last, overrides):
            if occurrence.status != "planned":
                continue
            for rule in series.reminders:
                due = dt.datetime.combine(occurrence.day - dt.timedelta(days=rule.days_before), rule.at, tzinfo=tz)
                if start <= due < end:
                    found += [
                        PlannedReminder(due, occurrence, rule, target) for target in targets(municipality, series)
                    ]
    return sorted(found, key=lambda r: (r.due, r.key))


async def reminder_reply(ctx: Context, reminder: PlannedReminder) -> Reply:
    """The reminder message: when and where, and depending on the kind the call for topics, agenda or link."""
    occurrence, series = reminder.occurrence, reminder.occurrence.series
    when = describe(occurrence, ctx.municipality)
    lead = {0: t("reminders.today"), 1: t("reminders.tomorrow"), 7: t("reminders.in_a_week")}.get(
        reminder.rule.days_before, t("reminders.in_days", days=reminder.rule.days_before)
    )
    parts: list[Part] = [Text(t("reminders.headline", lead=lead, name=series.name, when=when))]
    if series.location:
        parts.append(Text(t("meetings.where_is", where=series.location)))
    if reminder.rule.kind == "topics":
        parts.append(Text(t("reminders.call_for_topics")))
    elif reminder.rule.kind == "agenda":
        planned = await agenda_lines(ctx, occurrence.day) if series.takes_topics else []
        if planned:
            parts.append(Text(t("reminders.agenda") + "\n" + "\n".join(f"- {line}" for line in planned)))
        elif series.takes_topics:
            parts.append(Text(t("reminders.open_agenda")))
    if series.teams_url:
        parts.append(Link(title=t("reminders.join", name=series.name), url=series.teams_url))
    return Reply(parts=tuple(parts))


async def queue_due_reminders(ctx: Context) -> int:
    """Queue every reminder due now (or missed within GRACE, before its meeting starts); returns how many.

    Reminders are in the municipality's language (a channel is read by everyone).
    """
    use_language(ctx.municipality.language)
    now = ctx.clock()
    overrides = await load_overrides(ctx)
    queued = 0
    for reminder in planned_reminders(ctx.municipality, now - GRACE, now + dt.timedelta(seconds=1), overrides):
        if reminder.occurrence.starts_at(ctx.municipality) <= now:
            continue  # too late to be useful
        reply = await reminder_reply(ctx, reminder)
        async with ctx.db.session() as session:
            queued += await queue(session, key=reminder.key, target=reminder.target, reply=reply, now=now)
    return queued


async def announce_change(ctx: Context, occurrence: Occurrence, action: str, new_date: dt.date | None) -> None:
    """Tell the series' channels that a coordinator cancelled or moved a meeting (once per change)."""
    series = occurrence.series
    if action == "cancel":
        text = t("reminders.cancelled", name=series.name, date=norwegian_date(occurrence.day, weekday=True))
    else:
        assert new_date is not None
        text = t(
            "reminders.moved",
            name=series.name,
            date=norwegian_date(occurrence.day, weekday=True),
            new_date=norwegian_date(new_date, weekday=True),
            start=series.start.strftime("%H:%M"),
        )
    change = f"{action}:{new_date.isoformat() if new_date else '-'}"
    async with ctx.db.session() as session:
        for target in targets(ctx.municipality, series):
            key = f"change:{series.id}:{occurrence.rule_date.isoformat()}:{change}:{target}"
            await queue(session, key=key, target=target, reply=Reply.text(text), now=ctx.clock())
