"""Reply -> Bot Framework activity: plain text where a card adds nothing, else an Adaptive Card 1.5.

Teams renders Adaptive Cards up to schema 1.5, and a message must stay well under about 100 KB. Choices are
Action.Submit buttons (several at once: an Input.ChoiceSet with a submit), forms are Input.* fields with a
submit; the submit's data carries the action, so a card submit becomes an Inbound like a button in Slack.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.core.catalog import t
from bot.core.messages import Choices, Facts, Form, FormField, Image, Link, Part, Reply, Text

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.5"
MAX_CARD_BYTES = 28_000  # Teams allows about 100 KB a message; cards stay far below
MAX_ACTIONS = 6  # Teams shows at most six buttons in a card's action bar; more become a ChoiceSet
_BOLD = re.compile(r"(?<!\*)\*(\S(?:[^*\n]*\S)?)\*(?!\*)")


def markdown(text: str) -> str:
    """Our *bold* as Teams markdown **bold**; lines starting '- ' stay a list."""
    return _BOLD.sub(r"**\1**", text)


def _text_block(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": markdown(text), "wrap": True, **extra}


def _facts(part: Facts) -> list[dict[str, Any]]:
    body: list[dict[str, Any]] = []
    if part.title:
        body.append(_text_block(part.title, weight="Bolder"))
    body.append(
        {"type": "FactSet", "facts": [{"title": label, "value": markdown(value)} for label, value in part.items]}
    )
    return body


def _choices(part: Choices) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(body elements, actions) for a choice: buttons, or a ChoiceSet with a submit."""
    body = [_text_block(part.prompt, weight="Bolder")] if part.prompt else []
    if part.multiple or len(part.options) > MAX_ACTIONS:
        input_id = "value"
        body.append(
            {
                "type": "Input.ChoiceSet",
                "id": input_id,
                "isMultiSelect": part.multiple,
                "style": "expanded",
                "choices": [{"title": o.label, "value": o.value} for o in part.options],
            }
        )
        return body, [{"type": "Action.Submit", "title": t("choices.next"), "data": {"action": part.action}}]
    actions = [
        {"type": "Action.Submit", "title": o.label, "data": {"action": part.action, "value": o.value}}
        for o in part.options
    ]
    return body, actions


def _input(field: FormField) -> dict[str, Any]:
    base: dict[str, Any] = {"id": field.name, "label": field.label, "isRequired": field.required}
    if field.required:
        base["errorMessage"] = t("form.required")
    if field.kind in ("text", "multiline"):
        element = {
            "type": "Input.Text",
            **base,
            "isMultiline": field.kind == "multiline",
            "maxLength": field.max_length,
        }
        if field.hint:
            element["placeholder"] = field.hint
        return element
    if field.kind == "date":
        return {"type": "Input.Date", **base}
    return {
        "type": "Input.ChoiceSet",
        **base,
        "isMultiSelect": field.kind == "multiselect",
        "style": "compact",
        "choices": [{"title": o.label, "value": o.value} for o in field.options],
    }


def card(parts: tuple[Part, ...]) -> dict[str, Any]:
    """The parts as one Adaptive Card 1.5."""
    body: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    for part in parts:
        if isinstance(part, Text):
            body.append(_text_block(part.text))
        elif isinstance(part, Facts):
            body += _facts(part)
        elif isinstance(part, Link):
            actions.append({"type": "Action.OpenUrl", "title": part.title[:60], "url": part.url})
        elif isinstance(part, Image):
            body.append({"type": "Image", "url": part.url, "altText": part.alt, "size": "Stretch"})
        elif isinstance(part, Choices):
            more_body, more_actions = _choices(part)
            body += more_body
            # Each choice's buttons are an ActionSet in the body, so two choices in a reply stay apart.
            body.append({"type": "ActionSet", "actions": more_actions})
        elif isinstance(part, Form):
            body.append(_text_block(part.title, weight="Bolder", size="Medium"))
            body += [_input(f) for f in part.fields]
            body.append(
                {
                    "type": "ActionSet",
                    "actions": [
                        {
                            "type": "Action.Submit",
                            "title": part.submit_label or t("form.submit"),
                            "data": {"action": part.action},
                        }
                    ],
                }
            )
    result: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "body": body,
    }
    if actions:
        result["actions"] = actions
    return result


def activity(reply: Reply) -> dict[str, Any]:
    """The reply as an activity to post: text alone when that is all it has, otherwise an Adaptive Card."""
    texts = [p.text for p in reply.parts if isinstance(p, Text)]
    if len(texts) == len(reply.parts):
        return {"type": "message", "text": markdown("\n\n".join(texts)), "textFormat": "markdown"}
    content = card(reply.parts)
    if len(json.dumps(content).encode()) > MAX_CARD_BYTES:
        content = card((*reply.parts[:10], Text(t("teams.truncated"))))
    summary = next((p.text for p in reply.parts if isinstance(p, Text)), "SLT-assistenten")
    return {
        "type": "message",
        "summary": summary[:200].replace("*", ""),
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "content": content}],
    }
