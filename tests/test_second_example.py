"""The second example municipality (Fjordvik: nynorsk, its own ids, no keywords) works on the main paths."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import build_bot
from bot.check import check
from bot.config import BUNDLED_MUNICIPALITY, Settings
from bot.core.bot import Bot
from bot.municipality import load_municipality
from tests.conftest import FROZEN_NOW, FrozenClock
from tests.conversation import Conversation

FJORDVIK = BUNDLED_MUNICIPALITY.parent / "fjordvik-kommune.yaml"


@pytest.fixture
async def fjordvik(database_url: str) -> AsyncIterator[Bot]:
    bot = build_bot(Settings(database_url=database_url, municipality_path=FJORDVIK), clock=FrozenClock(FROZEN_NOW))
    await bot.start()
    yield bot
    await bot.close()


def test_the_file_has_no_keywords_and_is_fine() -> None:
    municipality = load_municipality(FJORDVIK)
    assert not any(entry.keywords for entry in (*municipality.contacts, *municipality.routines, *municipality.meetings))
    (report,) = check(FJORDVIK, FROZEN_NOW.date())
    assert report.errors == [] and not any("veiledningen" in note for note in report.notes)


async def test_help_contacts_and_meeting_plan(fjordvik: Bot) -> None:
    staff = Conversation(fjordvik, user="tilsett")
    assert "Fjordvik kommune" in await staff.say("hjelp")
    contacts = await staff.say("kontaktar")
    assert "Solveig Rindabotn" in contacts and "Eirik Hjelmevoll" in contacts
    plan = await staff.say("møteplan")
    assert "SLT-frokostmøte" in plan and "Politirådet i Fjordvik" in plan


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("kven er politikontakten?", "Eirik Hjelmevoll"),
        ("kvar finn eg samtykkeskjemaet?", "samtykke"),
        ("når er neste frokostmøte?", "Neste SLT-frokostmøte er onsdag"),
        ("eg er uroa for ein elev, kva gjer eg?", "Rutine ved uro for barn og unge"),
    ],
)
async def test_questions_in_nynorsk_and_bokmal(fjordvik: Bot, question: str, expected: str) -> None:
    assert expected in await Conversation(fjordvik, user="tilsett").say(question)


async def test_the_escalation_routine_shows_this_municipalitys_own_contacts(fjordvik: Bot) -> None:
    staff = Conversation(fjordvik, user="tilsett")
    await staff.say("bekymring")
    await staff.say("nei")  # not acute
    police = await staff.say("ja")  # avvergeplikt: yes
    # The flow names «politikontakt» and «voldsrutine»; the file maps them to its own ids under roles.
    assert "Varsle politiet no" in police and "Eirik Hjelmevoll" in police  # in nynorsk, the file's language
    assert "fjordvik.kommune.example/slt/vald" in police
