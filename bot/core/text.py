"""Norwegian text folding and fuzzy word matching, so 'Møteplan', 'moeteplan' and 'moteplan' are one word."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from difflib import SequenceMatcher
from functools import lru_cache

# Nynorsk and common colloquial forms folded onto the bokmål word the bot's keywords use.
SYNONYMS = {  # vocabulary: words read, folded onto the words the keywords use
    "kven": "hvem",
    "kva": "hva",
    "ka": "hva",
    "kvar": "hvor",
    "kor": "hvor",
    "korleis": "hvordan",
    "koss": "hvordan",
    "eg": "jeg",
    "ikkje": "ikke",
    "kjem": "kommer",
    "kontaktar": "kontakter",
    "rutinar": "rutiner",
    "bekymra": "bekymret",
    "uroa": "bekymret",
    "uroleg": "bekymret",
    "finn": "finner",
    "motet": "mote",
    "skjemaet": "skjema",
    "eleven": "elev",
    "elevar": "elever",
    "ungdomen": "ungdom",
    "ungdommen": "ungdom",
}

_FOLD = str.maketrans({"æ": "e", "ø": "o", "å": "a", "ä": "e", "ö": "o"})
_DIGRAPHS = (("aa", "a"), ("ae", "e"), ("oe", "o"))
_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


# Longer than any message a person writes to the bot; a longer one is cut before anything looks at it.
MAX_INPUT_CHARS = 4000
# Control characters other than tab and newline; NUL in particular, which PostgreSQL refuses in text and JSON.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


# Characters XML 1.0 cannot hold at all (SVG, Word, Excel): a name in a municipality file could have one.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """Text without the characters XML cannot hold."""
    return _NOT_XML.sub("", text)


def clean_input(text: str, limit: int = MAX_INPUT_CHARS) -> str:
    """What a person typed, safe to store and compare: NFC, no lone surrogates or control characters, bounded."""
    text = _SURROGATE.sub("\ufffd", text[: limit * 2])
    return _CONTROL.sub("", unicodedata.normalize("NFC", text))[:limit]


def fold(text: str) -> str:
    """Lower-case, strip accents and fold æ/ø/å and their ae/oe/aa spellings to plain letters."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_FOLD)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    for digraph, letter in _DIGRAPHS:
        text = text.replace(digraph, letter)
    return text


def words(text: str) -> list[str]:
    """The folded words of a text, with nynorsk forms mapped to bokmål; hyphenated words also split."""
    result: list[str] = []
    for word in _WORD.findall(fold(text)):
        result.append(SYNONYMS.get(word, word))
        if "-" in word:
            result.extend(SYNONYMS.get(part, part) for part in word.split("-") if part)
    return result


# How close two longer words must be to count as the same word with a typo (SequenceMatcher's ratio).
SIMILAR = 0.84


def similarity(word: str, keyword: str) -> float:
    """How well a typed word matches a keyword (both folded): 1.0 exact, down to 0.0.

    Short words must match exactly (a typo in a three-letter word is another word); longer ones tolerate a
    typo or two, and a word that starts with the keyword (a compound or inflected form) counts nearly fully.
    """
    if word == keyword:
        return 1.0
    if len(keyword) < 4 or len(word) < 4:
        return 0.0
    if len(keyword) >= 5 and word.startswith(keyword):
        return 0.9
    matcher = SequenceMatcher(None, word, keyword)
    # The two cheap upper bounds first: most word pairs are far apart, and the full ratio is what costs.
    if matcher.real_quick_ratio() < SIMILAR or matcher.quick_ratio() < SIMILAR:
        return 0.0
    ratio = matcher.ratio()
    return ratio if ratio >= SIMILAR else 0.0


@lru_cache(maxsize=8192)
def _keyword_words(keyword: str) -> tuple[str, ...]:
    """The words of a keyword (the municipality file's keywords are the same for every question: fold once)."""
    return tuple(words(keyword))


def best_similarity(typed: list[str], keyword: str) -> float:
    """How well any of the typed words matches one keyword; a multi-word keyword needs all its words."""
    parts = _keyword_words(keyword)
    if not parts:
        return 0.0
    scores = [max((similarity(word, part) for word in typed), default=0.0) for part in parts]
    return min(scores)


_NORWEGIAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})$")


def parse_date(text: str) -> dt.date | None:
    """A date typed as 2026-12-01, 1.12.2026 or 01.12.26; None if it is not a real date."""
    text = text.strip()
    try:
        match = _NORWEGIAN_DATE.match(text)
        if match:
            day, month, year = (int(part) for part in match.groups())
            return dt.date(year + 2000 if year < 100 else year, month, day)
        return dt.date.fromisoformat(text)
    except ValueError:
        return None
