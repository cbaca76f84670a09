"""The message catalogue: it loads, and every key the code asks for exists."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.core.catalog import DATA

ROOT = Path(__file__).resolve().parent.parent
_LITERAL_KEY = re.compile(r"""\bt\(\s*f?["']([a-z_][a-z0-9_.]*[a-z0-9_])["']""")


def test_every_literal_key_in_the_code_exists() -> None:
    catalogue = yaml.safe_load((DATA / "messages.nb.yaml").read_text(encoding="utf-8"))
    assert isinstance(catalogue, dict)
    used = {
        key
        for package in ("bot", "handlers")
        for path in (ROOT / package).rglob("*.py")
        for key in _LITERAL_KEY.findall(path.read_text(encoding="utf-8"))
    }
    assert len(used) > 100
    assert sorted(key for key in used if key not in catalogue) == []


def test_no_value_was_cut_by_a_yaml_comment() -> None:
    # An unquoted " #" starts a comment in YAML and silently cuts the text.
    for line in (DATA / "messages.nb.yaml").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith(("#", " ")) and ": " in line:
            value = line.split(": ", 1)[1]
            assert " #" not in value or value.startswith(('"', ">")), line
