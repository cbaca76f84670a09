"""Safety first: a message that says someone is in acute danger is answered with the emergency numbers first.

Whatever the municipality file says (or lacks), «noen er i akutt fare» gets 112, 113 and 110 before anything
else, and the municipality's child welfare emergency service (barnevernvakt) when the file has one. The cues are
words of danger now (bokmål and nynorsk), not of a topic: «selvmord» in «forebygging av selvmord» is a topic,
«han snakker om å ta livet sitt» is not.
"""

from __future__ import annotations

import re

from bot.core.catalog import t
from bot.core.messages import Facts, Part, Reply, Text
from bot.core.text import fold
from bot.municipality import Municipality

# Folded text (æ->e, ø->o, å->a). Danger now, or a person at risk of dying or being seriously hurt.
_ACUTE = re.compile(
    r"\b(?:akutt|akutte|livsfare|livstruende|livsfarlig|i fare|fare for liv|fare for livet|nodsituasjon|nod|"
    r"haster|ta livet av seg|ta livet sitt|ta sitt eget liv|tek livet sitt|drepe seg|vil do|skade seg selv|"
    r"skade seg sjolv|selvmordsfare|sjolvmordsfare|selvmordstanker|sjolvmordstankar|suicidal|overdose|"
    r"bevisstlos|medvitslaus|puster ikke|pustar ikkje|blor mye|blir slatt na|slar na|vold na|truer med kniv|"
    r"trugar med kniv|har kniv na|vapen na|blir voldtatt|overgrep na|rommer na|savnet na|forsvunnet)\b"
)
# «hva er akutt fare?», «rutine for akutte situasjoner»: asking about the routine, not reporting danger.
_ABOUT = re.compile(r"\b(?:hva er|kva er|hva betyr|kva tyder|rutine for|rutinen for|definisjon|forebygging)\b")


def is_acute(text: str) -> bool:
    """Whether the text reports acute danger (and is not only a question about what acute means)."""
    folded = fold(text)
    return bool(_ACUTE.search(folded)) and not _ABOUT.search(folded)


def acute_reply(municipality: Municipality) -> Reply:
    """The emergency numbers, and the municipality's barnevernvakt when its file has one."""
    items = [
        (t("safety.police"), "112"),
        (t("safety.ambulance"), "113"),
        (t("safety.fire"), "110"),
        (t("safety.children_line"), "116 111"),
    ]
    vakt = municipality.role_contact("barnevernvakt") or next(
        (c for c in municipality.contacts if "barnevernvakt" in fold(f"{c.id} {c.role} {c.name}")), None
    )
    if vakt is not None and vakt.phone:
        items.insert(2, (vakt.name, vakt.phone))
    parts: list[Part] = [Text(t("safety.first")), Facts(title=t("safety.title"), items=tuple(items))]
    parts.append(Text(t("safety.then")))
    return Reply(parts=tuple(parts))
