"""Names of people in Norwegian staff text: first-name lists, capitalisation, cues and what follows a name.

Norwegian capitalises only proper nouns, so a capitalised word inside a sentence is a person, a place or an
organisation. The name lists settle most words; for the rest, the words around them decide: a cue before
("det gjelder Zainab"), a verb after ("Zainab har"), a surname after ("Zeynep Kaya"), a place preposition
before ("i Lillestrøm"), or a place-like ending ("Hovemoen").
"""

from __future__ import annotations

import re

from bot.core.text import fold
from handlers.privacy import lexicon
from handlers.privacy import name_context as around

_AND_QUOTE = " og «"  # vocabulary
_NICKNAME_VERBS = frozenset("kalt kalla kalles kallas kallast kaller kallar".split())  # vocabulary


class NameFinder:
    """Finds the stretches of a text that name a person."""

    def __init__(self, known: frozenset[str], *, also: frozenset[str] = frozenset()) -> None:
        self.known = known
        # `also`: words known to be names in this text, e.g. the parts of an e-mail address in it.
        self.also = also
        self.names = lexicon.first_names() | lexicon.AMBIGUOUS
        # Unfolded too: folding makes "halvår" the name "Halvar" and "søndre" the name "Sondre".
        self.raw_names = lexicon.first_names_unfolded() | lexicon.AMBIGUOUS_UNFOLDED
        self._title_lines: list[tuple[int, int]] = []
        self._shouting = False

    def __call__(self, text: str, taken: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """The (start, end) of every name in the text, skipping stretches already taken by other findings."""
        words = list(lexicon.WORD.finditer(text))
        # Per call (a screen serves one text at a time): capitalisation means nothing in Title Case lines.
        self._title_lines = lexicon.title_case_lines(text)
        letters = [c for c in text if c.isalpha()]
        self._shouting = len(letters) > 12 and sum(c.isupper() for c in letters) > 0.8 * len(letters)
        found: list[tuple[int, int]] = []
        index = 0
        while index < len(words):
            word = words[index]
            if _overlaps(word.start(), word.end(), taken) or not self._is_name(text, words, index):
                index += 1
                continue
            first = index
            index = self._surname_end(text, words, index)
            end = words[index].end()
            if end - words[index].start() == 1 and text[end : end + 1] == ".":
                end += 1  # an initial: "Thea S."
            if not self._organisation(text, words, first, index):
                if first >= 2 and self._joined_before(text, words, first):
                    found.append((words[first - 2].start(), words[first - 2].end()))  # "eli og tor frå 8a"
                found.append((word.start(), end))
                # "Storm og Ørn", "Jerome Santos og Angelo Reyes": capitalised words joined to a name by "og".
                while index + 2 < len(words) and self._joined(text, words[index], words[index + 2], words[index + 1]):
                    index += 2
                    start = words[index].start()
                    index = self._surname_end(text, words, index)
                    found.append((start, words[index].end()))
            index += 1
        found += [(m.start(1), m.end(1)) for m in around.NICKNAME.finditer(text) if self._nickname(text, m)]
        return found

    def listed(self, word: str) -> bool:
        """Whether the word is in a name list (genitive "Henriks" too); unaccented spellings of names count."""
        lower = word.lower()
        stem = lower[:-1] if len(lower) > 3 and lower[-1] in "s'’" else lower
        if lower in self.raw_names or stem in self.raw_names:
            return True
        return lower.isascii() and (fold(lower) in self.names or fold(stem) in self.names)

    def _is_name(self, text: str, words: list[re.Match[str]], index: int) -> bool:
        word = words[index].group()
        base = fold(word)
        stem = lexicon.genitive_stem(base)
        if base in self.known or stem in self.known or fold(word.split("-")[0]) in self.known or len(base) < 2:
            return False  # "NAV", "TikTok-live"
        if word.lower() in self.also:
            return True  # "per arne lid ... per.arne.lid@nav.no"
        capital = word[0].isupper()
        acronym = word.isupper() and len(word) > 1
        listed = self.listed(word)
        ambiguous = base in lexicon.AMBIGUOUS or stem in lexicon.AMBIGUOUS
        previous = fold(words[index - 1].group()) if index > 0 else ""
        end = words[index].end()
        start = lexicon.starts_sentence(text, words[index].start())
        named_thing = previous in lexicon.NAMED_THINGS and text[words[index - 1].end() : words[index].start()] == " "
        start_at = words[index].start()
        if named_thing or (not capital and around.AFTER_NUMBER.search(text, max(0, start_at - 8), start_at)):
            return False  # "Tiltaket Ungdomslos", "Bydel Søndre Nordstrand", "17. mai"
        if capital and not acronym and self._after_nickname_cue(words, index):
            return True  # "hun som kalles Prinsessen", "Mathias, kalt Matte", "kaller seg Lil Fidde"
        if (
            self._after_cue(text, words, index)
            and (capital or listed)
            and word.lower() not in lexicon.COMMON_AFTER_CUE
            and not acronym
        ):
            if previous in lexicon.PRONOUN_CUES and not capital:
                return not ambiguous or bool(around.CLASS_AFTER.match(text, end))  # "ho vår i 9b", not "ho vil"
            if not capital and ambiguous:
                return False  # "det gjelder andre kommuner", "snakket med andre"
            # After a cue, a capitalised word no list knows is a name, unless it is a place or an ordinary word
            # ("kontakt med Uteteamet").
            # (Not the whole word: the frequency list holds many names. Its compounds are safe.)
            return listed or not (
                lexicon.PLACE_ENDING.search(base) or lexicon.compound(base) or lexicon.thing_compound(word)
            )
        after_role = index > 0 and fold(words[index - 1].group()) in lexicon.ROLE_CUES
        if not capital and after_role and not listed and len(word) > 2 and not lexicon.common(base):
            # A role, then a lower-case word no list knows: "ungdomsarbeider tharshan sier".
            return word not in lexicon.FINITE_VERBS | lexicon.FUNCTION_WORDS
        if capital and not acronym and (around.AGE_AFTER.match(text, end) or around.PERSON_AFTER.match(text, end)):
            return True  # "Ola (14)", "Amadou (2008)", "Konrad,15,", "Babyface, ein kar på rundt 18"
        if ((capital and not acronym) or listed) and self._appositive(text, words, index):
            return True  # "ein eldre kar, Lenny, som", "stefaren hennar, rune moen,"
        if (
            listed
            and previous not in lexicon.PLACE_PREPOSITIONS
            and len(base) > 2
            and self._context_says_name(text, words, index, capital=capital, start=start)
        ):
            return True
        if not capital:
            # Lower case: a listed name that is no ordinary word ("vi er bekymret for henrik", "lille-mats").
            return any(
                self.listed(part)
                and fold(part) not in lexicon.AMBIGUOUS
                and lexicon.genitive_stem(fold(part)) not in lexicon.AMBIGUOUS
                for part in (word, *word.split("-"))
                if len(part) > 2
            )
        if acronym:
            return self._shouted_name(text, words, index)  # "OPPFØLGING AV LUKAS BERNTSEN"
        if self._place_joined(words, index) or (ambiguous and previous in around.LOCATION_PREPOSITIONS):
            return False  # "i Åsane og Arna", "Bydelsmødre i Fjell"
        if _overlaps(words[index].start(), words[index].end(), self._title_lines):
            # "Sak 3: Rus Og Uro Rundt Kollektivknutepunktet": every word is capitalised, so only the lists speak.
            return listed and not ambiguous
        if lexicon.thing_compound(word):
            return False  # "Olav Tryggvason-statuen", "Ungdata-undersøkelse"
        if listed and (not start or not ambiguous):
            return True  # capitalised inside a sentence, or a name that is no ordinary word
        # Capitalised at the start of a sentence and a word too ("Sol og Embla", "Vår i 5C sier"), or a word
        # no list knows: the words after it decide.
        return self._subject_or_full_name(text, words, index, listed=listed, start=start)

    def _shouted_name(self, text: str, words: list[re.Match[str]], index: int) -> bool:
        """In text written in capitals, a listed name that is no ordinary word: "OPPFØLGING AV LUKAS BERNTSEN"."""
        word = words[index].group()
        return self._shouting and self.listed(word) and fold(word) not in lexicon.AMBIGUOUS and len(word) > 2

    def _context_says_name(
        self, text: str, words: list[re.Match[str]], index: int, *, capital: bool, start: bool
    ) -> bool:
        """A listed name, also one that is a word, with what only follows a person.

        "storm i 10B har", "Mai og søsteren hennes", "Kari sin bror", "Siv på helsestasjonen tar", "per arne lid"
        (but not "i mai på 10. trinn").
        """
        end = words[index].end()
        if around.POSSESSIVE_AFTER.match(text, end) or around.RELATIVE_AFTER.match(text, end):
            return True
        joined = index >= 2 and fold(words[index - 1].group()) == "og" and self.listed(words[index - 2].group())
        if around.CLASS_AFTER.match(text, end) and (capital or start or joined):
            return True
        workplace = around.WORKPLACE_AFTER.match(text, end)
        if workplace:
            verbs = [w for w in workplace.group("rest").split() if w in lexicon.FINITE_VERBS]
            if verbs and verbs[0] not in lexicon.COPULAS | around.THING_VERBS:
                return True  # "Line i resepsjonen på Deichman sier", not "Stig i parken er blitt"
        following = lexicon.WORD.match(text, end + 1)
        if capital or not following or text[end : end + 1] != " ":
            return False
        second = following.group()
        if second in lexicon.FINITE_VERBS and start:
            return True  # "mai har vært borte": staff who write without capitals start with the name
        # Two first names in a row: "per arne", "vår eline".
        return self.listed(second) and fold(second) not in lexicon.AMBIGUOUS and len(second) > 2

    def _subject_or_full_name(
        self, text: str, words: list[re.Match[str]], index: int, *, listed: bool, start: bool
    ) -> bool:
        base = fold(words[index].group())
        lower = words[index].group().lower()
        following = words[index + 1] if index + 1 < len(words) else None
        if following is None:
            return False
        between = text[words[index].end() : following.start()]
        after = following.group().lower()
        if listed and self._continues(text, words[index], following):
            return True  # "Vår Solberg"
        if (
            listed
            and between == " "
            and after in lexicon.FINITE_VERBS - around.THING_VERBS
            and (
                after not in lexicon.COPULAS
                or base not in lexicon.AMBIGUOUS
                or around.PERSON_PREDICATE.match(text, following.end())
            )
        ):
            # "Vår har ikke vært hjemme" (but "Vår skole har" is ours, and "Stein ble kastet", "Mai er den
            # verste månaden" are no people: a word-name is a subject only of a verb that people do).
            return True
        if (
            lower in lexicon.FINITE_VERBS | lexicon.FUNCTION_WORDS
            or base in lexicon.QUESTION_WORDS | lexicon.CUES | lexicon.NAMED_THINGS
        ):
            return False
        if not listed and lexicon.PLACE_ENDING.search(base):
            return False
        previous = fold(words[index - 1].group()) if index > 0 else ""
        if not listed and not start and previous in lexicon.PLACE_PREPOSITIONS:
            return False
        if self._continues(text, words[index], following):
            return True  # "Zeynep Kaya", "Sol Berg"
        if not listed and lexicon.common(base):
            return False  # "Utsikten har", "Lambertseter og Bøler"
        if between == " " and after in lexicon.FINITE_VERBS and not listed:
            return True  # "Rojda sier", "... og Zainab har"
        if between == " " and after == "og" and index + 2 < len(words):
            other = words[index + 2]
            return other.group()[0].isupper() and (listed or self.listed(other.group()))
        if between.strip() == "," and after == "som":
            return not start or listed  # "Det gjelder Zainab, som ..." (cue), "Sol, som ..."
        match = around.CLASS_AFTER.match(text, words[index].end())
        if match:
            # "Vår i 5C sier ...": a class, then a verb.
            verb = lexicon.WORD.search(text, match.end())
            return verb is not None and verb.group().lower() in lexicon.FINITE_VERBS
        return False

    def _surname_end(self, text: str, words: list[re.Match[str]], index: int) -> int:
        """The index of the last word of the name that starts at `index` (surnames, second first names)."""
        while index + 1 < len(words) and self._continues(text, words[index], words[index + 1]):
            index += 1
        return index

    def _organisation(self, text: str, words: list[re.Match[str]], first: int, last: int) -> bool:
        """Whether a run of capitalised words names an organisation or a place, not a person."""
        after = words[last + 1] if last + 1 < len(words) else None
        spaced = after is not None and text[words[last].end() : after.start()] == " "
        if (
            after
            and spaced
            and (fold(after.group()) in lexicon.ORGANISATION_WORDS or lexicon.thing_compound(after.group()))
        ):
            return True  # "Edvard Munch vgs", "Henrik Ibsen-skolen", "Olav Tryggvason-statuen"
        run = words[first : last + 1]
        if any(fold(word.group()) in lexicon.ORGANISATION_WORDS for word in run[1:]):
            return True
        # Capitalised ordinary words, a lexicon.compound among them and no name: "Kriminalforebyggende Politiråd".
        folded = [fold(w.group()) for w in run]
        return (
            len(run) > 1
            and not any(self.listed(w.group()) for w in run)
            and all(lexicon.common(word) for word in folded)
            and any(lexicon.compound(word) for word in folded)
        )

    def _joined(self, text: str, name: re.Match[str], other: re.Match[str], joint: re.Match[str]) -> bool:
        """Whether `other` is a second name joined to `name` by "og" ("Storm og Ørn")."""
        word = other.group()
        return (
            fold(joint.group()) == "og"
            and text[name.end() : joint.start()] == " "
            and text[joint.end() : other.start()] == " "
            and word[0].isupper()
            and word.upper() != word
            and fold(word) not in self.known
            and not lexicon.PLACE_ENDING.search(fold(word))
        )

    def _joined_before(self, text: str, words: list[re.Match[str]], index: int) -> bool:
        """Whether the word two before a name is a listed name joined to it by "og" ("bo og kim i 9d")."""
        joint, other = words[index - 1], words[index - 2]
        return (
            fold(joint.group()) == "og"
            and text[other.end() : joint.start()] == " "
            and self.listed(other.group())
            and fold(other.group()) not in self.known
            and (index < 3 or fold(words[index - 3].group()) not in lexicon.PLACE_PREPOSITIONS)
        )

    def _place_joined(self, words: list[re.Match[str]], index: int) -> bool:
        """Whether the word is joined by "og" to a place: "i Åsane og Arna"."""
        return (
            index >= 3
            and fold(words[index - 1].group()) == "og"
            and words[index - 2].group()[0].isupper()
            and not self.listed(words[index - 2].group())
            and fold(words[index - 3].group()) in lexicon.PLACE_PREPOSITIONS
        )

    def _appositive(self, text: str, words: list[re.Match[str]], index: int) -> bool:
        """Whether the word names the person just mentioned: "ein eldre kar, Lenny," / "ein spelar, Ánde,"."""
        if index == 0 or text[words[index - 1].end() : words[index].start()] != ", ":
            return False
        noun = index - 1
        if fold(words[noun].group()) in lexicon.POSSESSIVES and noun > 0:
            noun -= 1  # "stefaren hennar, rune moen,"
        end = words[self._surname_end(text, words, index)].end()
        return fold(words[noun].group()) in lexicon.PERSON_WORDS and around.APPOSITION_END.match(text, end) is not None

    def _nickname(self, text: str, match: re.Match[str]) -> bool:
        """Whether a quoted word is a person's nickname: "han «Kniven»", "«Sjefen» betalar", "sett «Snøggen»"."""
        word = match.group(1)
        if fold(word) in self.known or word.isupper():
            return False
        before = lexicon.WORD.findall(text[max(0, match.start() - 20) : match.start()])
        after = lexicon.WORD.match(text, match.end() + 1)
        return (
            bool(before and fold(before[-1]) in lexicon.NICKNAME_CUES)
            or bool(after and after.group() in lexicon.FINITE_VERBS)
            or not lexicon.common(fold(word))
            or text.startswith(_AND_QUOTE, match.end())  # "«Tuppen» og «Big K»"
        )

    def _after_nickname_cue(self, words: list[re.Match[str]], index: int) -> bool:
        previous = [fold(w.group()) for w in words[max(0, index - 2) : index]]
        return bool(previous) and (
            previous[-1] in _NICKNAME_VERBS
            or (len(previous) == 2 and previous[1] == "seg" and previous[0] in _NICKNAME_VERBS)
        )

    def _after_cue(self, text: str, words: list[re.Match[str]], index: int) -> bool:
        """Whether a cue for a name goes right before the word, in the same sentence."""

        def near(back: int) -> bool:
            return index >= back and not around.BREAK.search(text, words[index - back].end(), words[index].start())

        if not near(1):
            return False
        previous = fold(words[index - 1].group())
        if previous in lexicon.CUES or previous in lexicon.PRONOUN_CUES:
            return True
        if near(2) and (fold(words[index - 2].group()), previous) in lexicon.CUE_PHRASES:
            return True
        # "bekymret for lille Zainab", "som heter Zainab": one word between a cue phrase and the name.
        return near(3) and (fold(words[index - 3].group()), fold(words[index - 2].group())) in lexicon.CUE_PHRASES

    def _continues(self, text: str, first: re.Match[str], second: re.Match[str]) -> bool:
        """Whether the second word is the surname (or a second first name) of the first."""
        between = text[first.end() : second.start()]
        candidate = second.group()
        folded = fold(candidate)
        # (A municipality may list a place that is also a surname, "Haugen": after a first name it is the surname.)
        known = (folded in self.known and folded not in lexicon.SURNAMES) or fold(
            candidate.split("-")[0]
        ) in lexicon.NOT_PEOPLE
        if between not in (" ", "  ", "-") or known:
            return False
        if lexicon.thing_compound(candidate):
            return False  # "Henrik Ibsen-skolen"
        if candidate[0].isupper():
            # "Ola NAV" is not a surname; in text written in capitals, "LUKAS BERNTSEN" is one (but "OG MØTE" not).
            if candidate.upper() != candidate or len(candidate) == 1:
                return True
            return first.group().isupper() and (
                folded in lexicon.SURNAMES or self.listed(candidate) or not lexicon.common(folded)
            )
        if (
            folded in lexicon.SURNAMES
            or (self.listed(candidate) and folded not in lexicon.AMBIGUOUS)
            or candidate.lower() in self.also
        ):
            return True
        # In lower case, a word that is no ordinary word after a name is its surname: "ali rezaei".
        return (
            not first.group()[0].isupper()
            and len(candidate) > 2
            and candidate not in lexicon.FINITE_VERBS | lexicon.FUNCTION_WORDS
            and folded not in lexicon.COMMON
        )


def _overlaps(start: int, end: int, taken: list[tuple[int, int]]) -> bool:
    return any(start < other_end and other_start < end for other_start, other_end in taken)
