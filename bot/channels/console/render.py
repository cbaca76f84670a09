"""Reply -> plain text for the terminal, with every choice numbered across the reply."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.catalog import t
from bot.core.messages import Choices, Facts, Form, Image, Link, Reply, Text

_BOLD = re.compile(r"\*(\S(?:[^*\n]*\S)?)\*")


@dataclass(frozen=True)
class NumberedChoice:
    """What typing a number in the console means: this action with this value."""

    number: int
    label: str
    action: str
    value: str
    multiple: bool


def plain(text: str) -> str:
    """Drop the *bold* markers, which a terminal cannot show."""
    return _BOLD.sub(r"\1", text)


def render(reply: Reply, *, first_number: int = 1) -> tuple[str, list[NumberedChoice]]:
    """The reply as terminal text, and the numbered choices it offers."""
    lines: list[str] = []
    numbered: list[NumberedChoice] = []
    number = first_number
    for part in reply.parts:
        if isinstance(part, Text):
            lines.append(plain(part.text))
        elif isinstance(part, Facts):
            if part.title:
                lines.append(plain(part.title))
            lines += [f"  {label}: {plain(value)}" for label, value in part.items]
        elif isinstance(part, Link):
            lines.append(f"  {part.title}: {part.url}")
        elif isinstance(part, Image):
            lines.append(f"  {t('console.image', alt=part.alt)}: {part.url}")
        elif isinstance(part, Choices):
            if part.prompt:
                lines.append(f"{part.prompt} {t('console.pick_many')}:" if part.multiple else f"{part.prompt}:")
            for option in part.options:
                lines.append(f"  {number}) {option.label}")
                numbered.append(NumberedChoice(number, option.label, part.action, option.value, part.multiple))
                number += 1
        elif isinstance(part, Form):
            lines.append(plain(part.title))
    return "\n".join(lines), numbered
