"""Safety first: a message that says someone is in acute danger is answered with the emergency numbers first.

Whatever the municipality file says (or lacks), «noen er i akutt fare» gets 112, 113 and 110 before anything
else, and the municipality's child welfare emergency service (barnevernvakt) when the file has one. The cues are
words of danger now (bokmål and nynorsk), not of a topic: «selvmord» in «forebygging av selvmord» is a topic,
«han snakker om å ta livet sitt» is not.
"""

from __future__ import annotations

import re
import unicodedata

from bot.core.catalog import t
from bot.core.messages import Facts, Part, Reply, Text
from bot.core.text import fold
from bot.municipality import Municipality

# Folded text (æ->e, ø->o, å->a). Words that report danger on their own: a life at risk, an emergency.
_ALONE = re.compile(
    r"\b(?:akutt|akutte|livsfare|livstruende|livsfarlig|i fare|fare for liv|fare for livet|nodsituasjon|nod|"
    r"haster|ta livet av seg|ta livet sitt|ta sitt eget liv|tek livet sitt|drepe seg|vil do|skade seg selv|"
    r"skade seg sjolv|selvmordsfare|sjolvmordsfare|selvmordstanker|sjolvmordstankar|suicidal|overdose|"
    r"bevisstlos|medvitslaus|puster ikke|pustar ikkje|puster nesten ikke|pustar nesten ikkje|blor mye|"
    r"blir slatt na|slar na|vold na|truer med kniv|trugar med kniv|har kniv na|vapen na|blir voldtatt|overgrep na|"
    r"rommer na|savnet na|forsvunnet|kidnapp\w*|bortfort|bortfores|bortforing|mot viljen|kollapset|kollapsa|"
    r"besvimt|svimt av|svimeslaus|knivstukket|knivstukke|knivstikking|stukket ned|skutt|skyting|skal hoppe|vil hoppe|"
    r"hoppe fra|hoppe utfor|in danger|emergency|collapsed|unconscious|not breathing|overdosed|suicide|suicidal|"
    r"kill (?:him|her|them)sel\w+|bleeding|stabbed|shot|being (?:beaten|hit|attacked|abused)|"
    r"(?:puster|pustar) (?:rart|darlig|darleg|tungt)|pustevansker|(?:tatt|tok|teke) (?:\w+ )?piller)\b"
)
# Harm that is acute when it is happening now: «faren slår moren, det er lørdag kveld», «truer med kniv nå».
_HARM = re.compile(
    r"\b(?:slar|slatt|slegen|slo|juling|banker|kniv|vapen|pistol|gevaer|skyter|slasskamp|slass|slost|truer|trugar|"
    r"threatening|threatens|knife|gun|weapon|fighting|beating|hitting|tatt noe?|teke noko|"
    r"rommet|romt|gjemt seg|gjomt seg|gjemmer seg|gjoymer seg|hiding|ran away|run away|voldtatt|kveler|kvelt|"
    r"ikke kommet hjem|ikkje kome heim|ikkje komen heim|ikke kommet heim|hasn't come home|missing)\b"
)
# Read on the lower-cased text, not the folded one: folding makes «noe» «no», which is nynorsk for «nå».
_NOW = re.compile(
    r"\b(?:nå|no|now|akkurat|nettopp|i natt|i kveld|denne kvelden|right now|just now|at the moment|tonight)\b|!!"
)
_WHAT_NOW = re.compile(
    r"\b(?:hva gjør jeg|kva gjer eg|hva skal jeg gjøre|kva skal eg gjere|what do i do|what should i do) (?:nå|no|now)\b"
)
# «hva er akutt fare?», «rutine for akutte situasjoner»: asking about the routine, not reporting danger.
# «Ikke akutt, men ...»: the writer says it is not.
_ABOUT = re.compile(
    r"\b(?:hva er|kva er|hva betyr|kva tyder|rutine for|rutinen for|definisjon|forebygging|ikke akutt|ikkje akutt|"
    r"ikke akutte|ikkje akutte|ikke noe akutt|ikkje noko akutt|haster ikke|hastar ikkje|ikke farlig|not urgent|"
    r"not acute|not an emergency)\b"
)


def is_acute(text: str) -> bool:
    """Whether the text reports acute danger (and is not only a question about what acute means)."""
    folded = fold(text)
    # «hva gjør jeg nå?» after something that happened last week is not danger now.
    lower = unicodedata.normalize("NFKC", text).casefold()
    now = bool(_NOW.search(_WHAT_NOW.sub(" ", lower)))
    danger = bool(_ALONE.search(folded)) or (bool(_HARM.search(folded)) and now)
    return danger and not _ABOUT.search(folded)


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
