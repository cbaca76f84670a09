"""Bot Framework activities -> Inbound, with the idempotency key and the conversation reference. Pure functions."""

from __future__ import annotations

import re
from typing import Any

from bot.core.messages import Inbound

CHANNEL = "teams"
_MENTION = re.compile(r"<at>.*?</at>\s*", re.IGNORECASE | re.DOTALL)


def user_id(activity: dict[str, Any]) -> str:
    """'teams:<AAD object id>' (stable across chats, and what admins know), else the channel account id."""
    sender = activity.get("from") or {}
    return f"teams:{sender.get('aadObjectId') or sender.get('id', '')}"


def conversation_id(activity: dict[str, Any]) -> str:
    """'teams:dm:<user>' for the personal chat (where private work lives), else 'teams:<conversation id>'."""
    if kind(activity) == "personal":
        return f"teams:dm:{user_id(activity).removeprefix('teams:')}"
    return f"teams:{(activity.get('conversation') or {}).get('id', '')}"


def _account(account: Any, *fields: str) -> dict[str, Any] | None:
    """An account with only the fields a post needs: never the person's display name."""
    if not isinstance(account, dict):
        return None
    return {name: account[name] for name in fields if isinstance(account.get(name), str)}


def reference(activity: dict[str, Any]) -> dict[str, Any]:
    """The ConversationReference: enough to post into this conversation later, after restarts.

    Only a personal chat keeps its user (as ids): a channel or group chat is posted to as a whole, and nobody's
    display name is stored.
    """
    conversation = activity.get("conversation") or {}
    return {
        "activityId": activity.get("id"),
        "user": _account(activity.get("from"), "id", "aadObjectId") if kind(activity) == "personal" else None,
        "bot": _account(activity.get("recipient"), "id", "name"),
        "conversation": _account(conversation, "id", "conversationType", "tenantId"),
        "channelId": activity.get("channelId"),
        "locale": activity.get("locale"),
        "serviceUrl": activity.get("serviceUrl"),
    }


def sender_id(activity: dict[str, Any]) -> str:
    """The sender's channel account id ('29:...'), which the connector needs to open a personal chat."""
    return str((activity.get("from") or {}).get("id") or "")


_ID = re.compile(r"[\x21-\x7e]{1,200}")  # printable ASCII, bounded: fits every column and key it ends up in


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def well_formed(activity: Any) -> bool:
    """Whether an activity has the shape the bot relies on; anything else is answered 400 and not processed."""
    if not isinstance(activity, dict) or not _is_id(activity.get("type")) or not _is_id(activity.get("id")):
        return False
    sender = activity.get("from")
    conversation = activity.get("conversation")
    if not isinstance(sender, dict) or not _is_id(sender.get("id")):
        return False
    if not isinstance(conversation, dict) or not _is_id(conversation.get("id")):
        return False
    if sender.get("aadObjectId") is not None and not _is_id(sender["aadObjectId"]):
        return False
    if not isinstance(activity.get("serviceUrl"), str) or len(activity["serviceUrl"]) > 500:
        return False
    if not isinstance(conversation.get("conversationType", "personal"), str | None):
        return False
    if not isinstance(activity.get("recipient", {}), dict):
        return False
    if not isinstance(activity.get("text", ""), str | None) or not isinstance(activity.get("value", {}), dict | None):
        return False
    return isinstance(activity.get("membersAdded", []), list | None) and isinstance(
        activity.get("channelData", {}), dict | None
    )


def tenant_id(activity: dict[str, Any]) -> str:
    """The Microsoft 365 tenant the activity came from ('' when it carries none)."""
    tenant = (activity.get("channelData") or {}).get("tenant")
    found = tenant.get("id") if isinstance(tenant, dict) else None
    return str(found or (activity.get("conversation") or {}).get("tenantId") or "")


def team_id(activity: dict[str, Any]) -> str:
    """The Teams team a channel conversation belongs to ('' in personal and group chats)."""
    team = (activity.get("channelData") or {}).get("team")
    return str(team.get("id") or "") if isinstance(team, dict) else ""


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
        return any(isinstance(m, dict) and m.get("id") == bot for m in activity.get("membersAdded") or [])
    return False
