"""`slt-bot check`: a friendly report on a municipality file for the coordinator who edits it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from bot.check import check
from bot.cli import main
from bot.config import BUNDLED_MUNICIPALITY

TODAY = dt.date(2026, 12, 1)


def _variant(tmp_path: Path, change: dict[str, object] | None = None, drop: tuple[str, ...] = ()) -> Path:
    data = yaml.safe_load(BUNDLED_MUNICIPALITY.read_text(encoding="utf-8"))
    for key in drop:
        data.pop(key, None)
    data.update(change or {})
    path = tmp_path / "kommune.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_the_bundled_file_is_fine(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(BUNDLED_MUNICIPALITY)]) == 0
    assert "boten kan kjøre på denne filen" in capsys.readouterr().out


def test_an_error_says_where_and_stops_the_bot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = yaml.safe_load(BUNDLED_MUNICIPALITY.read_text(encoding="utf-8"))
    data["contacts"][0].pop("role")
    path = tmp_path / "kommune.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "feil må rettes" in out and "contacts[0].role" in out


def test_what_is_missing_is_said_with_what_the_bot_does_without_it(tmp_path: Path) -> None:
    path = _variant(tmp_path, drop=("coordinators",))
    (report,) = check(path, TODAY)
    assert report.errors == []
    assert any("ingen SLT-koordinatorer" in note and "oppsummeringen" in note for note in report.notes)


def test_routines_not_reviewed_for_a_year_are_named(tmp_path: Path) -> None:
    (report,) = check(BUNDLED_MUNICIPALITY, TODAY + dt.timedelta(days=800))
    assert any("sist gjennomgått" in note and "routines[" in note for note in report.notes)


def test_a_file_that_is_not_there(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path / "finnes-ikke.yaml")]) == 1
    assert "fant ikke kommunefilen" in capsys.readouterr().out
