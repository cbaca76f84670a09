"""User-facing text, kept in per-language catalogues (bot/data/messages.<lang>.yaml) so languages can be added."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).resolve().parents[1] / "data"
DEFAULT_LANGUAGE = "nb"


@cache
def _catalogue(language: str) -> dict[str, str]:
    path = DATA / f"messages.{language}.yaml"
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        raise ValueError(f"{path} must map message keys to text")
    return {str(key): str(value).rstrip("\n") for key, value in loaded.items()}


def t(key: str, /, language: str = DEFAULT_LANGUAGE, **values: Any) -> str:
    """The text for `key` in `language` (bokmål by default), with its {named} values filled in."""
    template = _catalogue(language).get(key)
    if template is None:
        template = _catalogue(DEFAULT_LANGUAGE)[key]
    return template.format(**values) if values else template


def has_catalogue(language: str) -> bool:
    """Whether the bot has its own texts in this language (others fall back to bokmål)."""
    return (DATA / f"messages.{language}.yaml").is_file()
