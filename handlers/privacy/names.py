"""Names of people in Norwegian staff text: first-name lists, capitalisation, cues and what follows a name.

Norwegian capitalises only proper nouns, so a capitalised word inside a sentence is a person, a place or an
organisation. The name lists settle most words; for the rest, the words around them decide: a cue before
("det gjelder Zainab"), a verb after ("Zainab har"), a surname after ("Zeynep Kaya"), a place preposition
before ("i Lillestrøm"), or a place-like ending ("Hovemoen").
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from bot.core.text import fold

DATA = Path(__file__).resolve().parent / "data"

WORD = re.compile(r"[^\W\d_][\w'’-]*")
_SENTENCE_END = frozenset('.!?:;\n•-–—"«»()')  # vocabulary (punctuation)
# Right after a name: its age ("Ola (14)", "Konrad,15,"), its class ("Tor fra 9C", "mai på 10. trinn"), or
# the possessive "sin" ("Kari sin bror").
_AGE_AFTER = re.compile(
    r"\s*\((?:\d{1,2}(?:\s*år)?|(?:(?:født|fødd|f\.)\s*)?(?:19|20)\d{2})\)|\s*,\s*\d{1,2}\s*(?:år)?\s*,"
)
# "Babyface, ein kar på rundt 18": a name and then what kind of person it is.
_PERSON_AFTER = re.compile(r", (?:ein|en|ei|eit) (?:\w+ )?(?:kar|gut|gutt|fyr|jente|dame|mann|kvinne|elev|type)\b")
_CLASS_AFTER = re.compile(
    r"\s+(?:i|på|fra|frå)\s+(?:\d{1,2}\s?[A-Za-z]\b|\d{1,2}\.\s?(?:trinn|klasse|steg)|[1-3][A-Z]{2,4}\b|"
    r"[GJgjUu]-?\d{2}(?:-laget)?\b)"
)
# "Siv på helsestasjonen tar samtalen", "Rune frå barnevernet kjem": a name, where they work, and a verb.
_WORKPLACE_AFTER = re.compile(
    r" (?:på|fra|frå|hos|ved|i (?=resepsjonen|kantina|kantinen|administrasjonen|ledelsen|ekspedisjonen|skranken|"
    r"vakta))(?P<rest>(?: [\wæøåÆØÅ-]+| ?[\wæøåÆØÅ-]+){1,6})"
)
# Verbs whose subject is rarely a person: "Tala frå Ungdata viser".
# After "er"/"ble": what is said of a person ("Dag er 15", "Storm ble tatt", "Ask var svært utagerende").
_PERSON_PREDICATE = re.compile(
    r" (?:(?:svært|veldig|heilt|helt|ganske|litt|så|ikke|ikkje|også|òg) )?"
    r"(?:\d{1,2}\b|født|fødd|tatt|teken|slått|slegen|truet|truga|mobbet|mobba|ranet|rana|utsatt|bekymret|bekymra|redd|lei|sint|trist|borte|savnet|sakna|ruset|"
    r"rusa|full|filmet|filma|arrestert|pågrepet|anmeldt|anmeld|sett|utagerende|utestengt|plaget|plaga|mishandlet|"
    r"skadet|skada|sjuk|syk|innlagt|flink|snill|ny|alene|åleine|aleine)\b"
)
_THING_VERBS = frozenset("viser syner tyder gjelder gjeld handler omfatter".split())  # vocabulary
_LOCATION_PREPOSITIONS = frozenset(("i", "pa", "ved"))
_POSSESSIVE_AFTER = re.compile(r" (?:sin|si|sitt|sine) ")
# "17. mai", "3. juni": a day of the month before the word.
# Punctuation between a cue and a word that parts them: "kontakt med Barnehuset? Innledning ved ...".
_BREAK = re.compile(r"[.!?;:\n()«»\"]")
_AFTER_NUMBER = re.compile(r"\d\.?\s+$")
# "«Kniven»", "«Mafia-Mats»": one quoted capitalised word, a nickname when the words around it say so.
_NICKNAME = re.compile(r"[«\"“]([A-ZÆØÅ][\wæøå]*(?:-[\wæøåÆØÅ]+)*)[»\"”]")
_APPOSITION_END = re.compile(r"\s*(?:,|\s+(?:som|og)\b)")
# "Mai og søsteren hennes": a name and a relative of theirs.
_RELATIVE_AFTER = re.compile(
    r" og (?:søsteren|søstera|systera|broren|bror|mora|moren|faren|kompisen|venninna|venninnen|kjæresten)\b"
)


def word_list(name: str, *, folded: bool = True) -> frozenset[str]:
    """A word list from data/ (white-space separated, '#' starts a comment line), folded for comparison.

    Unfolded (only lower-cased) where folding would confuse words: "Vår" folds to the verb "var".
    """
    words: set[str] = set()
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            words.update(fold(word) if folded else word.lower() for word in line.split())
    return frozenset(words)


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
_AND_QUOTE = " og «"  # vocabulary
_NICKNAME_VERBS = frozenset("kalt kalla kalles kallas kallast kaller kallar".split())  # vocabulary
COPULAS = frozenset("er var ble blir vart blei e va".split())  # vocabulary
SURNAMES = word_list("surnames_no.txt")
FINITE_VERBS = word_list("finite_verbs.txt", folded=False)
FUNCTION_WORDS = word_list("function_words.txt", folded=False)
# Ordinary words, places and organisations that are frequent in writing; a capitalised one is no unknown name.
# (The generated bokmål list is folded already: reading it unfolded saves a quarter of a second at start.)
COMMON = word_list("common_words_nb.txt", folded=False) | word_list("common_words_nn.txt")
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
_PLACE_ENDING = re.compile(
    # (Not the endings of many names too: -lia, -mo, -eng, -land, -berg: "Cornelia", "Timo", "Roland".)
    r"(?:by|byen|vik|vika|dal|dalen|stad|heim|rud|sund|fjord|haug|haugen|nes|landet|torp|vang|"
    r"strand|moen|senter|senteret|skolen|skule|skulen|sentrum|parken|park|torget|hallen|huset|"
    r"klubben|kirke|kyrkje|kirka|stasjon|stasjonen|gård|gard|gata|veien|vegen|ås|åsen|øy|øya|holmen|sletta|"
    r"marka|kollen|brygge|bryggen|kommune|fylke|bank|forbund|forbundet|foreningen|laget|kontoret)$",
)


class NameFinder:
    """Finds the stretches of a text that name a person."""

    def __init__(self, known: frozenset[str], *, also: frozenset[str] = frozenset()) -> None:
        self.known = known
        # `also`: words known to be names in this text, e.g. the parts of an e-mail address in it.
        self.also = also
        self.names = first_names() | AMBIGUOUS
        # Unfolded too: folding makes "halvår" the name "Halvar" and "søndre" the name "Sondre".
        self.raw_names = first_names_unfolded() | word_list("ambiguous_names.txt", folded=False)
        self._title_lines: list[tuple[int, int]] = []
        self._shouting = False

    def __call__(self, text: str, taken: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """The (start, end) of every name in the text, skipping stretches already taken by other findings."""
        words = list(WORD.finditer(text))
        # Per call (a screen serves one text at a time): capitalisation means nothing in Title Case lines.
        self._title_lines = _title_case_lines(text)
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
        found += [(m.start(1), m.end(1)) for m in _NICKNAME.finditer(text) if self._nickname(text, m)]
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
        stem = _genitive_stem(base)
        if base in self.known or stem in self.known or fold(word.split("-")[0]) in self.known or len(base) < 2:
            return False  # "NAV", "TikTok-live"
        if word.lower() in self.also:
            return True  # "per arne lid ... per.arne.lid@nav.no"
        capital = word[0].isupper()
        acronym = word.isupper() and len(word) > 1
        listed = self.listed(word)
        ambiguous = base in AMBIGUOUS or stem in AMBIGUOUS
        previous = fold(words[index - 1].group()) if index > 0 else ""
        end = words[index].end()
        start = _starts_sentence(text, words[index].start())
        named_thing = previous in NAMED_THINGS and text[words[index - 1].end() : words[index].start()] == " "
        start_at = words[index].start()
        if named_thing or (not capital and _AFTER_NUMBER.search(text, max(0, start_at - 8), start_at)):
            return False  # "Tiltaket Ungdomslos", "Bydel Søndre Nordstrand", "17. mai"
        if capital and not acronym and self._after_nickname_cue(words, index):
            return True  # "hun som kalles Prinsessen", "Mathias, kalt Matte", "kaller seg Lil Fidde"
        if (
            self._after_cue(text, words, index)
            and (capital or listed)
            and word.lower() not in COMMON_AFTER_CUE
            and not acronym
        ):
            if previous in PRONOUN_CUES and not capital:
                return not ambiguous or bool(_CLASS_AFTER.match(text, end))  # "ho vår i 9b", not "ho vil"
            if not capital and ambiguous:
                return False  # "det gjelder andre kommuner", "snakket med andre"
            # After a cue, a capitalised word no list knows is a name, unless it is a place or an ordinary word
            # ("kontakt med Uteteamet").
            # (Not the whole word: the frequency list holds many names. Its compounds are safe.)
            return listed or not (_PLACE_ENDING.search(base) or _compound(base) or _thing_compound(word))
        after_role = index > 0 and fold(words[index - 1].group()) in ROLE_CUES
        if not capital and after_role and not listed and len(word) > 2 and not _common(base):
            # A role, then a lower-case word no list knows: "ungdomsarbeider tharshan sier".
            return word not in FINITE_VERBS | FUNCTION_WORDS
        if capital and not acronym and (_AGE_AFTER.match(text, end) or _PERSON_AFTER.match(text, end)):
            return True  # "Ola (14)", "Amadou (2008)", "Konrad,15,", "Babyface, ein kar på rundt 18"
        if ((capital and not acronym) or listed) and self._appositive(text, words, index):
            return True  # "ein eldre kar, Lenny, som", "stefaren hennar, rune moen,"
        if (
            listed
            and previous not in PLACE_PREPOSITIONS
            and len(base) > 2
            and self._context_says_name(text, words, index, capital=capital, start=start)
        ):
            return True
        if not capital:
            # Lower case: a listed name that is no ordinary word ("vi er bekymret for henrik", "lille-mats").
            return any(
                self.listed(part) and fold(part) not in AMBIGUOUS and _genitive_stem(fold(part)) not in AMBIGUOUS
                for part in (word, *word.split("-"))
                if len(part) > 2
            )
        if acronym:
            return self._shouted_name(text, words, index)  # "OPPFØLGING AV LUKAS BERNTSEN"
        if self._place_joined(words, index) or (ambiguous and previous in _LOCATION_PREPOSITIONS):
            return False  # "i Åsane og Arna", "Bydelsmødre i Fjell"
        if _overlaps(words[index].start(), words[index].end(), self._title_lines):
            # "Sak 3: Rus Og Uro Rundt Kollektivknutepunktet": every word is capitalised, so only the lists speak.
            return listed and not ambiguous
        if _thing_compound(word):
            return False  # "Olav Tryggvason-statuen", "Ungdata-undersøkelse"
        if listed and (not start or not ambiguous):
            return True  # capitalised inside a sentence, or a name that is no ordinary word
        # Capitalised at the start of a sentence and a word too ("Sol og Embla", "Vår i 5C sier"), or a word
        # no list knows: the words after it decide.
        return self._subject_or_full_name(text, words, index, listed=listed, start=start)

    def _shouted_name(self, text: str, words: list[re.Match[str]], index: int) -> bool:
        """In text written in capitals, a listed name that is no ordinary word: "OPPFØLGING AV LUKAS BERNTSEN"."""
        word = words[index].group()
        return self._shouting and self.listed(word) and fold(word) not in AMBIGUOUS and len(word) > 2

    def _context_says_name(
        self, text: str, words: list[re.Match[str]], index: int, *, capital: bool, start: bool
    ) -> bool:
        """A listed name, also one that is a word, with what only follows a person.

        "storm i 10B har", "Mai og søsteren hennes", "Kari sin bror", "Siv på helsestasjonen tar", "per arne lid"
        (but not "i mai på 10. trinn").
        """
        end = words[index].end()
        if _POSSESSIVE_AFTER.match(text, end) or _RELATIVE_AFTER.match(text, end):
            return True
        joined = index >= 2 and fold(words[index - 1].group()) == "og" and self.listed(words[index - 2].group())
        if _CLASS_AFTER.match(text, end) and (capital or start or joined):
            return True
        workplace = _WORKPLACE_AFTER.match(text, end)
        if workplace:
            verbs = [w for w in workplace.group("rest").split() if w in FINITE_VERBS]
            if verbs and verbs[0] not in COPULAS | _THING_VERBS:
                return True  # "Line i resepsjonen på Deichman sier", not "Stig i parken er blitt"
        following = WORD.match(text, end + 1)
        if capital or not following or text[end : end + 1] != " ":
            return False
        second = following.group()
        if second in FINITE_VERBS and start:
            return True  # "mai har vært borte": staff who write without capitals start with the name
        # Two first names in a row: "per arne", "vår eline".
        return self.listed(second) and fold(second) not in AMBIGUOUS and len(second) > 2

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
            and after in FINITE_VERBS - _THING_VERBS
            and (after not in COPULAS or base not in AMBIGUOUS or _PERSON_PREDICATE.match(text, following.end()))
        ):
            # "Vår har ikke vært hjemme" (but "Vår skole har" is ours, and "Stein ble kastet", "Mai er den
            # verste månaden" are no people: a word-name is a subject only of a verb that people do).
            return True
        if lower in FINITE_VERBS | FUNCTION_WORDS or base in QUESTION_WORDS | CUES | NAMED_THINGS:
            return False
        if not listed and _PLACE_ENDING.search(base):
            return False
        previous = fold(words[index - 1].group()) if index > 0 else ""
        if not listed and not start and previous in PLACE_PREPOSITIONS:
            return False
        if self._continues(text, words[index], following):
            return True  # "Zeynep Kaya", "Sol Berg"
        if not listed and _common(base):
            return False  # "Utsikten har", "Lambertseter og Bøler"
        if between == " " and after in FINITE_VERBS and not listed:
            return True  # "Rojda sier", "... og Zainab har"
        if between == " " and after == "og" and index + 2 < len(words):
            other = words[index + 2]
            return other.group()[0].isupper() and (listed or self.listed(other.group()))
        if between.strip() == "," and after == "som":
            return not start or listed  # "Det gjelder Zainab, som ..." (cue), "Sol, som ..."
        match = _CLASS_AFTER.match(text, words[index].end())
        if match:
            # "Vår i 5C sier ...": a class, then a verb.
            verb = WORD.search(text, match.end())
            return verb is not None and verb.group().lower() in FINITE_VERBS
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
        if after and spaced and (fold(after.group()) in ORGANISATION_WORDS or _thing_compound(after.group())):
            return True  # "Edvard Munch vgs", "Henrik Ibsen-skolen", "Olav Tryggvason-statuen"
        run = words[first : last + 1]
        if any(fold(word.group()) in ORGANISATION_WORDS for word in run[1:]):
            return True
        # Capitalised ordinary words, a compound among them and no name: "Kriminalforebyggende Politiråd".
        folded = [fold(w.group()) for w in run]
        return (
            len(run) > 1
            and not any(self.listed(w.group()) for w in run)
            and all(_common(word) for word in folded)
            and any(_compound(word) for word in folded)
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
            and not _PLACE_ENDING.search(fold(word))
        )

    def _joined_before(self, text: str, words: list[re.Match[str]], index: int) -> bool:
        """Whether the word two before a name is a listed name joined to it by "og" ("bo og kim i 9d")."""
        joint, other = words[index - 1], words[index - 2]
        return (
            fold(joint.group()) == "og"
            and text[other.end() : joint.start()] == " "
            and self.listed(other.group())
            and fold(other.group()) not in self.known
            and (index < 3 or fold(words[index - 3].group()) not in PLACE_PREPOSITIONS)
        )

    def _place_joined(self, words: list[re.Match[str]], index: int) -> bool:
        """Whether the word is joined by "og" to a place: "i Åsane og Arna"."""
        return (
            index >= 3
            and fold(words[index - 1].group()) == "og"
            and words[index - 2].group()[0].isupper()
            and not self.listed(words[index - 2].group())
            and fold(words[index - 3].group()) in PLACE_PREPOSITIONS
        )

    def _appositive(self, text: str, words: list[re.Match[str]], index: int) -> bool:
        """Whether the word names the person just mentioned: "ein eldre kar, Lenny," / "ein spelar, Ánde,"."""
        if index == 0 or text[words[index - 1].end() : words[index].start()] != ", ":
            return False
        noun = index - 1
        if fold(words[noun].group()) in POSSESSIVES and noun > 0:
            noun -= 1  # "stefaren hennar, rune moen,"
        end = words[self._surname_end(text, words, index)].end()
        return fold(words[noun].group()) in PERSON_WORDS and _APPOSITION_END.match(text, end) is not None

    def _nickname(self, text: str, match: re.Match[str]) -> bool:
        """Whether a quoted word is a person's nickname: "han «Kniven»", "«Sjefen» betalar", "sett «Snøggen»"."""
        word = match.group(1)
        if fold(word) in self.known or word.isupper():
            return False
        before = WORD.findall(text[max(0, match.start() - 20) : match.start()])
        after = WORD.match(text, match.end() + 1)
        return (
            bool(before and fold(before[-1]) in NICKNAME_CUES)
            or bool(after and after.group() in FINITE_VERBS)
            or not _common(fold(word))
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
            return index >= back and not _BREAK.search(text, words[index - back].end(), words[index].start())

        if not near(1):
            return False
        previous = fold(words[index - 1].group())
        if previous in CUES or previous in PRONOUN_CUES:
            return True
        if near(2) and (fold(words[index - 2].group()), previous) in CUE_PHRASES:
            return True
        # "bekymret for lille Zainab", "som heter Zainab": one word between a cue phrase and the name.
        return near(3) and (fold(words[index - 3].group()), fold(words[index - 2].group())) in CUE_PHRASES

    def _continues(self, text: str, first: re.Match[str], second: re.Match[str]) -> bool:
        """Whether the second word is the surname (or a second first name) of the first."""
        between = text[first.end() : second.start()]
        candidate = second.group()
        folded = fold(candidate)
        # (A municipality may list a place that is also a surname, "Haugen": after a first name it is the surname.)
        known = (folded in self.known and folded not in SURNAMES) or fold(candidate.split("-")[0]) in NOT_PEOPLE
        if between not in (" ", "  ", "-") or known:
            return False
        if _thing_compound(candidate):
            return False  # "Henrik Ibsen-skolen"
        if candidate[0].isupper():
            # "Ola NAV" is not a surname; in text written in capitals, "LUKAS BERNTSEN" is one (but "OG MØTE" not).
            if candidate.upper() != candidate or len(candidate) == 1:
                return True
            return first.group().isupper() and (folded in SURNAMES or self.listed(candidate) or not _common(folded))
        if folded in SURNAMES or (self.listed(candidate) and folded not in AMBIGUOUS) or candidate.lower() in self.also:
            return True
        # In lower case, a word that is no ordinary word after a name is its surname: "ali rezaei".
        return (
            not first.group()[0].isupper()
            and len(candidate) > 2
            and candidate not in FINITE_VERBS | FUNCTION_WORDS
            and folded not in COMMON
        )


def _common(base: str) -> bool:
    """An ordinary word, place or organisation, also as the last part of a compound ("Fritidskortet")."""
    return base in COMMON or _genitive_stem(base) in COMMON or _compound(base)


def _compound(base: str) -> bool:
    """A compound whose last part (five letters or more) is an ordinary word, or a long definite plural."""
    if len(base) > 8 and base.endswith(("ane", "ene", "arane", "erne")):
        return True  # "Helsesjukepleiarane"
    return any(base[cut:] in COMMON for cut in range(2, len(base) - 4))


def _thing_compound(word: str) -> bool:
    """A hyphenated word whose last part is an ordinary lower-case word: "Ibsen-skolen", "TikTok-live"."""
    if "-" not in word:
        return False
    last = word.rsplit("-", 1)[1]
    return len(last) > 2 and last.islower() and (fold(last) in COMMON or fold(last) in ORGANISATION_WORDS)


_TITLE_WORDS = FUNCTION_WORDS - {"vår"}


def _title_case_lines(text: str) -> list[tuple[int, int]]:
    """The lines that capitalise their function words ("Rus Og Uro", "Fagdag Om Psykisk"), as (start, end)."""
    spans, start = [], 0
    for line in text.split("\n"):
        inner = [m.group() for m in WORD.finditer(line) if not _starts_sentence(line, m.start())]
        # A capitalised function word ("Og", "Om"), not one in capitals ("DA", "I", "MOT").
        if len(inner) >= 2 and any(w[:1].isupper() and w[1:].islower() and w.lower() in _TITLE_WORDS for w in inner):
            spans.append((start, start + len(line)))
        start += len(line) + 1
    return spans


def _genitive_stem(base: str) -> str:
    return base[:-1] if len(base) > 3 and base[-1] in "s'’" else base


def _starts_sentence(text: str, position: int) -> bool:
    """Whether the word at `position` starts a sentence (looking back over spaces only: huge texts stay fast)."""
    index = position - 1
    while index >= 0 and text[index] in " \t":
        index -= 1
    return index < 0 or text[index] in _SENTENCE_END


def _overlaps(start: int, end: int, taken: list[tuple[int, int]]) -> bool:
    return any(start < other_end and other_start < end for other_start, other_end in taken)
