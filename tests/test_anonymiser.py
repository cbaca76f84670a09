"""The personal-data screen: recall and precision on the labelled corpus, and the cases that matter most."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.config import BUNDLED_MUNICIPALITY
from bot.municipality import load_municipality
from handlers.privacy.screen import screen_for
from tests.conftest import REPORT

DATA = Path(__file__).parent / "data" / "screen"
SCREEN = screen_for(load_municipality(BUNDLED_MUNICIPALITY))


def load(name: str) -> list[dict[str, object]]:
    """One labelled file of tests/data/screen/."""
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


# Everything the screen was tuned on (each file says where it came from and what it measured while held out).
TUNING = {path.name: load(path.name) for path in sorted(DATA.glob("tuning_*.yaml"))}
# Written blind, after the tuning, by writers who never saw the screen; never tuned on. A sentence that informs a
# change to the screen moves to a tuning file, and the held-out set is replaced by a newly written one.
HELD_OUT = load("held_out.yaml")


def measure(corpus: list[dict[str, object]]) -> tuple[float, float, int, int, int, int, list[str], list[str]]:
    """(recall, precision, caught, items, flagged clean, clean, misses, false alarms) of the screen on a corpus."""
    items = caught = clean = flagged_clean = findings = true_findings = 0
    misses: list[str] = []
    false_alarms: list[str] = []
    for entry in corpus:
        text, labelled = str(entry["text"]), list(entry["pii"])  # type: ignore[call-overload]
        result = SCREEN(text)
        covered = {i for f in result.findings for i in range(f.start, f.end)}
        spans = [(text.index(p), text.index(p) + len(p)) for p in labelled]
        for finding in result.findings:
            findings += 1
            true_findings += any(finding.start < end and start < finding.end for start, end in spans)
        if not labelled:
            clean += 1
            if result.findings:
                flagged_clean += 1
                false_alarms.append(f"{text!r} -> {result.redacted!r}")
        for (start, end), pii in zip(spans, labelled, strict=True):
            items += 1
            if set(range(start, end)) <= covered:
                caught += 1
            else:
                misses.append(f"{pii!r} in {text!r}")
    return caught / items, true_findings / max(findings, 1), caught, items, flagged_clean, clean, misses, false_alarms


def _summary(name: str, corpus: list[dict[str, object]]) -> tuple[float, float, list[str], list[str]]:
    recall, precision, caught, items, flagged, clean, misses, alarms = measure(corpus)
    REPORT.append(
        f"{name} ({len(corpus)} sentences): recall {recall:.1%} ({caught}/{items}), precision {precision:.1%}, "
        f"clean flagged {flagged}/{clean} ({flagged / clean:.1%})"
    )
    return recall, flagged / clean, misses, alarms


def test_the_labelled_sets_are_big_balanced_and_well_formed() -> None:
    assert len(HELD_OUT) >= 200 and sum(1 for entry in HELD_OUT if not entry["pii"]) >= 100
    for corpus in (HELD_OUT, *TUNING.values()):
        for entry in corpus:
            assert all(str(p) in str(entry["text"]) for p in entry["pii"]), entry  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", list(TUNING))
def test_recall_and_precision_on_what_the_screen_was_tuned_on(name: str) -> None:
    recall, flagged, misses, alarms = _summary(f"screen, tuning set {name}", TUNING[name])
    assert recall >= 0.98, misses
    assert flagged <= 1 / 20, alarms


def test_recall_and_precision_on_held_out_text() -> None:
    # The honest figure: text the screen was never tuned on. The aim is 98% caught and at most 1 clean text in 20
    # flagged; five blind rounds have held out at 87-91% (README, «Privacy»), so this guards against getting
    # worse than today (91.1%, 8 of 140) and prints where it stands. Misses are not printed: reading them would
    # make this set tuning data.
    recall, flagged, misses, alarms = _summary("screen, HELD-OUT set (never tuned on)", HELD_OUT)
    met = recall >= 0.98 and flagged <= 1 / 20
    REPORT.append(f"screen, held-out aim (98% caught, at most 5% of clean text flagged): {'met' if met else 'NOT met'}")
    assert recall >= 0.90 and flagged <= 0.07, (len(misses), len(alarms))


@pytest.mark.parametrize(
    "text,kind",
    [
        ("fnr 01019012345", "fødselsnummer"),
        ("D-nummer 41019012345", "fødselsnummer"),
        ("nytt nummer 311299 99999 fra 2032", "fødselsnummer"),  # date-like, even if the check digits fail
        ("ring 922 04 384", "telefonnummer"),
        ("ring +47 92204384", "telefonnummer"),
        ("skriv til ola@example.no", "e-postadresse"),
        ("bor i Storgata 12", "adresse"),
        ("1234 Eksempelby", "adresse"),
        ("konto 1234.56.78903", "kontonummer"),
        ("går i 7B", "skole og klasse"),
        ("en gutt på 14 fra Nordli", "alder og sted"),
        ("vi har snakket med Ola", "navn"),
        ("eleven ola", "navn"),
        # The kinds issue 13 found getting through, and their relatives (bokmål and nynorsk):
        ("vi er bekymret for henrik på 8. trinn", "navn"),  # lower case
        ("snakka med amalie i dag, ho vil ikkje heim", "navn"),
        ("Vår i 5C sier at storebroren selger", "navn"),  # a name that is also a word
        ("Sol og Embla har vore borte", "navn"),
        ("Storm og Ørn har vore borte frå skulen", "navn"),
        ("Det gjelder Zainab, som har mye fravær", "navn"),  # not in the name lists, after a cue
        ("bekymra for Oluwaseun etter helga", "navn"),
        ("Rojda sier at broren kontrollerer telefonen", "navn"),  # unknown, first in the sentence
        ("Det gjelder Thea S. på 9. trinn", "navn"),
        ("kaller seg @snusbaron06 på Snap", "brukernavn"),
        ("brukernavnet hans er mørke.ulv", "brukernavn"),
        ("gamertaggen hans er xXDødsengelXx", "brukernavn"),
        ("sjekk discord-brukeren ghostrider#4421", "brukernavn"),
        ("en hvit bil, reg.nr. DN 43210", "registreringsnummer"),
        ("mopeden hans har skilt RA 887", "registreringsnummer"),
        ("født 14.02.2011", "fødselsdato"),
        ("ho er fødd 3. mars 2010", "fødselsdato"),
        ("Hanna er født i 2011", "fødselsdato"),
        ("går på 1STC", "skole og klasse"),
        ("eleven i 2STC på Nordli vgs", "skole og klasse"),
        ("den einaste jenta på 9. trinn på Sande skule som brukar rullestol", "kan identifisere"),
        ("en gutt på 8. trinn på Hove skole som nettopp kom fra Eritrea", "kan identifisere"),
        ("Sønnen til rektor på Nordli skole har blitt tatt for tyveri", "kan identifisere"),
    ],
)
def test_each_kind_is_found(text: str, kind: str) -> None:
    assert kind in SCREEN(text).kinds


def test_the_redacted_text_passes_the_screen() -> None:
    # «Lagre uten personopplysningene» screens the redacted text again: it must be clean at the first try.
    again = [SCREEN(SCREEN(str(e["text"])).redacted) for corpus in TUNING.values() for e in corpus]
    assert [r.redacted for r in again if not r.clean] == []


@pytest.mark.parametrize(
    "text",
    [
        "Vi vet ikke brukernavnet hans.",
        "Møtet er 23.04.2025 kl. 08.30",
        "Budsjettet er 35 000 000 kroner",
        "Det gjelder andre kommuner, snakket med andre",
        "Han har ADHD.",
        "Han kom fra Bergen i går for å holde kurs",
        "Han er 45 år og bor i Sørvik",
        "Se kapittel 9 A og § 9 A-4, møterom 1B",
        "Foreldre til barn på 12 år",
        "Legg referat_slt_mars.docx i mappen",
    ],
)
def test_review_findings_stay_clean(text: str) -> None:
    assert SCREEN(text).clean, SCREEN(text).redacted


def test_pasted_spaces_and_abbreviations_do_not_leak() -> None:
    assert SCREEN("Ola\u00a0Nordmann ble tatt").redacted == "[navn] ble tatt"
    assert SCREEN("bor i Storgata 12 i Oslo").redacted == "bor i [adresse] i Oslo"
    # A mailbox of one word names no person: its word elsewhere is no name (the address itself is still flagged).
    assert SCREEN("Skriv til hjelp@ung.no for hjelp.").redacted == "Skriv til [e-post] for hjelp."
    quasi = SCREEN("en gutt på 8. trinn pga. flytting på Hove skole som nettopp kom fra Eritrea")
    assert quasi.redacted == "[detaljer som kan identifisere]"


def test_a_redaction_keeps_the_space_after_it() -> None:
    assert SCREEN("Han bor i Storgata 12 har jeg hørt").redacted == "Han bor i [adresse] har jeg hørt"
    assert SCREEN("bor i Fjellvegen 7 B med mora").redacted == "bor i [adresse] med mora"


def test_quasi_identifiers_get_the_same_three_choices_as_a_name() -> None:
    result = SCREEN("den eneste jenta på 9. trinn på Hove skole som bruker rullestol blir mobbet")
    assert result.kinds == ["kan identifisere"]
    assert result.redacted == "[detaljer som kan identifisere] blir mobbet"


@pytest.mark.parametrize(
    "text",
    [
        "Ring 112 (politi), 113 eller 110, og Alarmtelefonen 116 111",
        "Politiet har sentralbord på 02800",
        "NAV, BUP og PPT samarbeider på Teams",
        "Elever på 10. trinn på Nordli skole",
        "Jenter på 9. trinn på Hove skole bruker mer snus enn før",  # a group, not one person
        "Elevar med ADHD treng meir støtte i overgangen til vidaregåande",
        "Ungdom født 2010 og 2011 er målgruppen for sommerprosjektet",
        "foreslår at vi tar opp knivbæring blant unge under 18 år i Oslo",
        "Tiltaket Ungdomslos har hatt god verknad i nabokommunen",
        "Kan nokon frå KoRus Vest halde innlegg om snus i veke 40?",
        "På Bømlo og Stord er det mange unge som kjøper alkohol gjennom Snapchat",
        "Møte med Bydel Søndre Nordstrand og Politiet onsdag kl 13",
        "Se ung.no og nav.no, f.eks. om rettigheter",
        "Per i dag har vi liv og helse, dag og natt, vår og høst",
        "Eksempelby og Sørvik har flere ungdomsklubber",
        "I 2025 Oslo-tallene viste økning",
        "Ungdom på 14-16 år",
        "",
    ],
)
def test_help_lines_institutions_own_places_and_years_are_not_flagged(text: str) -> None:
    assert SCREEN(text).clean


def test_redaction_replaces_each_finding_with_its_kind() -> None:
    result = SCREEN("Ola Hansen (14) i 8B, tlf 922 04 384, bor i Granveien 3")
    assert result.redacted == "[navn] (14) i [skole og klasse], tlf [telefonnummer], bor i [adresse]"


def test_huge_and_odd_text_is_screened_quickly() -> None:
    import time

    text = ("Vi ser mer hasj i parken. Ola ringte fra 922 04 384. 🙂\u200b " * 500)[:20000]
    start = time.perf_counter()
    result = SCREEN(text)
    assert "navn" in result.kinds and "telefonnummer" in result.kinds
    assert time.perf_counter() - start < 5
