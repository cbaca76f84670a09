"""Search over a municipality's own content: which contacts, routines or meetings a question is about.

Every entry is indexed by what the municipality wrote (a contact's role, name and when-text; a routine's title,
summary and kind; a meeting's name and description), with keywords only as an extra boost. A question's terms
(handlers/search/terms.py) are matched exactly, or with a typo through rapidfuzz, weighted by how rare they are
in this file and by where in the entry they stand, and the kind of answer asked for (intent) tips the balance.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from rapidfuzz import fuzz, process

from bot.core.text import words
from bot.municipality import Contact, MeetingSeries, Municipality, Routine
from handlers.search.terms import Analyzer, Term, intent_of, stem, synonyms

Kind = Literal["contact", "routine", "meeting"]
Item = Contact | Routine | MeetingSeries

# Where a word stands says how much it tells: a title or role names the entry, a summary only mentions it.
TITLE, ID, NAME, BODY, KEYWORD, IMPLIED = 3.0, 2.0, 1.5, 1.0, 3.0, 1.0
# The kind a routine is, as a term of its own: «skjema» finds the forms, «brosjyre» the guides.
KIND_TERMS = {"skjema": "skjema", "veileder": "brosjyre", "plan": "plan", "rutine": "rutine"}  # vocabulary
# The synonym group of survey figures (Ungdata), which «hvor mange» questions want.
SURVEY = "ungdata"
YOUNG = frozenset({"ungdom", "elev", "barn", "skole"})  # the synonym groups of young people
# The meanings a municipality maps under roles (bot/data/flows/), and the words that say what such an entry is.
ROLE_TERMS = {  # vocabulary
    "slt-koordinator": "SLT-koordinator",
    "politikontakt": "politikontakt",
    "barnevern": "barneverntjenesten",
    "barnevernvakt": "barnevernvakt",
    "bekymringsrutine": "bekymring",
    "voldsrutine": "vold i nære relasjoner",
    "innsatsteam": "SLT-innsatsteam",
    "vurderingsskjema": "vurderingsskjema",
    "samtykkeskjema": "samtykkeskjema",
    "bti": "BTI",
    "rusbrosjyre": "rus",
    "frokostmote": "frokostmøte",
    "strategiplan": "handlingsplan",
}
# How much the kind of answer asked for tips the balance (a factor on the score).
INTENT_FACTOR = 1.4
# Below this, nothing in the file is about the question (one rare word in a summary is not enough).
MIN_SCORE = 3.5
# A question of which the file knows less than this share of words is less likely about it (score scaled down).
COVERAGE = 0.3
# A second entry this close to the best is shown too: the person picks.
CLOSE = 0.8
# A typo is taken as the word it is closest to when at least this similar (rapidfuzz ratio, 0-100); in shorter
# words one wrong letter makes another word («slutt», «slått»), so they must be right.
TYPO, TYPO_LENGTH = 84.0, 6


@dataclass(frozen=True)
class Entry:
    """One thing a question can be about, with the weight of each of its terms."""

    kind: Kind
    item: Item
    weights: dict[str, float] = field(hash=False, compare=False)


@dataclass(frozen=True)
class Hit:
    """An entry and how well it answers the question."""

    entry: Entry
    score: float


class Index:
    """The searchable content of one municipality file (built once per file, read by every question)."""

    def __init__(self, municipality: Municipality) -> None:
        self.analyzer = Analyzer(_content_words(municipality), ignored=_own_names(municipality))
        self.entries = [self._entry(kind, item, fields) for kind, item, fields in _fields(municipality)]
        document_frequency: dict[str, int] = {}
        for entry in self.entries:
            for term in entry.weights:
                document_frequency[term] = document_frequency.get(term, 0) + 1
        total = len(self.entries)
        self.idf = {term: math.log(1 + total / count) for term, count in document_frequency.items()}
        # What a typo may be of: the file's longer terms, and the synonyms of its terms (by their own spelling).
        self.typo_of = {term: term for term in self.idf if len(term) >= TYPO_LENGTH - 1}
        self.typo_of |= {
            word: group for word, group in synonyms()[0].items() if group in self.idf and len(word) >= TYPO_LENGTH - 1
        }
        self.typo_words = sorted(self.typo_of)

    def _entry(self, kind: Kind, item: Item, fields: Iterable[tuple[str, float]]) -> Entry:
        weights: dict[str, float] = {}
        for text, weight in fields:
            for term in self.analyzer.terms(text):
                weights[term.text] = max(weights.get(term.text, 0.0), weight * term.weight)
        return Entry(kind, item, weights)

    def search(self, question: str) -> list[Hit]:
        """The entries that answer a question, best first: one, or two when they are close; none if nothing does."""
        wanted = intent_of(question)
        asked: dict[str, float] = {}
        terms = self.analyzer.terms(question)
        for term in terms:
            for known, quality in self._known(term):
                asked[known] = max(asked.get(known, 0.0), term.weight * quality)
        # How much of what was asked the file knows: «permisjon fra jobben» shares only «jobb» with the NAV entry.
        whole = [term for term in terms if term.weight == 1.0]
        coverage = min(1.0, sum(1 for term in whole if self._known(term)) / (COVERAGE * len(whole))) if whole else 1.0
        # «Hvor mange på ungdomsskolen har prøvd hasj?» wants the survey's figures; «hvor mange ansatte» does not.
        if "survey" in wanted and SURVEY in self.idf and YOUNG & set(asked):
            asked[SURVEY] = max(asked.get(SURVEY, 0.0), 1.0)
        if not asked:
            return []
        hits = []
        for entry in self.entries:
            score = sum(self.idf[term] * weight * entry.weights.get(term, 0.0) for term, weight in asked.items())
            if score > 0:
                hits.append(Hit(entry, score * coverage * _intent_factor(entry, wanted)))
        hits.sort(key=lambda hit: hit.score, reverse=True)
        if not hits or hits[0].score < MIN_SCORE:
            return []
        return [hit for hit in hits[:2] if hit.score >= hits[0].score * CLOSE]

    def _known(self, term: Term) -> list[tuple[str, float]]:
        """The file's term a question's term stands for: itself, or the word it is a typo of (or none).

        Only a whole word is taken as a typo: the parts of a compound are right or nothing.
        """
        if term.text in self.idf:
            return [(term.text, 1.0)]
        if term.weight < 1.0:
            return []
        for typed in dict.fromkeys((term.text, term.word)):
            found = self._typo(typed)
            if found:
                return found
        return []

    @lru_cache(maxsize=4096)  # noqa: B019 - one index per municipality file, kept for the process
    def _typo(self, typed: str) -> list[tuple[str, float]]:
        if len(typed) < TYPO_LENGTH or typed.isdigit():
            return []
        match = process.extractOne(typed, self.typo_words, scorer=fuzz.ratio, score_cutoff=TYPO)
        # A typo adds or drops a letter or two, not a syllable: «skriver» is not «skriv».
        if match is None or abs(len(match[0]) - len(typed)) > (1 if len(typed) < 8 else 2):
            return []
        return [(self.typo_of[match[0]], match[1] / 100)]


def _intent_factor(entry: Entry, wanted: set[str]) -> float:
    item = entry.item
    if entry.kind == "contact" and "contact" in wanted:
        return INTENT_FACTOR
    if entry.kind == "meeting" and "meeting" in wanted:
        return INTENT_FACTOR
    if isinstance(item, Routine) and "form" in wanted and item.kind == "skjema":
        return INTENT_FACTOR
    if entry.kind == "routine" and "routine" in wanted:
        return INTENT_FACTOR
    if "survey" in wanted and SURVEY in entry.weights:
        return INTENT_FACTOR
    return 1.0


def _fields(municipality: Municipality) -> Iterable[tuple[Kind, Item, list[tuple[str, float]]]]:
    # What the file says an entry is, under roles, names it as well as its title does.
    meanings: dict[str, list[str]] = {}
    for meaning, text in ROLE_TERMS.items():
        entry = municipality.role_contact(meaning) or municipality.role_routine(meaning)
        if entry is not None:
            meanings.setdefault(entry.id, []).append(text)
    for contact in municipality.contacts:
        fields = [(contact.role, TITLE), (contact.id, ID), (contact.name, NAME), (contact.when, BODY)]
        fields += [(text, TITLE) for text in meanings.get(contact.id, [])]
        yield "contact", contact, [*fields, *((k, KEYWORD) for k in contact.keywords), ("kontakt", IMPLIED / 2)]
    for routine in municipality.routines:
        fields = [(routine.title, TITLE), (routine.id, ID), (routine.summary, BODY)]
        fields += [(KIND_TERMS[routine.kind], IMPLIED), *((text, TITLE) for text in meanings.get(routine.id, []))]
        yield "routine", routine, [*fields, *((k, KEYWORD) for k in routine.keywords)]
    for series in municipality.meetings:
        fields = [(series.name, TITLE), (series.id, ID), (series.description, BODY), (series.location, BODY / 3)]
        yield "meeting", series, [*fields, *((k, KEYWORD) for k in series.keywords), ("møte", IMPLIED)]


def _own_names(municipality: Municipality) -> set[str]:
    """The municipality's own name and place names: in every entry or none, they tell nothing apart.

    A place word that is also a domain word («Nordli skole») keeps its meaning, and one that only a single
    entry mentions («Bua» of «Bua fritidsklubb») is as good as that entry's name.
    """
    single, _ = synonyms()
    # How many entries mention each word: «Bua» is only the youth club's, «Straumen» is everywhere.
    named: dict[str, int] = {}
    for _kind, _item, fields in _fields(municipality):
        for word in {w for text, _weight in fields for w in words(text)}:
            named[word] = named.get(word, 0) + 1
    found = {*words(municipality.name), "kommune", "kommunen"}  # vocabulary
    for place in municipality.places:
        found.update(
            word for word in words(place) if word not in single and stem(word) not in single and named.get(word, 0) != 1
        )
    return found


def _content_words(municipality: Municipality) -> set[str]:
    found: set[str] = set()
    for _kind, _item, fields in _fields(municipality):
        for text, _weight in fields:
            found.update(words(text))
    return found


_INDEXES: dict[int, tuple[Municipality, Index]] = {}
# How many municipality files' indexes are kept (a deployment with more builds the rest again when asked).
KEEP = 32


def index_for(municipality: Municipality) -> Index:
    """The index of a municipality file, built on first use (content edits make a new file object, and index)."""
    known = _INDEXES.get(id(municipality))
    if known is not None and known[0] is municipality:
        return known[1]
    if len(_INDEXES) >= KEEP:
        _INDEXES.pop(next(iter(_INDEXES)))
    index = Index(municipality)
    _INDEXES[id(municipality)] = (municipality, index)
    return index
