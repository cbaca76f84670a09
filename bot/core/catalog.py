"""User-facing text, kept in per-language catalogues (bot/data/messages.<lang>.yaml) so languages can be added.

The language of the text is the one in effect for the work at hand: the router sets it for each message (the
person's choice, else the municipality's), a scheduled job sets the municipality's. A catalogue dropped into
bot/data (messages.se.yaml for Northern Sami, say) is a language the bot speaks, with no change to the code;
a key it lacks falls back to bokmål.
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).resolve().parents[1] / "data"
DEFAULT_LANGUAGE = "nb"

_CURRENT: ContextVar[str] = ContextVar("language", default=DEFAULT_LANGUAGE)


@cache
def _catalogue(language: str) -> dict[str, str]:
    path = DATA / f"messages.{language}.yaml"
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        raise ValueError(f"{path} must map message keys to text")
    return {str(key): str(value).rstrip("\n") for key, value in loaded.items()}


def t(key: str, /, language: str | None = None, **values: Any) -> str:
    """The text for `key` in `language` (by default the one in effect), with its {named} values filled in."""
    code = language or _CURRENT.get()
    template = _catalogue(code).get(key) if has_catalogue(code) else None
    if template is None:
        template = _catalogue(DEFAULT_LANGUAGE)[key]
    return template.format(**values) if values else template


@cache
def has_catalogue(language: str) -> bool:
    """Whether the bot has its own texts in this language (others fall back to bokmål)."""
    return len(language) in (2, 3) and language.isalpha() and (DATA / f"messages.{language}.yaml").is_file()


@cache
def languages() -> tuple[str, ...]:
    """Every language the bot has a catalogue for, bokmål first."""
    found = sorted(path.name.split(".")[1] for path in DATA.glob("messages.*.yaml"))
    return (DEFAULT_LANGUAGE, *(code for code in found if code != DEFAULT_LANGUAGE))


def use_language(language: str) -> None:
    """Speak this language in the work at hand (this asyncio task and what it awaits); bokmål if unknown."""
    _CURRENT.set(language if has_catalogue(language) else DEFAULT_LANGUAGE)


def current_language() -> str:
    """The language in effect."""
    return _CURRENT.get()
