"""Slack payloads -> Inbound, with the idempotency key and where to answer. Pure functions, no Slack calls."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, fields
from typing import Any

from bot.channels.slack.render import PICK_SUFFIX, SEPARATOR, STATE_VALUE
from bot.core.messages import Inbound, inbound_from_payload, inbound_to_payload

CHANNEL = "slack"
# The text each slash command stands for: /slt-tema Skjermbruk -> "tema Skjermbruk".
COMMANDS = {"/slt": "", "/slt-tema": "tema", "/slt-bekymring": "bekymring"}  # vocabulary: command words
# A bare /slt asks for the menu.
HELP_WORD = "hjelp"  # vocabulary: the command word for help
_MENTION = re.compile(r"<@[A-Z0-9]+>\s*")


@dataclass(frozen=True)
class Where:
    """Where the answer goes: a Slack channel, or None for the user's DM.

    The interaction's trigger id (it opens one modal within 3 seconds) is kept while it is valid.
    """

    channel: str | None
    user: str
    is_dm: bool
    trigger_id: str = ""
    # Slash commands and clicks in ephemeral messages are answered so only the user sees it.
    private: bool = False
    # The workspace, whose bot token answers (several workspaces: each has its own installation).
    team: str = ""


def _conversation(user: str, channel: str | None, is_dm: bool) -> str:
    # One conversation per user in DMs, whether reached through the D-channel, App Home or a modal.
    return f"slack:dm:{user}" if is_dm or not channel else f"slack:{channel}"


def _inbound(user: str, channel: str | None, is_dm: bool, **fields: Any) -> Inbound:
    return Inbound(CHANNEL, f"slack:{user}", _conversation(user, channel, is_dm), direct=is_dm, **fields)


def from_command(body: dict[str, Any]) -> tuple[str, Inbound, Where]:
    """A slash command. Slack does not retry commands; the trigger id is unique per invocation."""
    user, channel = body["user_id"], body.get("channel_id")
    is_dm = body.get("channel_name") == "directmessage" or str(channel or "").startswith("D")
    word = COMMANDS.get(body.get("command", ""), "")
    text = " ".join(part for part in (word, body.get("text", "").strip()) if part) or HELP_WORD
    where = Where(channel, user, is_dm, body.get("trigger_id", ""), private=True)
    return f"command:{body.get('trigger_id', '')}", _inbound(user, channel, is_dm, text=text), where


def from_event(body: dict[str, Any]) -> tuple[str, Inbound, Where] | None:
    """A DM message or a mention; None for what the bot ignores (its own messages, edits, joins)."""
    event = body.get("event", {})
    if event.get("bot_id") or event.get("subtype") or "user" not in event:
        return None
    kind = event.get("type")
    if kind == "message" and event.get("channel_type") != "im":
        return None
    if kind not in ("message", "app_mention"):
        return None
    user, channel = event["user"], event.get("channel")
    is_dm = event.get("channel_type") == "im"
    text = _MENTION.sub("", event.get("text", "")).strip()
    key = f"event:{body.get('event_id') or event.get('client_msg_id') or event.get('ts')}"
    return key, _inbound(user, channel, is_dm, text=text), Where(channel, user, is_dm)


def from_action(body: dict[str, Any]) -> tuple[str, Inbound, Where] | None:
    """A button or select in a message or App Home; None for a checkbox change (the 'Neste' button counts)."""
    action = body["actions"][0]
    action_id: str = action["action_id"]
    if PICK_SUFFIX in action_id:
        return None
    base = action_id.split(SEPARATOR, 1)[0]
    user = body["user"]["id"]
    channel = (body.get("container") or {}).get("channel_id") or (body.get("channel") or {}).get("id")
    is_dm = not channel or str(channel).startswith("D") or body.get("view", {}).get("type") == "home"
    value: str | list[str]
    if action.get("value") == STATE_VALUE:
        value = _checked(body.get("state", {}).get("values", {}), base)
    elif "selected_options" in action:
        value = [option["value"] for option in action["selected_options"]]
    elif "selected_option" in action:
        value = action["selected_option"]["value"]
    else:
        value = action.get("value", "")
    key = f"action:{body.get('trigger_id') or action.get('action_ts')}"
    private = bool((body.get("container") or {}).get("is_ephemeral"))
    where = Where(None if is_dm else channel, user, is_dm, body.get("trigger_id", ""), private=private)
    return key, _inbound(user, None if is_dm else channel, is_dm, action=base, values={"value": value}), where


def _checked(state: dict[str, Any], base: str) -> list[str]:
    """The boxes ticked in the message, for the multi-choice whose 'Neste' button was pressed."""
    picked: list[str] = []
    for block in state.values():
        for action_id, element in block.items():
            if action_id.startswith(base + PICK_SUFFIX):
                picked += [option["value"] for option in element.get("selected_options", [])]
    return picked


def metadata(where: Where) -> dict[str, str]:
    """What a modal carries so its submission is answered in the same place."""
    return {key: str(value) for key, value in asdict(where).items() if key in ("channel", "user", "is_dm", "private")}


def from_view_submission(body: dict[str, Any]) -> tuple[str, Inbound, Where]:
    """A submitted modal: the form's action with each field's value."""
    view = body["view"]
    user = body["user"]["id"]
    meta = json.loads(view.get("private_metadata") or "{}")
    channel = meta.get("channel") if meta.get("channel") not in (None, "None", "") else None
    is_dm = meta.get("is_dm", "True") == "True" or channel is None
    values: dict[str, str | list[str]] = {}
    for name, block in view.get("state", {}).get("values", {}).items():
        element = block.get("value", {})
        if "selected_options" in element:
            values[name] = [option["value"] for option in element["selected_options"]]
        elif element.get("selected_option"):
            values[name] = element["selected_option"]["value"]
        elif "selected_date" in element:
            values[name] = element.get("selected_date") or ""
        else:
            values[name] = element.get("value") or ""
    key = f"view:{view.get('id')}:{view.get('hash')}"
    inbound = _inbound(user, None if is_dm else channel, is_dm, action=view["callback_id"], values=values)
    return key, inbound, Where(None if is_dm else channel, user, is_dm, private=meta.get("private") == "True")


def team_id(body: dict[str, Any]) -> str:
    """The Slack workspace a payload came from ('' when it names none)."""
    team = body.get("team")
    found = body.get("team_id") or (team.get("id") if isinstance(team, dict) else None)
    found = found or (body.get("event") or {}).get("team") or (body.get("user") or {}).get("team_id")
    return str(found or "")


def to_payload(inbound: Inbound, where: Where) -> dict[str, Any]:
    """What the inbox keeps of an item: the Inbound and where to answer (JSON data)."""
    return {
        "inbound": inbound_to_payload(inbound),
        "where": {
            "channel": where.channel,
            "user": where.user,
            "is_dm": where.is_dm,
            "trigger_id": where.trigger_id,
            "private": where.private,
            "team": where.team,
        },
    }


def from_payload(payload: dict[str, Any]) -> tuple[Inbound, Where]:
    """The item to_payload wrote; fields an older version kept (and this one does not) are ignored."""
    known = {field.name for field in fields(Where)}
    where = {key: value for key, value in payload["where"].items() if key in known}
    return inbound_from_payload(payload["inbound"]), Where(**where)
