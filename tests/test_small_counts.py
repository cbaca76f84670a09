"""Small numbers never reach a reader: digests and `bekymringer` show counts below the minimum as «under 5»."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest

from bot.app import build_bot
from bot.config import BUNDLED_MUNICIPALITY, Settings
from bot.core.bot import Bot
from handlers.privacy.counts import breakdown, count_text
from storage.escalations import add_escalation
from storage.models import EscalationRecord
from tests.conftest import FROZEN_NOW, FrozenClock
from tests.conversation import Conversation


def test_a_count_below_the_minimum_reads_under() -> None:
    assert [count_text(n, 5) for n in (0, 1, 4, 5, 12)] == ["0", "under 5", "under 5", "5", "12"]


@pytest.mark.parametrize(
    "rows",
    [
        [("A", 9), ("B", 2)],
        [("A", 9), ("B", 7), ("C", 1)],
        [("A", 6), ("B", 3), ("C", 1)],
        [("A", 20), ("B", 4), ("C", 4)],
        [("A", 3), ("B", 1)],
        [("A", 5), ("B", 5), ("C", 4), ("D", 4), ("E", 4)],
    ],
)
def test_no_small_row_can_be_recovered_by_subtraction(rows: list[tuple[str, int]]) -> None:
    total = sum(n for _, n in rows)
    shown = breakdown(rows, 5)
    numbers = [int(n) for _, n in shown]
    assert all(n >= 5 for n in numbers), shown
    if shown:
        assert sum(numbers) == total  # every row shown is exact, and the rest is in «Andre», itself at least 5
    small = {label for label, n in rows if n < 5}
    assert not small & {label for label, _ in shown}


def _record(number: int, recommendation: str, categories: list[str]) -> EscalationRecord:
    day = FROZEN_NOW.date() - dt.timedelta(days=1)
    return EscalationRecord(
        id=f"B-{number:04d}", started_on=day, completed_on=day, recommendation=recommendation, categories=categories
    )


async def _add(bot: Bot, *groups: tuple[int, str, list[str]]) -> None:
    number = 0
    async with bot.db.session() as session:
        for count, recommendation, categories in groups:
            for _ in range(count):
                number += 1
                await add_escalation(session, record=_record(number, recommendation, categories))


def _numbers(reply: str) -> list[str]:
    return re.findall(r": (under \d+|\d+)$", reply, flags=re.MULTILINE)


async def test_the_digest_shows_few_records_as_under_five_and_no_breakdown(coordinator: Conversation, bot: Bot) -> None:
    await _add(bot, (2, "innsatsteam_samtykke", ["rusbruk"]), (1, "barnevern", ["vold"]))
    reply = await coordinator.say("oppsummering")
    assert "I alt: under 5" in reply
    assert "SLT-innsatsteam med samtykke" not in reply and "Gjaldt: Rusbruk" not in reply
    assert not re.search(r": [1-4]$", reply, flags=re.MULTILINE), reply


async def test_the_digest_folds_small_rows_so_the_total_gives_nothing_away(coordinator: Conversation, bot: Bot) -> None:
    await _add(bot, (6, "innsatsteam_samtykke", ["rusbruk"]), (2, "barnevern", ["rusbruk", "vold"]))
    reply = await coordinator.say("oppsummering")
    assert "I alt: 8" in reply
    # 6 + 2: the 2 cannot be shown, and 8 - 6 would tell it, so there is no breakdown by recommendation.
    assert "SLT-innsatsteam med samtykke: 6" not in reply and "Barnevernet" not in reply
    # By category: 8 and 2, and the 2 alone would be too few, so the categories are not broken down either.
    assert "Gjaldt:" not in reply


async def test_the_digest_shows_big_rows_and_one_row_for_the_rest(coordinator: Conversation, bot: Bot) -> None:
    await _add(
        bot, (9, "innsatsteam_samtykke", ["rusbruk"]), (3, "barnevern", ["vold"]), (3, "skolens_team", ["fravaer"])
    )
    reply = await coordinator.say("oppsummering")
    assert "I alt: 15" in reply and "SLT-innsatsteam med samtykke: 9" in reply
    assert "Gjaldt: Rusbruk: 9" in reply and reply.count("Andre: 6") == 2
    assert "Barnevern" not in reply and "Gjaldt: Vold" not in reply and "Gjaldt: Fravær" not in reply
    assert not re.search(r": [1-4]$", reply, flags=re.MULTILINE), reply


async def test_bekymringer_counts_follow_the_same_rule(coordinator: Conversation, bot: Bot) -> None:
    await _add(bot, (6, "innsatsteam_samtykke", ["rusbruk"]), (1, "barnevern", ["vold"]))
    reply = await coordinator.say("bekymringer")
    assert "I alt: 7" in reply
    assert "SLT-innsatsteam med samtykke: 6" not in reply and "Andre" not in reply.split("Siste")[0]


async def test_the_minimum_is_set_in_the_municipality_file(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "kommune.yaml"
    path.write_text(BUNDLED_MUNICIPALITY.read_text(encoding="utf-8") + "\nprivacy: {minimum_count: 10}\n")
    bot = build_bot(dataclasses.replace(settings, municipality_path=path), clock=FrozenClock(FROZEN_NOW))
    await bot.start()
    try:
        await _add(bot, (8, "innsatsteam_samtykke", ["rusbruk"]))
        reply = await Conversation(bot, user="koordinator").say("oppsummering")
        assert "I alt: under 10" in reply
    finally:
        await bot.close()
