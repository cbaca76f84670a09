"""The meeting schedule over 2026-2029 on a frozen clock: holidays, July, school holidays, daylight saving."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.config import BUNDLED_MUNICIPALITY
from bot.municipality import MeetingSeries, Municipality, load_municipality
from handlers.planning.schedule import occurrences, upcoming
from handlers.reminders import planned_reminders

OSLO = ZoneInfo("Europe/Oslo")
MUNICIPALITY = load_municipality(BUNDLED_MUNICIPALITY)
BREAKFAST = MUNICIPALITY.meetings[0]


def _with(series: MeetingSeries, **changes: object) -> Municipality:
    changed = series.model_copy(update=changes)
    return MUNICIPALITY.model_copy(update={"meetings": (changed,), "school_holidays": ()})


def _by_rule_date(municipality: Municipality, start: str, end: str) -> dict[str, tuple[str, str]]:
    series = municipality.meetings[0]
    found = occurrences(municipality, series, dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    return {o.rule_date.isoformat(): (o.day.isoformat(), o.status) for o in found}


def test_last_friday_over_four_years_with_the_example_rules() -> None:
    plan = _by_rule_date(MUNICIPALITY, "2026-01-01", "2029-12-31")
    assert len(plan) == 48
    assert plan["2026-11-27"] == ("2026-11-27", "planned")
    assert plan["2026-12-25"] == ("2026-12-18", "planned")  # første juledag + juleferie: the Friday before
    assert plan["2027-03-26"] == ("2027-03-19", "planned")  # langfredag in påskeferie
    assert plan["2027-07-30"] == ("2027-07-30", "skipped")  # July is skipped
    assert plan["2027-02-26"] == ("2027-02-19", "planned")  # vinterferie (week 8) from the file


@pytest.mark.parametrize(
    "rule_date,on_holiday,expected",
    [
        ("2026-12-25", "previous", ("2026-12-24", "planned")),  # julaften is no public holiday
        ("2026-12-25", "next", ("2026-12-28", "planned")),  # 26 Dec is andre juledag, then the weekend
        ("2026-12-25", "skip", ("2026-12-25", "skipped")),
        ("2027-03-26", "previous", ("2027-03-24", "planned")),  # langfredag and skjærtorsdag
        ("2027-03-26", "next", ("2027-03-30", "planned")),  # the weekend and andre påskedag
        ("2029-03-30", "previous", ("2029-03-28", "planned")),  # langfredag 2029
        ("2029-03-30", "skip", ("2029-03-30", "skipped")),
    ],
)
def test_public_holidays_per_series_rule(rule_date: str, on_holiday: str, expected: tuple[str, str]) -> None:
    municipality = _with(BREAKFAST, on_holiday=on_holiday, skip_months=(), avoid_school_holidays=False)
    assert _by_rule_date(municipality, "2026-01-01", "2029-12-31")[rule_date] == expected


def test_first_tuesday_rule_and_quarterly_months() -> None:
    coordination, council = MUNICIPALITY.meetings[2], MUNICIPALITY.meetings[3]
    year = (dt.date(2027, 1, 1), dt.date(2027, 12, 31))
    days = [o.day.isoformat() for o in occurrences(MUNICIPALITY, coordination, *year) if o.status == "planned"]
    assert days[:3] == ["2027-01-05", "2027-02-02", "2027-03-02"] and "2027-07-06" not in days
    quarterly = [o.day.isoformat() for o in occurrences(MUNICIPALITY, council, *year)]
    assert quarterly == ["2027-02-11", "2027-05-13", "2027-09-09", "2027-11-11"]


def test_upcoming_skips_meetings_that_have_ended() -> None:
    during = dt.datetime(2026, 11, 27, 8, 30, tzinfo=OSLO)
    after = dt.datetime(2026, 11, 27, 9, 1, tzinfo=OSLO)
    assert upcoming(MUNICIPALITY, BREAKFAST, during, 1)[0].day == dt.date(2026, 11, 27)
    assert upcoming(MUNICIPALITY, BREAKFAST, after, 1)[0].day == dt.date(2026, 12, 18)


@pytest.mark.parametrize(
    "meeting_day,utc_due",
    [
        ("2027-03-29", "2027-03-28T07:00:00+00:00"),  # reminder on the Sunday summer time starts: 09:00 CEST
        ("2027-03-22", "2027-03-21T08:00:00+00:00"),  # a week earlier: 09:00 CET
        ("2026-10-26", "2026-10-25T08:00:00+00:00"),  # the Sunday summer time ends: 09:00 CET
        ("2026-10-19", "2026-10-18T07:00:00+00:00"),  # a week earlier: 09:00 CEST
    ],
)
def test_reminders_keep_local_time_across_daylight_saving(meeting_day: str, utc_due: str) -> None:
    series = BREAKFAST.model_copy(
        update={
            "schedule": BREAKFAST.schedule.model_copy(
                update={"dates": (dt.date.fromisoformat(meeting_day),), "weekday": None, "week": None}
            ),
            "reminders": (BREAKFAST.reminders[1].model_copy(update={"at": dt.time(9, 0)}),),
        }
    )
    municipality = _with(series)
    start = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    (reminder,) = planned_reminders(municipality, start, start + dt.timedelta(days=400), {})
    assert reminder.due.astimezone(dt.UTC).isoformat() == utc_due
    assert reminder.due.astimezone(OSLO).strftime("%H:%M") == "09:00"


def test_the_public_holidays_are_norways_for_two_centuries() -> None:
    """Our twelve days against the holidays package (a test-only dependency now), 1950-2100 (its range)."""
    import holidays

    from handlers.planning.public_holidays import holiday_keys

    for year in range(1950, 2101):
        theirs = set(holidays.country_holidays("NO", years=year, include_sundays=False))
        assert set(holiday_keys(year)) == theirs, year
