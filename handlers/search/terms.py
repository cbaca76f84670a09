"""From text to search terms: folded words, stop words out, Snowball stems, domain synonyms, compounds split.

The same steps run on the municipality's text and on a question, so «barnevernstenesta», «barneverntjenesten»
and «child welfare» all become the term «barnevern», and «rusmidlene» is «rus». Word lists are data in
handlers/search/data/ (bokmål, nynorsk and English side by side).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from snowballstemmer.norwegian_stemmer import NorwegianStemmer  # type: ignore[import-untyped]

from bot.core.text import fold, words
from handlers.privacy.lexicon import COMMON

DATA = Path(__file__).resolve().parent / "data"
# A part of a compound says less than the whole word: «politikontakt» is about the police, but mostly a contact.
PART_WEIGHT = 0.5
MIN_PART = 4
# Endings that make a word the service of what it starts with (stems): «barnevern|tjenesten», «familie|teamet».
SERVICE_TAILS = frozenset({"tjenest", "tenest", "kontor", "avdeling", "team", "teamet", "seksjon", "enhet", "eining"})
# And a meeting of what it starts with: «politiråds|møtet».
MEETING_TAILS = frozenset({"mot", "mote", "motet"})


@dataclass(frozen=True)
class Term:
    """One search term of a text, and how much it counts (1.0 for a whole word)."""

    text: str
    weight: float = 1.0
    # The word as typed (folded), for a whole word: a typo is easier to see before stemming cuts it.
    word: str = ""


def _lines(name: str) -> list[str]:
    return [line for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line and line[0] != "#"]


_STEMMER = NorwegianStemmer()


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball (Norwegian) stem of a folded word; words that are mostly digits stay as they are."""
    return word if any(c.isdigit() for c in word) else _STEMMER.stemWord(word)


@cache
def stop_words() -> frozenset[str]:
    """Words without a subject (question words, pronouns, ...), folded."""
    return frozenset(fold(word) for line in _lines("stopwords.txt") for word in line.split())


def _grouped(name: str) -> dict[tuple[str, ...], str]:
    """A 'label: word, a phrase, ...' file as folded word tuples -> label (the first group wins a word)."""
    found: dict[tuple[str, ...], str] = {}
    for line in _lines(name):
        label, _, members = line.partition(":")
        for member in members.split(","):
            key = tuple(words(member))
            if key:
                found.setdefault(key, label.strip())
    return found


@cache
def synonyms() -> tuple[dict[str, str], dict[tuple[str, ...], str]]:
    """The synonym groups: a stem -> its group, and phrases of several (stemmed) words -> their group."""
    single: dict[str, str] = {}
    phrases: dict[tuple[str, ...], str] = {}
    for key, label in _grouped("synonyms.txt").items():
        stems = tuple(stem(word) for word in key)
        if len(stems) == 1:
            single.setdefault(stems[0], label)
            single.setdefault(key[0], label)  # the unstemmed form, for words the stemmer cuts differently
        else:
            phrases.setdefault(stems, label)
    return single, phrases


@cache
def synonym_words() -> frozenset[str]:
    """Every word of the synonym groups as written (folded, not stemmed)."""
    return frozenset(word for key in _grouped("synonyms.txt") for word in key)


@cache
def intents() -> dict[tuple[str, ...], str]:
    """Words and phrases that say what kind of answer is wanted: folded word tuple -> contact/form/meeting/routine."""
    return _grouped("intents.txt")


def intent_of(text: str) -> set[str]:
    """The kinds of answer a question asks for («hvem» -> contact, «skjema» -> form, «når er» -> meeting)."""
    typed = words(text)
    table = intents()
    found = set()
    for size in (3, 2, 1):
        for start in range(len(typed) - size + 1):
            label = table.get(tuple(typed[start : start + size]))
            if label:
                found.add(label)
    return found


_CAPITALS = re.compile(r"\b[A-ZÆØÅ]{2,6}\b")


def _acronyms(text: str) -> frozenset[str]:
    """Words written in capitals (folded), unless the whole text is shouted."""
    letters = [c for c in text if c.isalpha()]
    if not letters or sum(c.isupper() for c in letters) > len(letters) / 2:
        return frozenset()
    return frozenset(fold(word) for word in _CAPITALS.findall(text))


class Analyzer:
    """Turns text into terms; knows the words compounds are split into (the content's own and frequent ones)."""

    def __init__(self, extra_words: Iterable[str] = (), ignored: Iterable[str] = ()) -> None:
        single, _ = synonyms()
        self.known = {stem(w) for w in extra_words} | set(single)
        # Words every entry could have (the municipality's own name) say nothing about which one is meant.
        self.ignored = frozenset(ignored) | {stem(w) for w in ignored}

    def is_known(self, part: str) -> bool:
        """Whether a piece of a compound is a word of the file or of the synonyms."""
        return part in self.known or stem(part) in self.known or stem(part) in SERVICE_TAILS | MEETING_TAILS

    def is_word(self, part: str) -> bool:
        """Whether a piece of a compound is a word of its own (known here, or a frequent Norwegian word)."""
        return self.is_known(part) or part in COMMON

    def terms(self, text: str) -> list[Term]:
        """The search terms of a text, in order; synonym phrases first, then each remaining word."""
        _, phrases = synonyms()
        typed = words(text)
        stems = [stem(w) for w in typed]
        used = [False] * len(typed)
        found: list[Term] = []
        for size in range(max(map(len, phrases), default=1), 1, -1):
            for start in range(len(stems) - size + 1):
                label = phrases.get(tuple(stems[start : start + size]))
                if label and not any(used[start : start + size]):
                    found.append(Term(label))
                    used[start : start + size] = [True] * size
        stops = stop_words() | self.ignored
        acronyms = _acronyms(text)
        for index, word in enumerate(typed):
            if used[index]:
                continue
            if word in acronyms and word not in synonym_words():
                # «MOT», «ART»: a programme's name, not the word «mot» (against) nor a stem of «møte».
                found.append(Term(word, word=word))
                continue
            if word in stops or (len(word) == 1 and not word.isdigit()):
                continue
            found += [term for term in self._word_terms(word) if term.text not in stops]
        return found

    @lru_cache(maxsize=16384)  # noqa: B019 - one analyzer per municipality index, kept for the process
    def _word_terms(self, word: str) -> tuple[Term, ...]:
        single, _ = synonyms()
        whole = single.get(word) or single.get(stem(word))
        parts = self.parts(word)
        if whole is None and parts and (stem(parts[1]) in SERVICE_TAILS or stem(parts[1]) in MEETING_TAILS):
            # «barnevernstjenesten», «familieteamet», «ressursgruppemøtet»: the service (or its meeting) is what
            # its head names.
            whole = single.get(parts[0]) or single.get(stem(parts[0])) or stem(parts[0])
        whole = whole or stem(word)
        result = [Term(whole, word=word)]
        for part in parts:
            term = single.get(part) or single.get(stem(part)) or stem(part)
            if term != whole:
                result.append(Term(term, PART_WEIGHT))
        return tuple(result)

    def parts(self, word: str) -> list[str]:
        """A compound's two parts («bekymringsmelding» -> bekymring, melding), or none.

        Of the splits where both sides are words (a linking s or e allowed), the most even one wins, so
        «politikontakt» is politi + kontakt rather than a long head and a short tail.
        """
        best: tuple[int, list[str]] = (0, [])
        for cut in range(MIN_PART, len(word) - MIN_PART + 1):
            head, tail = word[:cut], word[cut:]
            if not self.is_word(tail):
                continue
            heads = [head] + ([head[:-1]] if head[-1] in "se" and len(head) > MIN_PART else [])
            for candidate in heads:
                # One side at least must be known here: a split into two other words («poli|tiet») finds nothing.
                known = self.is_known(candidate) or self.is_known(tail)
                if known and self.is_word(candidate) and min(len(candidate), len(tail)) > best[0]:
                    best = (min(len(candidate), len(tail)), [candidate, tail])
        return best[1]
