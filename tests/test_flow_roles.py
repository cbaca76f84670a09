"""The escalation flow names meanings, not ids: a municipality maps them, and what it lacks is left out."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.app import build_bot
from bot.check import check
from bot.config import BUNDLED_MUNICIPALITY, Settings
from tests.conftest import FROZEN_NOW, FrozenClock
from tests.conversation import Conversation


def _own_file(tmp_path: Path) -> Path:
    """The example, rewritten as another municipality would: own ids, no barnevernvakt, no consent form."""
    data: dict[str, Any] = yaml.safe_load(BUNDLED_MUNICIPALITY.read_text(encoding="utf-8"))
    data["contacts"] = [c for c in data["contacts"] if c["id"] != "barnevernvakt"]
    for contact in data["contacts"]:
        if contact["id"] == "politikontakt":
            contact["id"] = "politiet"
    data["routines"] = [r for r in data["routines"] if r["id"] != "samtykkeskjema"]
    for routine in data["routines"]:
        routine["contacts"] = ["politiet" if c == "politikontakt" else c for c in routine.get("contacts", [])]
    data["roles"] = {**data["roles"], "politikontakt": "politiet"}
    path = tmp_path / "egen-kommune.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


async def test_missing_roles_are_a_warning_and_the_bot_still_starts(
    tmp_path: Path, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(database_url=database_url, municipality_path=_own_file(tmp_path))
    with caplog.at_level(logging.WARNING):
        bot = build_bot(settings, clock=FrozenClock(FROZEN_NOW))
        await bot.start()
    try:
        warned = " ".join(record.getMessage() for record in caplog.records)
        assert "'barnevernvakt'" in warned and "'samtykkeskjema'" in warned
        assert "'politikontakt'" not in warned  # mapped under roles
        staff = Conversation(bot, user="ansatt")
        await staff.say("bekymring")
        acute = await staff.say("ja")
        assert "Ring nå" in acute and "112" in acute
        assert "Barnevernvakten (kveld" not in acute  # the file has none; the step is shown without it
        await staff.say("bekymring")
        await staff.say("nei")
        police = await staff.say("ja")
        # «politikontakt» is this file's «politiet»: the mapped contact is shown.
        assert "Varsle politiet nå" in police and "Ola Testrud" in police
    finally:
        await bot.close()


def test_check_says_which_steps_lose_what(tmp_path: Path) -> None:
    (report,) = check(_own_file(tmp_path), FROZEN_NOW.date())
    assert report.errors == []
    gaps = [note for note in report.notes if "veiledningen" in note]
    assert len(gaps) == 2
    vakt = next(note for note in gaps if "«barnevernvakt»" in note)
    assert "akutt_ring" in vakt and "roles: {barnevernvakt: <id>}" in vakt
    assert any("«samtykkeskjema»" in note and "viser ingen lenke" in note for note in gaps)


def test_a_role_mapped_to_nothing_is_an_error_that_says_where(tmp_path: Path) -> None:
    data = yaml.safe_load(BUNDLED_MUNICIPALITY.read_text(encoding="utf-8"))
    data["roles"]["politikontakt"] = "politi-kontakten"
    path = tmp_path / "kommune.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    (report,) = check(path, FROZEN_NOW.date())
    assert len(report.errors) == 1
    assert "roles.politikontakt" in report.errors[0] and "«politi-kontakten»" in report.errors[0]
