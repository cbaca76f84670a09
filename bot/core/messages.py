"""Platform-neutral message types: what a channel hands the core (Inbound) and gets back (Reply)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from bot.core.text import clean_input


@dataclass(frozen=True)
class Inbound:
    """One thing a user did: a message, or an action (button, select, form submit) with its values.

    `user_id` and `conversation_id` are platform ids prefixed by the channel ("slack:U123"), so one
    user on two platforms is two users, and ids from different platforms never collide.
    """

    channel: str
    user_id: str
    conversation_id: str
    text: str = ""
    action: str | None = None
    values: Mapping[str, str | list[str]] = field(default_factory=dict)
    direct: bool = True
    # The municipalities the channel found for where this came from (its Slack workspace, its Microsoft 365
    # tenant or team); empty when the deployment serves one. Several: the bot asks or uses the person's choice.
    municipalities: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Clean what came from outside once, here, so no handler or table ever sees odd unicode or huge text."""
        object.__setattr__(self, "text", clean_input(str(self.text)))
        values = {
            str(key)[:100]: (
                [clean_input(str(v)) for v in value[:100]] if isinstance(value, list) else clean_input(str(value))
            )
            for key, value in list(self.values.items())[:100]
        }
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "municipalities", tuple(str(m)[:64] for m in self.municipalities[:20]))

    def privately(self) -> Inbound:
        """The same input in the person's private conversation with the bot, where private work lives.

        Every channel names that conversation '<channel>:dm:<user>', so a dialog started from a shared channel
        is continued in the direct chat.
        """
        bare_user = self.user_id.split(":", 1)[-1]
        return replace(self, conversation_id=f"{self.channel}:dm:{bare_user}", direct=True)

    @property
    def dialog_key(self) -> str:
        """The key a guided dialog in progress is stored under: one dialog per user and conversation."""
        return f"{self.conversation_id}|{self.user_id}"


@dataclass(frozen=True)
class Text:
    """A paragraph of text. Lines starting with '- ' render as a list where the platform has one."""

    text: str


@dataclass(frozen=True)
class Facts:
    """Label/value pairs, e.g. a contact card: rendered as a fact set or as 'label: value' lines."""

    items: tuple[tuple[str, str], ...]
    title: str = ""


@dataclass(frozen=True)
class Link:
    """A link to a routine, form or meeting."""

    title: str
    url: str


@dataclass(frozen=True)
class Image:
    """A picture the platform fetches from a URL (PNG), with the text read out in its place."""

    url: str
    alt: str


@dataclass(frozen=True)
class Choice:
    """One option of a Choices part: the label the user sees and the value the action carries."""

    label: str
    value: str


@dataclass(frozen=True)
class Choices:
    """Buttons (or a numbered list in text channels). Picking one sends an Inbound with `action`.

    With `multiple`, the user may pick several (a multi-select); the value is then a list.
    """

    action: str
    options: tuple[Choice, ...]
    prompt: str = ""
    multiple: bool = False


FieldKind = Literal["text", "multiline", "date", "select", "multiselect"]


@dataclass(frozen=True)
class FormField:
    """One input of a form."""

    name: str
    label: str
    kind: FieldKind = "text"
    required: bool = True
    options: tuple[Choice, ...] = ()
    hint: str = ""
    max_length: int = 2000


@dataclass(frozen=True)
class Form:
    """A form: a Slack modal, an Adaptive Card with inputs, or a prompt per field in the console."""

    action: str
    title: str
    fields: tuple[FormField, ...]
    # Empty: the channel shows the catalogue's default label.
    submit_label: str = ""


Part = Text | Facts | Link | Image | Choices | Form


@dataclass(frozen=True)
class Reply:
    """One message from the bot, made of ordered parts.

    `ephemeral` asks the channel to show it only to the user who asked, where the platform can.
    `private` says it belongs to one person (a dialog, a coordinator view): the channel delivers it in the
    person's private conversation with the bot, never in a shared channel or group chat.
    Where a proactive post goes is the outbox row's target, not the Reply's business.
    """

    parts: tuple[Part, ...]
    ephemeral: bool = False
    private: bool = False

    @classmethod
    def text(cls, text: str, *, ephemeral: bool = False) -> Reply:
        """A reply with a single paragraph of text."""
        return cls(parts=(Text(text),), ephemeral=ephemeral)

    @property
    def plain(self) -> str:
        """The reply's text parts joined, e.g. for a notification preview."""
        return "\n".join(part.text for part in self.parts if isinstance(part, Text))


_PART_TYPES: dict[str, type[Part]] = {
    "text": Text,
    "facts": Facts,
    "link": Link,
    "image": Image,
    "choices": Choices,
    "form": Form,
}


def inbound_to_payload(inbound: Inbound) -> dict[str, Any]:
    """An Inbound as plain JSON data (for the inbox, so a crash before the reply loses nothing)."""
    # Built by hand: dataclasses.asdict deep-copies, and this runs before every acknowledgement.
    return {
        "channel": inbound.channel,
        "user_id": inbound.user_id,
        "conversation_id": inbound.conversation_id,
        "text": inbound.text,
        "action": inbound.action,
        "values": dict(inbound.values),
        "direct": inbound.direct,
        "municipalities": list(inbound.municipalities),
    }


def inbound_from_payload(payload: Mapping[str, Any]) -> Inbound:
    """The Inbound that inbound_to_payload wrote (one from before municipalities has none)."""
    return Inbound(**{**payload, "municipalities": tuple(payload.get("municipalities", ()))})


def reply_to_payload(reply: Reply) -> dict[str, Any]:
    """A Reply as plain JSON data (for the outbox, which outlives the process)."""
    parts = []
    for part in reply.parts:
        name = next(key for key, kind in _PART_TYPES.items() if isinstance(part, kind))
        parts.append({"type": name, **asdict(part)})
    return {"parts": parts, "ephemeral": reply.ephemeral, "private": reply.private}


def reply_from_payload(payload: Mapping[str, Any]) -> Reply:
    """The Reply that reply_to_payload wrote."""
    parts: list[Part] = []
    for raw in payload.get("parts", []):
        data = {k: v for k, v in raw.items() if k != "type"}
        kind = raw["type"]
        if kind == "facts":
            parts.append(Facts(items=tuple((str(a), str(b)) for a, b in data["items"]), title=data.get("title", "")))
        elif kind == "choices":
            options = tuple(Choice(**option) for option in data.pop("options"))
            parts.append(Choices(options=options, **data))
        elif kind == "form":
            fields = tuple(
                FormField(**{**f, "options": tuple(Choice(**o) for o in f.get("options", ()))})
                for f in data.pop("fields")
            )
            parts.append(Form(fields=fields, **data))
        else:
            parts.append(_PART_TYPES[kind](**data))
    return Reply(
        parts=tuple(parts),
        ephemeral=bool(payload.get("ephemeral")),
        private=bool(payload.get("private")),
    )
