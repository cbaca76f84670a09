"""What the municipality file and flow files share: a strict model base, and one readable line per error."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.core.catalog import t

# pydantic's error types that have a message of our own (catalogue keys `validation.<type>`).
_OWN_MESSAGES = frozenset(
    (
        "missing extra_forbidden date_from_datetime_parsing date_parsing date_type time_parsing time_type "
        "string_type int_type int_parsing tuple_type dict_type model_type less_than_equal greater_than_equal"
    ).split()
)
_FIELD_IN_MESSAGE = re.compile(r"^(?P<field>[a-z_]+\[\d+\]\.[a-z_]+): (?P<message>.*)$")


class StrictModel(BaseModel):
    """Frozen, no unknown fields (a typo is an error, not silently ignored), surrounding spaces stripped."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


# The tags pydantic adds to a location for validators and union members; field and step names are kept.
_INTERNAL = re.compile(r"function-(?:after|before|wrap|plain)\[.*\]|int|str|none|bool|float|(?:list|tuple|dict)\[.*\]")


def location(loc: tuple[int | str, ...]) -> str:
    """Render a pydantic error location as `contacts[1].phone` (or `steps.intro.choices[0].label`)."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not _INTERNAL.fullmatch(part):
            text += f".{part}" if text else part
    return text or t("validation.top_level")


def describe_error(error: ValidationError) -> str:
    """'<field>: <what is wrong>' for the first bad field."""
    first = error.errors()[0]
    kind = first["type"]
    if kind == "literal_error":
        message = t("validation.literal_error", allowed=first.get("ctx", {}).get("expected", ""))
    elif kind in _OWN_MESSAGES:
        message = t(f"validation.{kind}")
    else:
        message = str(first["msg"]).removeprefix("Value error, ")
    where = location(tuple(first["loc"]))
    # Cross-reference checks run on the whole model, so they put the field's path in the message.
    located = _FIELD_IN_MESSAGE.match(message)
    if located:
        where = f"{where}.{located['field']}" if first["loc"] else located["field"]
        message = located["message"]
    return f"{where}: {message}"


def language_codes(values: Any) -> Any:
    """`translations: {en: {role: Police contact}}`: per language code, some of the entry's texts."""
    if isinstance(values, dict):
        for code in values:
            if not (isinstance(code, str) and code.isalpha() and len(code) in (2, 3)):
                raise ValueError(t("municipality.bad_language", value=code))
    return values
