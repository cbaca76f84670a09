"""The personal-data screen for free text: finds names, numbers, addresses and quasi-identifiers, and redacts them.

Every feature that takes free text (topic suggestions, dialog notes) passes it through `Screen` before anything
is stored. The screen errs towards flagging: a flagged suggestion costs the user one click, a missed name can
identify a child.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import phonenumbers
from stdnum.no import fodselsnummer, kontonr

from bot.core.catalog import t
from bot.core.text import fold
from bot.municipality import Municipality

# Kinds in the order they are listed to the user; each has a label and a marker (screen.kind.<kind>,
# screen.marker.<kind>) in the catalogue.
KINDS = ("name", "national_id", "phone", "email", "address", "account", "school_class", "age_place")

DATA = Path(__file__).resolve().parent / "data"
NAMES_FILES = tuple(DATA / name for name in ("first_names_no.txt", "first_names_young_no.txt"))


def word_list(name: str) -> frozenset[str]:
    """A word list from data/ (white-space separated, '#' starts a comment line), folded for comparison."""
    words: set[str] = set()
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            words.update(fold(word) for word in line.split())
    return frozenset(words)


AMBIGUOUS_NAMES = word_list("ambiguous_names.txt")

NOT_PEOPLE = word_list("not_people.txt")

NAME_CUES = word_list("name_cues.txt")

PERSON_NOUNS = (
    r"gutt|gutten|jente|jenta|jenten|elev|eleven|ungdom|ungdommen|sønn|sønnen|datter|datteren|barn|barnet|"
    r"bror|broren|søster|søsteren|kompis|venn|venninne"
)

_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_SENTENCE_END = re.compile(r"[.!?:;\n•\-–—\"«»()]\s*$")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ELEVEN_DIGITS = re.compile(r"(?<![\d.])(\d{6})[ .-]?(\d{5})(?![\d])")
_ACCOUNT = re.compile(r"(?<![\d.])(\d{4})[ .](\d{2})[ .](\d{5})(?!\d)")
_STREET_SUFFIX = (
    r"gata|gate|gaten|veien|vegen|vei|veg|stien|sti|plassen|plass|allé|alle|bakken|lia|lien|svingen|tunet|"
    r"ringen|kroken|haugen|torget|brygga|bryggen|kaia|løkka|jordet|åsen|grenda|myra|skogen|dalen"
)
_STREET = re.compile(
    rf"\b(?:[A-ZÆØÅ][\wæøå]*(?:{_STREET_SUFFIX})|[A-ZÆØÅ][\wæøå]+ (?:gate|vei|veg|plass|allé|alle))"
    rf"\s+\d{{1,4}}\s?[A-Za-z]?\b",
    re.IGNORECASE,
)
_POSTCODE = re.compile(r"\b(\d{4})\s+([A-ZÆØÅ][a-zæøå]+)")
_CLASS = re.compile(r"(?<![\w.])(?:klasse\s+)?([1-9]|10)\s?([A-Ha-h])(?![\w])(?!\s?-?\s?(?:trinn|klasse))")
_AGE = (
    rf"(?i:(?:{PERSON_NOUNS})\s+(?:på\s+)?(?<!\d)\d{{1,2}}(?![\d-])(?:\s*år)?|\(\d{{1,2}}\)|(?<![\d-])\d{{1,2}}"
    r"(?:\s*år(?:\s+gammel)?|-åring(?:en)?))"
)
# The place must be capitalised (a proper noun): "15 år i parken" is no place.
_AGE_PLACE = re.compile(rf"{_AGE}[^.!?\n]{{0,15}}?\b(?i:fra|i|på|ved|bosatt i)\s+[A-ZÆØÅ][\wæøå-]+")
_PLACE_AGE = re.compile(rf"\b(?i:fra|i|på)\s+[A-ZÆØÅ][\wæøå-]+[^.!?\n]{{0,15}}?{_AGE}")
_PERSON_AGE = re.compile(rf"\b(?:{PERSON_NOUNS})\s+(?:på\s+)?(?<!\d)\d{{1,2}}(?![\d-])(?:\s*år)?", re.IGNORECASE)
# Help lines and short numbers that are fine to mention.
_SAFE_NUMBERS = {"110", "112", "113", "116111", "116123", "02800", "80030000"}


@dataclass(frozen=True)
class Finding:
    """A stretch of text that is (or may be) personal data, and what kind."""

    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class Screening:
    """The result of screening one text."""

    text: str
    findings: tuple[Finding, ...]

    @property
    def clean(self) -> bool:
        """Whether nothing was found."""
        return not self.findings

    @property
    def kinds(self) -> list[str]:
        """The kinds found, each once, in the order of KINDS, as the user reads them (e.g. 'navn')."""
        found = {finding.kind for finding in self.findings}
        return [t(f"screen.kind.{kind}") for kind in KINDS if kind in found]

    @property
    def redacted(self) -> str:
        """The text with every finding replaced by its marker, e.g. '[navn]'."""
        result, cursor = [], 0
        for finding in self.findings:
            result.append(self.text[cursor : finding.start])
            result.append(t(f"screen.marker.{finding.kind}"))
            cursor = finding.end
        result.append(self.text[cursor:])
        return "".join(result)


@cache
def first_names() -> frozenset[str]:
    """The first-name list, folded for comparison."""
    return frozenset().union(*(word_list(path.name) for path in NAMES_FILES))


class Screen:
    """Finds personal data in Norwegian staff text; the municipality's own places and schools are not people."""

    def __init__(self, *, known_places: Iterable[str] = ()) -> None:
        self.known = NOT_PEOPLE | {fold(word) for place in known_places for word in place.split()}
        self.names = first_names()

    def __call__(self, text: str) -> Screening:
        """Screen one text."""
        found: list[Finding] = []
        found += self._emails(text)
        found += self._eleven_digits(text)
        found += self._accounts(text)
        found += self._phones(text, found)
        found += self._pattern(text, _STREET, "address")
        found += self._postcodes(text)
        found += self._pattern(text, _CLASS, "school_class")
        found += self._pattern(text, _AGE_PLACE, "age_place")
        found += self._pattern(text, _PLACE_AGE, "age_place")
        found += self._pattern(text, _PERSON_AGE, "age_place")
        found += self._names(text, found)
        return Screening(text=text, findings=_merge(found))

    @staticmethod
    def _pattern(text: str, pattern: re.Pattern[str], kind: str) -> list[Finding]:
        return [Finding(kind, m.start(), m.end()) for m in pattern.finditer(text)]

    @staticmethod
    def _emails(text: str) -> list[Finding]:
        return [Finding("email", m.start(), m.end()) for m in _EMAIL.finditer(text)]

    @staticmethod
    def _eleven_digits(text: str) -> list[Finding]:
        """Fødselsnummer and D-nummer: valid ones, and any 6+5 run that starts with a date (new ones may not check)."""
        found = []
        for match in _ELEVEN_DIGITS.finditer(text):
            digits = match.group(1) + match.group(2)
            if fodselsnummer.is_valid(digits) or _looks_like_birth_date(match.group(1)):
                found.append(Finding("national_id", match.start(), match.end()))
            elif kontonr.is_valid(digits):
                found.append(Finding("account", match.start(), match.end()))
        return found

    @staticmethod
    def _accounts(text: str) -> list[Finding]:
        return [Finding("account", m.start(), m.end()) for m in _ACCOUNT.finditer(text)]

    @staticmethod
    def _phones(text: str, already: list[Finding]) -> list[Finding]:
        found = []
        for match in phonenumbers.PhoneNumberMatcher(text, "NO", leniency=phonenumbers.Leniency.VALID):
            digits = re.sub(r"\D", "", match.raw_string)
            national = digits.removeprefix("0047").removeprefix("47") if len(digits) > 8 else digits
            # 80x/81x/82x are service numbers (help lines, businesses), never a person's.
            if (
                digits in _SAFE_NUMBERS
                or national[:2] in ("80", "81", "82")
                or _overlaps(match.start, match.end, already)
            ):
                continue
            found.append(Finding("phone", match.start, match.end))
        return found

    @staticmethod
    def _postcodes(text: str) -> list[Finding]:
        found = []
        for match in _POSTCODE.finditer(text):
            number = int(match.group(1))
            # "i 2025 Oslo..." is a year; post codes here are rarely in 1950-2099 without an address before them.
            if 1950 <= number <= 2099 and not re.search(r"\d\s*,?\s*$", text[: match.start()]):
                continue
            found.append(Finding("address", match.start(), match.end()))
        return found

    def _names(self, text: str, already: list[Finding]) -> list[Finding]:
        words = list(_WORD.finditer(text))
        found: list[Finding] = []
        index = 0
        while index < len(words):
            word = words[index]
            if _overlaps(word.start(), word.end(), already) or not self._is_name(text, words, index):
                index += 1
                continue
            end = word.end()
            # A capitalised word right after a name is its surname (or a second first name).
            while index + 1 < len(words) and self._continues_name(text, words[index], words[index + 1]):
                index += 1
                end = words[index].end()
            found.append(Finding("name", word.start(), end))
            index += 1
        return found

    def _is_name(self, text: str, words: list[re.Match[str]], index: int) -> bool:
        word = words[index].group()
        folded = fold(word).rstrip("s'’")
        base = fold(word)
        if base in self.known or folded in self.known:
            return False
        capital = word[0].isupper()
        previous = fold(words[index - 1].group()) if index > 0 else ""
        if previous in NAME_CUES and (capital or base in self.names) and base not in _COMMON_AFTER_CUE:
            return True
        if capital and re.match(r"\s*\(\d{1,2}\)", text[words[index].end() :]):
            return True  # "Ola (14)"
        if not capital or (base not in self.names and folded not in self.names):
            return self._unknown_full_name(text, words, index)
        if not _starts_sentence(text, words[index].start()):
            return True
        # At the start of a sentence every word is capitalised: a name that is also a word needs a surname
        # or a verb after it ("Per har ..."; the preposition "per" is never followed by "har").
        if base in AMBIGUOUS_NAMES:
            if index + 1 >= len(words):
                return False
            following = words[index + 1]
            spaced = text[words[index].end() : following.start()] == " "
            if fold(following.group()) == "og" and index + 2 < len(words):
                # "Storm og Saga har ...": two names joined by "og".
                other = words[index + 2].group()
                return other[0].isupper() and fold(other) in self.names
            return self._continues_name(text, words[index], following) or (
                spaced and fold(following.group()) in _FINITE_VERBS
            )
        return True

    def _unknown_full_name(self, text: str, words: list[re.Match[str]], index: int) -> bool:
        """Two capitalised unknown words ('Zeynep Kaya') are a name, where one ('Snapchat') is not.

        Norwegian capitalises only proper nouns, so this holds at the start of a sentence too.
        """
        word = words[index]
        if not word.group()[0].isupper() or fold(word.group()) in _FINITE_VERBS | _QUESTION_WORDS | NAME_CUES:
            return False
        return index + 1 < len(words) and self._continues_name(text, word, words[index + 1])

    def _continues_name(self, text: str, first: re.Match[str], second: re.Match[str]) -> bool:
        between = text[first.end() : second.start()]
        candidate = second.group()
        return (
            between in (" ", "-")
            and candidate[0].isupper()
            and fold(candidate) not in self.known
            and candidate.upper() != candidate  # "Ola NAV" is not a surname
        )


_FINITE_VERBS = word_list("finite_verbs.txt")
_QUESTION_WORDS = frozenset(
    ["hva", "hvem", "hvor", "hvordan", "hvorfor", "nar", "hvilke", "hvilken", "kva", "kven", "kvar", "korleis"]
)

# Words that follow a cue and are not names.
_COMMON_AFTER_CUE = frozenset("som har er var skal kan vil ble blir og i pa med til fra ikke".split())  # vocabulary


def _looks_like_birth_date(first_six: str) -> bool:
    day, month, year = int(first_six[:2]), int(first_six[2:4]), int(first_six[4:])
    day = day - 40 if day > 40 else day  # D-nummer adds 40 to the day
    month = month - 40 if month > 40 else month  # synthetic numbers add 40/80 to the month
    month = month - 80 if month > 80 else month
    for century in (1900, 2000):
        try:
            dt.date(century + year, month, day)
            return True
        except ValueError:
            continue
    return False


def _starts_sentence(text: str, position: int) -> bool:
    before = text[:position].rstrip(" \t")
    return not before or bool(_SENTENCE_END.search(before))


def _overlaps(start: int, end: int, findings: list[Finding]) -> bool:
    return any(start < f.end and f.start < end for f in findings)


def _merge(findings: list[Finding]) -> tuple[Finding, ...]:
    """Sort findings and merge overlapping ones (the earlier, longer one names the kind)."""
    merged: list[Finding] = []
    for finding in sorted(findings, key=lambda f: (f.start, -(f.end - f.start))):
        if merged and finding.start < merged[-1].end:
            last = merged[-1]
            merged[-1] = Finding(last.kind, last.start, max(last.end, finding.end))
        else:
            merged.append(finding)
    return tuple(merged)


def screen_for(municipality: Municipality) -> Screen:
    """The personal-data screen that knows this municipality's own places, schools and name."""
    return Screen(known_places=(*municipality.places, municipality.name))
