"""Bot Framework activities -> Inbound, with the idempotency key and the conversation reference. Pure functions."""

from __future__ import annotations

import re
from typing import Any

from bot.messages import Inbound

CHANNEL = "teams"
_MENTION = re.compile(r"<at>.*?</at>\s*", re.IGNORECASE | re.DOTALL)


def user_id(activity: dict[str, Any]) -> str:
    """'teams:<AAD object id>' (stable across chats, and what admins know), else the channel account id."""
    sender = activity.get("from") or {}
    return f"teams:{sender.get('aadObjectId') or sender.get('id', '')}"


def conversation_id(activity: dict[str, Any]) -> str:
    """'teams:<conversation id>'."""
    return f"teams:{(activity.get('conversation') or {}).get('id', '')}"


def reference(activity: dict[str, Any]) -> dict[str, Any]:
    """The ConversationReference: enough to post into this conversation later, after restarts."""
    return {
        "activityId": activity.get("id"),
        "user": activity.get("from"),
        "bot": activity.get("recipient"),
        "conversation": activity.get("conversation"),
        "channelId": activity.get("channelId"),
        "locale": activity.get("locale"),
        "serviceUrl": activity.get("serviceUrl"),
    }


def kind(activity: dict[str, Any]) -> str:
    """personal, groupChat or channel."""
    return str((activity.get("conversation") or {}).get("conversationType") or "personal")


def from_message(activity: dict[str, Any]) -> tuple[str, Inbound]:
    """A message (typed text, or an Adaptive Card submit carrying its action in `value`)."""
    direct = kind(activity) == "personal"
    value = activity.get("value")
    key = f"activity:{activity.get('id')}"
    if isinstance(value, dict) and value.get("action"):
        values = {
            k: (v if isinstance(v, str) else [str(x) for x in v] if isinstance(v, list) else str(v))
            for k, v in value.items()
            if k != "action"
        }
        # Input.ChoiceSet with several picks arrives as "a,b".
        if isinstance(values.get("value"), str) and "," in str(values["value"]):
            values["value"] = str(values["value"]).split(",")
        inbound = Inbound(
            CHANNEL,
            user_id(activity),
            conversation_id(activity),
            action=str(value["action"]),
            values=values,
            direct=direct,
        )
        return key, inbound
    text = _MENTION.sub("", activity.get("text") or "").strip()
    return key, Inbound(CHANNEL, user_id(activity), conversation_id(activity), text=text, direct=direct)


def is_install(activity: dict[str, Any]) -> bool:
    """The bot was added to a chat or team (the bot among membersAdded, or installationUpdate add)."""
    if activity.get("type") == "installationUpdate":
        return activity.get("action") in ("add", "add-upgrade")
    if activity.get("type") == "conversationUpdate":
        bot = (activity.get("recipient") or {}).get("id")
        return any(member.get("id") == bot for member in activity.get("membersAdded") or [])
    return False
