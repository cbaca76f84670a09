"""Quasi-identifiers: details that each fit many young people but together may fit only one.

Helsedirektoratet treats information as anonymous only when it fits at least 4-5 people. One sentence about
one young person that names several narrowing details (gender, age or school year, a school, a place, a rare
trait) is flagged as «kan identifisere», from its first detail to its last. Groups ("jenter på 9. trinn")
are not flagged: the details must be about one person.
"""

from __future__ import annotations

import re

from bot.core.text import fold
from handlers.privacy.lexicon import FINITE_VERBS, word_list
from handlers.privacy.patterns import BIG_PLACES, Finding

# One person, with a gender: "en gutt", "jenta", "han", "ho".
_GENDERED = (
    r"gutt|gutten|gut|guten|jente|jenta|jenten|sønn|sønnen|son|sonen|datter|datteren|dotter|dottera|"
    r"bror|broren|søster|søsteren|syster|systera|venninne|venninna|han|hun|ho"
)
# One person, without a gender: "eleven", "en elev", "ungdommen".
_SINGULAR = r"eleven|en elev|ein elev|ei elev|ungdommen|en ungdom|ein ungdom|barnet|et barn|eit barn"  # vocabulary
_GENDER = re.compile(rf"\b(?i:{_GENDERED})\b")
_PERSON_NOUN = re.compile(rf"\b(?i:{_GENDERED.replace('|han|hun|ho', '')}|{_SINGULAR})\b")
_PERSON = re.compile(rf"\b(?i:{_SINGULAR})\b")
# The age or the school year (one detail: the year follows from the age).
_LEVEL = re.compile(
    r"(?i:\b\d{1,2}\s*år\b|\b\d{1,2}-åring\w*|\(\d{1,2}\)|\b(?:på|i)\s+\d{1,2}(?!\s*[.:\d])\b|"
    r"\b\d{1,2}\.\s?(?:trinn|klasse|steg|årstrinn)\b|\bvg\s?[1-3]\b|\b(?:[1-9]|10)\s?[a-h]\b|\b[1-3][a-zæøå]{2,4}\b|"
    r"\b(?:på|i)\s+(?:mellomtrinnet|ungdomstrinnet|småtrinnet|barnetrinnet|mellomsteget|ungdomssteget)(?:\s+der)?\b|"
    r"\b(?:i|på)\s+(?:sitt|sin|si)\s+(?:trinn|klasse|årskull|kull)\b|\btrinnet\s+(?:sitt|hans|hennes|hennar)\b)"
)
# A school, a club or a team, named ("Hove skole", "Nordli IL", "guttelaget til Drøbak-Frogn") or as "the
# school" of the person ("på skulen", "i klassen").
_SCHOOL = re.compile(
    r"\b[A-ZÆØÅ][\wæøå-]*(?:\s+[A-ZÆØÅ][\wæøå-]*)?\s+(?i:ungdomsskole|ungdomsskule|barneskole|barneskule|skole|"
    r"skule|vgs|videregående(?:\s+skole)?|vidaregåande(?:\s+skule)?)\b|\b[A-ZÆØÅ][\wæøå]+(?:skolen|skulen)\b|"
    r"\b[A-ZÆØÅ][\wæøå-]+\s+(?:IL|FK|BK|SK|IF|(?i:idrettslag|fotballklubb|håndballklubb|skolekorps))\b|"
    r"\b(?i:guttelaget|jentelaget|laget|klubben|korpset)\s+(?:til|i|på)\s+[A-ZÆØÅ][\wæøå-]+(?:\s+(?:IL|FK|BK|SK|IF))?|"
    r"\b(?i:på|ved|i)\s+(?i:skolen|skulen|trinnet|klassen|laget|avdelinga|avdelingen)\b"
)
# The child of someone everyone in the place knows: "Sønnen til rektor på Nordli skole".
_CHILD_OF_ROLE = re.compile(
    r"(?i:\b(?:sønnen|sonen|datteren|dattera|dottera|barnet|borna|barna|broren|søsteren|systera|guten|jenta)\s+til\s+"
    r"(?:rektor(?:en)?|ordfører(?:en)?|ordførar(?:en)?|lensmann(?:en)?|prest(?:en)?|sokneprest(?:en)?|"
    r"politimester(?:en)?|politimeister(?:en)?|rådmann(?:en)?|kommunedirektør(?:en)?|trener(?:en)?|"
    r"kontaktlærer(?:en)?|kontaktlærar(?:en)?|lærer(?:en)?|lærar(?:en)?|legen|imam(?:en)?|pastor(?:en)?|"
    r"\w+leder(?:en)?|\w+leiar(?:en)?|\w+sjef(?:en)?)"
    r"(?:\s+(?:i|på|ved)\s+[A-ZÆØÅ][\wæøå-]+(?:\s+(?:skole|skule|ungdomsskole|ungdomsskule|vgs|IL))?)?"
    r"(?:,\s*(?:ho|han|hun)\s+er\s+\d{1,2}(?:\s*år)?)?)"
)
# Words before the first detail that belong to it: "Den eneste jenta", "bare én jente".
_LEADING = re.compile(r"(?i:\b(?:den|det|dei|de|ei|en|ein|eit|bare|berre|kun)\s+)$")
# After the last detail, the rest of its clause says more about the same person ("... og har Downs syndrom",
# "..., som er datter av den eneste legen på øya"): the finding runs on to a comma, the end of the sentence or
# the main clause's verb ("... som bruker rullestol | blir mobbet").
_CLAUSE_STOP = re.compile(r"[.!?\n]|,(?!\s*som\b)")
_VERB_GOES_ON = frozenset("som og at der ikke ikkje".split())  # vocabulary
_PLACE = re.compile(r"\b(?i:fra|frå|i|på|bor\s+i|bor\s+på|bur\s+i|bur\s+på)\s+(?P<place>[A-ZÆØÅ][\wæøå-]+)")
_TRAITS = word_list("rare_traits.txt")
# Phrases that single one person out: "den ene eleven", "den nye jenta", "kom frå Syria i vår", "mistet moren".
_TRAIT_PHRASES = re.compile(
    r"(?i:\b(?:bare|berre|kun)\s+(?:én|en|ein|éin|ei|éi|ett|eitt)\s+(?:jente|gutt|gut|elev)\b|"
    r"\b(?:fått|fatt|venter|ventar)\s+(?:baby|barn)\b|\b(?:ene|eine|nye|nyaste|nyeste)\s+(?:eleven|guten|gutten|jenta|jenten)\b|\bny\s+(?:elev|i\s+klassen)\b|"
    r"\b(?:kom|kommet|komme|kommen|flytta|flytte|flyttet)\s+(?:hit\s+|til\s+\w+\s+)?(?:fra|frå)\s+[A-ZÆØÅ][\wæøå-]+"
    r"(?:\s+(?:i\s+(?:vår|fjor|sommar|sommer|haust|høst|vinter)|nylig|nyleg))?|"
    r"\b(?:mistet|mista|miste)\s+(?:moren|mora|faren|far|mor|broren|bror|søstera|søsteren|systera)\b|"
    # A parent everyone knows: "datter av den eneste legen", "ein far som er kjend programleiar".
    r"\b(?:datter|dotter|sønn|son|barn)\s+av\b|\b(?:far|mor|faren|mora|moren|foreldra|foreldrene)\s+som\s+er\s+"
    r"(?:kjend|kjent|berømt|ordfører|ordførar|rektor|lege|prest|lensmann|politimester|politimeister)\b)"
)
_WORD = re.compile(r"[\wæøåÆØÅ-]+")
# A sentence ends at a full stop, question or exclamation mark before a space, or at a line break; the full
# stop after a number ("7. trinn"), and a full stop or line break before a small letter ("pga. flytting"), do not.
_SENTENCE = re.compile(r"(?:[^.!?\n]|(?<=\d)\.|[.!?](?!\s|$)|[.!?\n](?=\s*[a-zæøå]))+")


class QuasiFinder:
    """Finds sentences that narrow down to one young person by several details together."""

    def __init__(self, known: frozenset[str]) -> None:
        self.known = known

    def __call__(self, text: str) -> list[Finding]:
        """One finding per sentence that combines enough narrowing details about one person."""
        found = [Finding("quasi", m.start(), m.end()) for m in _CHILD_OF_ROLE.finditer(text)]
        for sentence in _SENTENCE.finditer(text):
            details = self._details(sentence.group(), sentence.start())
            kinds = {kind for kind, _, _ in details}
            one_person = "gender" in kinds or "person" in kinds
            narrowing = kinds - {"person"}
            # A rare trait with two more details narrows to a handful even for a group ("tvillingane på 4.
            # trinn i Jondal"); for one person, one more detail is enough.
            trait = "trait" in narrowing
            # With only a pronoun ("han", "ho"), it may be an adult: three details, as for a group.
            only_pronoun = one_person and not _PERSON_NOUN.search(sentence.group())
            if (one_person and not only_pronoun and (len(narrowing) >= 3 or (trait and len(narrowing) >= 2))) or (
                len(narrowing) >= 3 and (trait or one_person)
            ):
                start = min(start for _, start, _ in details)
                end = max(end for _, _, end in details)
                leading = _LEADING.search(text, 0, start)
                found.append(Finding("quasi", leading.start() if leading else start, _clause_end(text, end)))
        return found

    def _details(self, sentence: str, offset: int) -> list[tuple[str, int, int]]:
        details = [("gender", m.start(), m.end()) for m in _GENDER.finditer(sentence)]
        details += [("person", m.start(), m.end()) for m in _PERSON.finditer(sentence)]
        details += [("level", m.start(), m.end()) for m in _LEVEL.finditer(sentence) if _young(m.group())]
        schools = [("school", m.start(), m.end()) for m in _SCHOOL.finditer(sentence)]
        details += schools
        for match in _PLACE.finditer(sentence):
            place = match.group("place")
            inside_school = any(start <= match.start("place") < end for _, start, end in schools)
            if not inside_school and fold(place) not in self.known and place.upper() != place:
                details.append(("place", match.start(), match.end()))
        for match in _WORD.finditer(sentence):
            if fold(match.group()) in _TRAITS:
                details.append(("trait", match.start(), match.end()))
        details += [
            ("trait", m.start(), m.end())
            for m in _TRAIT_PHRASES.finditer(sentence)
            if not any(w.lower() in BIG_PLACES for w in re.findall(r"[A-ZÆØÅ][\wæøå-]+", m.group()))
        ]
        return [(kind, offset + start, offset + end) for kind, start, end in details]


def _clause_end(text: str, position: int) -> int:
    """Where the clause that runs on from `position` ends (see _CLAUSE_STOP)."""
    stop = _CLAUSE_STOP.search(text, position)
    limit = stop.start() if stop else len(text)
    end, previous = position, ""
    for word in _WORD.finditer(text, position, limit):
        lower = word.group().lower()
        if lower in FINITE_VERBS and previous not in _VERB_GOES_ON:
            break
        end, previous = word.end(), lower
    return end


def _young(level: str) -> bool:
    """Whether an age or a school year is a young person's (an adult's age narrows nothing here)."""
    number = re.search(r"\d{1,2}", level)
    return number is None or "år" not in level or int(number.group()) <= 25
