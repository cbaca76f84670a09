"""The lexicon of the personal-data screen: its word lists (handlers/privacy/data/*.txt) and small helpers on words.

Names, cues, verbs, function words, places, organisations and the frequent Norwegian words that tell a
capitalised ordinary word from a name: loaded once, folded for comparison (æ->e, ø->o, å->a) unless said.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

from bot.core.text import fold

DATA = Path(__file__).resolve().parent / "data"

WORD = re.compile(r"[^\W\d_][\w'’-]*")
SENTENCE_END = frozenset('.!?:;\n•-–—"«»()')  # vocabulary (punctuation)


def _words(name: str, *, folded: bool) -> Iterator[str]:
    """The words of a list in data/ (white-space separated, '#' starts a comment line), one at a time."""
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            yield from (fold(word) if folded else word.lower() for word in line.split())


def word_list(name: str, *, folded: bool = True) -> frozenset[str]:
    """A word list from data/, folded for comparison.

    Unfolded (only lower-cased) where folding would confuse words: "Vår" folds to the verb "var".
    """
    return frozenset(_words(name, folded=folded))


class HashedWords:
    """A large read-only word set kept as the sorted hashes of its words: 8 bytes a word instead of about 110.

    For membership only. The hashes are Python's own (random per process, so the same for building and
    looking up); two words of 64-bit hashes colliding is about as likely as winning the lottery twice.
    """

    __slots__ = ("_hashes",)

    def __init__(self, words: Iterable[str]) -> None:
        self._hashes = array("q", sorted({hash(word) for word in words}))

    def __contains__(self, word: object) -> bool:
        """Whether the word is in the set."""
        if not isinstance(word, str):
            return False
        wanted = hash(word)
        index = bisect_left(self._hashes, wanted)
        return index < len(self._hashes) and self._hashes[index] == wanted

    def __len__(self) -> int:
        """How many words."""
        return len(self._hashes)


def phrase_list(name: str) -> frozenset[tuple[str, ...]]:
    """A list of phrases from data/ (one per line), each as its folded words."""
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return frozenset(tuple(fold(word) for word in line.split()) for line in lines if line and line[0] != "#")


@cache
def first_names_unfolded() -> frozenset[str]:
    """The first-name lists, lower-cased but not folded."""
    return frozenset().union(*(word_list(p.name, folded=False) for p in sorted(DATA.glob("first_names_*.txt"))))


@cache
def first_names() -> frozenset[str]:
    """The first-name lists (adults', young people's, immigrant backgrounds'), folded for comparison."""
    return frozenset().union(*(word_list(path.name) for path in sorted(DATA.glob("first_names_*.txt"))))


AMBIGUOUS = word_list("ambiguous_names.txt")
AMBIGUOUS_UNFOLDED = word_list("ambiguous_names.txt", folded=False)
NOT_PEOPLE = word_list("not_people.txt")
ROLE_CUES = word_list("role_cues.txt")
CUES = word_list("name_cues.txt") | ROLE_CUES
CUE_PHRASES = phrase_list("name_cue_phrases.txt")
# "han Ola", "ho vår i 9b", "han «Kniven»": in speech and dialect a pronoun often goes before a name.
PRONOUN_CUES = frozenset(("han", "ho", "hun"))
# Words for a person before ", <name>,": "ein eldre kar, Lenny,".
PERSON_WORDS = word_list("person_words.txt")
POSSESSIVES = frozenset("hans hennes hennar deira deres sin si mi min vår dykkar".split())  # vocabulary
NICKNAME_CUES = frozenset("han ho hun kalt kalla kallar kaller kallas kalles heter heiter sett".split())  # vocabulary
COPULAS = frozenset("er var ble blir vart blei e va".split())  # vocabulary
SURNAMES = word_list("surnames_no.txt")
FINITE_VERBS = word_list("finite_verbs.txt", folded=False)
FUNCTION_WORDS = word_list("function_words.txt", folded=False)
# Ordinary words, places and organisations that are frequent in writing; a capitalised one is no unknown name.
# (The generated bokmål list is folded already: reading it unfolded saves a quarter of a second at start.)
COMMON = HashedWords([*_words("common_words_nb.txt", folded=False), *_words("common_words_nn.txt", folded=True)])
ORGANISATION_WORDS = word_list("organisation_words.txt")

QUESTION_WORDS = frozenset(  # vocabulary
    "hva hvem hvor hvordan hvorfor nar hvilke hvilken kva kven kvar korleis kvifor kva for".split()
)
NAMED_THINGS = word_list("named_things.txt")
# Words that follow a cue and are not names.
COMMON_AFTER_CUE = frozenset(  # vocabulary
    "som har er var skal kan vil ble blir og i på med til fra ikke ikkje det den dei de han hun ho seg sin".split()
)
PLACE_PREPOSITIONS = word_list("place_prepositions.txt")
# Endings of Norwegian place, school and organisation names: "Hovemoen", "Lillestrøm", "Amfi-senteret".
PLACE_ENDING = re.compile(
    # (Not the endings of many names too: -lia, -mo, -eng, -land, -berg: "Cornelia", "Timo", "Roland".)
    r"(?:by|byen|vik|vika|dal|dalen|stad|heim|rud|sund|fjord|haug|haugen|nes|landet|torp|vang|"
    r"strand|moen|senter|senteret|skolen|skule|skulen|sentrum|parken|park|torget|hallen|huset|"
    r"klubben|kirke|kyrkje|kirka|stasjon|stasjonen|gård|gard|gata|veien|vegen|ås|åsen|øy|øya|holmen|sletta|"
    r"marka|kollen|brygge|bryggen|kommune|fylke|bank|forbund|forbundet|foreningen|laget|kontoret)$",
)


def common(base: str) -> bool:
    """An ordinary word, place or organisation, also as the last part of a compound ("Fritidskortet")."""
    return base in COMMON or genitive_stem(base) in COMMON or compound(base)


def compound(base: str) -> bool:
    """A compound whose last part (five letters or more) is an ordinary word, or a long definite plural."""
    if len(base) > 8 and base.endswith(("ane", "ene", "arane", "erne")):
        return True  # "Helsesjukepleiarane"
    return any(base[cut:] in COMMON for cut in range(2, len(base) - 4))


def thing_compound(word: str) -> bool:
    """A hyphenated word whose last part is an ordinary lower-case word: "Ibsen-skolen", "TikTok-live"."""
    if "-" not in word:
        return False
    last = word.rsplit("-", 1)[1]
    return len(last) > 2 and last.islower() and (fold(last) in COMMON or fold(last) in ORGANISATION_WORDS)


_TITLE_WORDS = FUNCTION_WORDS - {"vår"}


def title_case_lines(text: str) -> list[tuple[int, int]]:
    """The lines that capitalise their function words ("Rus Og Uro", "Fagdag Om Psykisk"), as (start, end)."""
    spans, start = [], 0
    for line in text.split("\n"):
        inner = [m.group() for m in WORD.finditer(line) if not starts_sentence(line, m.start())]
        # A capitalised function word ("Og", "Om"), not one in capitals ("DA", "I", "MOT").
        if len(inner) >= 2 and any(w[:1].isupper() and w[1:].islower() and w.lower() in _TITLE_WORDS for w in inner):
            spans.append((start, start + len(line)))
        start += len(line) + 1
    return spans


def genitive_stem(base: str) -> str:
    """A word without a genitive s ("Henriks" -> "henrik")."""
    return base[:-1] if len(base) > 3 and base[-1] in "s'’" else base


def starts_sentence(text: str, position: int) -> bool:
    """Whether the word at `position` starts a sentence (looking back over spaces only: huge texts stay fast)."""
    index = position - 1
    while index >= 0 and text[index] in " \t":
        index -= 1
    return index < 0 or text[index] in SENTENCE_END
