"""The personal-data screen for free text: finds names, numbers, addresses and quasi-identifiers, and redacts them.

Every feature that takes free text (topic suggestions, the escalation description, referat fields) passes it
through `Screen` before anything is stored. The screen errs towards flagging: a flagged suggestion costs the
user one click, a missed name can identify a child. The rules live beside it: `patterns` (data with a shape),
`names` (people's names) and `quasi` (details that identify together).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.catalog import t
from bot.core.text import fold
from bot.municipality import Municipality
from handlers.privacy import patterns
from handlers.privacy.lexicon import NOT_PEOPLE, first_names
from handlers.privacy.names import NameFinder
from handlers.privacy.patterns import Finding
from handlers.privacy.quasi import QuasiFinder

# Kinds in the order they are listed to the user; each has a label and a marker (screen.kind.<kind>,
# screen.marker.<kind>) in the catalogue.
KINDS = (
    "name",
    "national_id",
    "birth_date",
    "phone",
    "email",
    "address",
    "account",
    "handle",
    "vehicle",
    "school_class",
    "age_place",
    "quasi",
)


@dataclass(frozen=True)
class Screening:
    """The result of screening one text."""

    text: str
    findings: tuple[Finding, ...]
    # Every kind found, also those merged into an overlapping finding of another kind.
    found_kinds: frozenset[str] = frozenset()

    @property
    def clean(self) -> bool:
        """Whether nothing was found."""
        return not self.findings

    @property
    def kinds(self) -> list[str]:
        """The kinds found, each once, in the order of KINDS, as the user reads them (e.g. 'navn')."""
        found = self.found_kinds | {finding.kind for finding in self.findings}
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


class Screen:
    """Finds personal data in Norwegian staff text; the municipality's own places and schools are not people."""

    def __init__(self, *, known_places: Iterable[str] = ()) -> None:
        # The words of the municipality's places, except first names inside longer ones ("Olav Duun vgs").
        self.known = NOT_PEOPLE | {
            fold(word)
            for place in known_places
            for word in place.split()
            if len(place.split()) == 1 or fold(word) not in first_names()
        }
        self.names = NameFinder(self.known)
        self.quasi = QuasiFinder(NOT_PEOPLE)

    def __call__(self, text: str) -> Screening:
        """Screen one text."""
        original, text = text, text.translate(_SPACES)  # same length: the offsets hold for the original
        # A marker from an earlier redaction ("[navn]") is taken: nothing is found in or after it because of it.
        markers = [Finding("marker", m.start(), m.end()) for m in _MARKER.finditer(text)]
        found: list[Finding] = list(markers)
        found += patterns.emails(text)
        found += patterns.national_ids(text)
        found += patterns.accounts(text)
        found += patterns.birth_dates(text)
        found += patterns.phones(text, found)
        found += patterns.plates(text)
        found += patterns.handles(text, found)
        found += patterns.addresses(text)
        found += patterns.classes(text)
        found += patterns.ages(text)
        taken = [(f.start, f.end) for f in found]
        # The parts of an e-mail address (fornavn.etternavn@...) are names wherever else they appear.
        also = frozenset(part for f in found if f.kind == "email" for part in _address_parts(text[f.start : f.end]))
        names = NameFinder(self.known, also=also) if also else self.names
        found += [Finding("name", start, end) for start, end in names(text, taken)]
        found += self.quasi(text)
        found = [f for f in found if f.kind != "marker" and not patterns.overlaps(f.start, f.end, markers)]
        return Screening(text=original, findings=_merge(found), found_kinds=frozenset(f.kind for f in found))


def _address_parts(address: str) -> list[str]:
    """The name parts of a personal address (fornavn.etternavn@...): "per.arne.lid@nav.no" -> per, arne, lid.

    A mailbox of one word ("hjelp@ung.no", "kontakt@...") names no person.
    """
    parts = re.split(r"[._+-]", address.split("@", 1)[0].lower())
    return [part for part in parts if len(part) > 2 and part.isalpha()] if len(parts) > 1 else []


# Spaces and hyphens pasted from Outlook or Teams (no-break, narrow, figure; non-breaking hyphen), and tabs.
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2007": " ", "\t": " ", "\u2011": "-", "\u2010": "-"})
_MARKER = re.compile(r"\[[a-zæøå ]{3,40}\]")


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
