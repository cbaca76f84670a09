"""Reply -> Block Kit: messages, modals for forms, and the App Home view. Pure functions, no Slack calls.

Limits respected here: 50 blocks a message and 100 a modal, 3,000 characters a section, 75 a button label,
2,000 a button value, 25 elements an actions block, 10 checkbox and 100 select options, 24 a modal title.
"""

from __future__ import annotations

import json
from typing import Any

from bot.core.catalog import t
from bot.core.messages import Choices, Facts, Form, FormField, Image, Link, Part, Reply, Text

MAX_MESSAGE_BLOCKS = 50
MAX_MODAL_BLOCKS = 100
MAX_SECTION = 3000
MAX_LABEL = 75
MAX_VALUE = 2000
MAX_ACTIONS = 25
MAX_CHECKBOXES = 10
MAX_OPTIONS = 100
MAX_TITLE = 24
# action_id = "<action>|<n>": Slack wants unique action ids in a message; the part after | is dropped inbound.
SEPARATOR = "|"
# A checkbox change in a message fires an action too; this suffix marks it as "not yet: wait for the button".
PICK_SUFFIX = "#velg"  # vocabulary: an action id suffix, never shown
STATE_VALUE = "__state__"
OPEN_FORM = "open-form"


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(text: str, limit: int = MAX_LABEL) -> dict[str, Any]:
    return {"type": "plain_text", "text": _clip(text.replace("*", "") or " ", limit), "emoji": True}


def _sections(text: str) -> list[dict[str, Any]]:
    """Markdown text as sections of at most 3,000 characters, split at line breaks where possible."""
    blocks, chunk = [], ""
    for line in escape(text).split("\n"):
        while len(line) > MAX_SECTION:
            blocks.append(line[:MAX_SECTION])
            line = line[MAX_SECTION:]
        if len(chunk) + len(line) + 1 > MAX_SECTION:
            blocks.append(chunk)
            chunk = ""
        chunk = f"{chunk}\n{line}" if chunk else line
    if chunk.strip():
        blocks.append(chunk)
    return [{"type": "section", "text": {"type": "mrkdwn", "text": block}} for block in blocks]


def _facts(part: Facts) -> list[dict[str, Any]]:
    lines = [f"*{escape(part.title)}*"] if part.title else []
    lines += [f"*{escape(label)}:* {escape(value)}" for label, value in part.items]
    text = "\n".join(lines)
    return [{"type": "section", "text": {"type": "mrkdwn", "text": chunk}} for chunk in _split(text)]


def _split(text: str) -> list[str]:
    return [text[i : i + MAX_SECTION] for i in range(0, len(text), MAX_SECTION)] or [" "]


def _choices(part: Choices) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if part.prompt:
        blocks += _sections(f"*{part.prompt}*")
    if part.multiple:
        for start in range(0, len(part.options), MAX_CHECKBOXES):
            group = part.options[start : start + MAX_CHECKBOXES]
            checkboxes = {
                "type": "checkboxes",
                "action_id": f"{part.action}{PICK_SUFFIX}{SEPARATOR}{start}",
                "options": [{"text": _plain(o.label), "value": _clip(o.value, 150)} for o in group],
            }
            blocks.append({"type": "actions", "elements": [checkboxes]})
        done = {
            "type": "button",
            "text": _plain(t("choices.next")),
            "action_id": f"{part.action}{SEPARATOR}done",
            "value": STATE_VALUE,
            "style": "primary",
        }
        blocks.append({"type": "actions", "elements": [done]})
        return blocks
    buttons = [
        {
            "type": "button",
            "text": _plain(o.label),
            "action_id": f"{part.action}{SEPARATOR}{i}",
            "value": _clip(o.value, MAX_VALUE),
        }
        for i, o in enumerate(part.options)
    ]
    for start in range(0, len(buttons), MAX_ACTIONS):
        blocks.append({"type": "actions", "elements": buttons[start : start + MAX_ACTIONS]})
    return blocks


def _form_button(part: Form) -> list[dict[str, Any]]:
    """Where no trigger id is at hand (a typed message), a form becomes a button that opens it."""
    button = {
        "type": "button",
        "text": _plain(part.title),
        "action_id": OPEN_FORM,
        "value": part.action,
        "style": "primary",
    }
    return [{"type": "actions", "elements": [button]}]


def blocks_for(parts: tuple[Part, ...], *, limit: int = MAX_MESSAGE_BLOCKS) -> list[dict[str, Any]]:
    """The blocks for a reply's parts (forms are rendered elsewhere: as modals, or as an opening button)."""
    blocks: list[dict[str, Any]] = []
    for part in parts:
        if isinstance(part, Text):
            blocks += _sections(part.text)
        elif isinstance(part, Facts):
            blocks += _facts(part)
        elif isinstance(part, Link):
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"<{part.url}|{escape(part.title)}>"}})
        elif isinstance(part, Image):
            blocks.append({"type": "image", "image_url": part.url, "alt_text": part.alt[:2000]})
        elif isinstance(part, Choices):
            blocks += _choices(part)
        elif isinstance(part, Form):
            blocks += _form_button(part)
    if len(blocks) > limit:
        blocks = [*blocks[: limit - 1], *_sections(t("slack.truncated"))]
    return blocks


def fallback_text(reply: Reply) -> str:
    """The notification text (and what screen readers and old clients show)."""
    first = next((p for p in reply.parts if isinstance(p, Text | Facts)), None)
    if isinstance(first, Text):
        return _clip(first.text.replace("*", ""), 300)
    if isinstance(first, Facts):
        return _clip(first.title or "SLT-assistenten", 300)
    return "SLT-assistenten"


def message(reply: Reply) -> tuple[list[dict[str, Any]], str]:
    """A reply without its forms, as (blocks, fallback text)."""
    return blocks_for(tuple(p for p in reply.parts if not isinstance(p, Form))), fallback_text(reply)


def _input(field: FormField) -> dict[str, Any]:
    element: dict[str, Any]
    options = [{"text": _plain(o.label), "value": _clip(o.value, 150)} for o in field.options[:MAX_OPTIONS]]
    if field.kind in ("text", "multiline"):
        element = {
            "type": "plain_text_input",
            "action_id": "value",
            "multiline": field.kind == "multiline",
            "max_length": min(field.max_length, 3000),
        }
    elif field.kind == "date":
        element = {"type": "datepicker", "action_id": "value"}
    elif field.kind == "select":
        element = {"type": "static_select", "action_id": "value", "options": options}
    else:
        element = {"type": "multi_static_select", "action_id": "value", "options": options}
    block: dict[str, Any] = {
        "type": "input",
        "block_id": field.name,
        "label": _plain(field.label, 2000),
        "element": element,
        "optional": not field.required,
    }
    if field.hint:
        block["hint"] = _plain(field.hint, 2000)
    return block


def modal(form: Form, *, metadata: dict[str, str], intro: tuple[Part, ...] = ()) -> dict[str, Any]:
    """A form as a modal view; `metadata` (where to answer) travels in private_metadata."""
    blocks = blocks_for(intro, limit=10) + [_input(field) for field in form.fields]
    return {
        "type": "modal",
        "callback_id": form.action,
        "title": _plain(form.title, MAX_TITLE),
        "submit": _plain(form.submit_label or t("form.submit"), MAX_TITLE),
        "close": _plain(t("form.close"), MAX_TITLE),
        "private_metadata": json.dumps(metadata)[:3000],
        "blocks": blocks[:MAX_MODAL_BLOCKS],
    }


def notice_view(text: str) -> dict[str, Any]:
    """A modal that only says something (it replaces a submitted form that could not be taken)."""
    return {
        "type": "modal",
        "title": _plain(t("form.notice_title"), MAX_TITLE),
        "close": _plain(t("form.close"), MAX_TITLE),
        "blocks": blocks_for((Text(text),), limit=1),
    }


def home(reply: Reply) -> dict[str, Any]:
    """The App Home tab."""
    return {"type": "home", "blocks": blocks_for(reply.parts, limit=MAX_MODAL_BLOCKS)}
