"""The personal-data screen: recall and precision on the labelled corpus, and the cases that matter most."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.config import BUNDLED_MUNICIPALITY
from bot.municipality import load_municipality
from handlers.privacy.screen import screen_for
from tests.conftest import REPORT

CORPUS = yaml.safe_load((Path(__file__).parent / "data" / "screen_corpus.yaml").read_text(encoding="utf-8"))
SCREEN = screen_for(load_municipality(BUNDLED_MUNICIPALITY))


HOLDOUT = yaml.safe_load((Path(__file__).parent / "data" / "screen_holdout.yaml").read_text(encoding="utf-8"))
# Written blind (the writer never saw the screen or its corpora) on 2026-12-02, before any tuning for it.
BLIND = yaml.safe_load((Path(__file__).parent / "data" / "screen_holdout_blind.yaml").read_text(encoding="utf-8"))


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


def test_the_corpus_is_big_and_balanced_enough() -> None:
    assert len(CORPUS) >= 150
    assert sum(1 for entry in CORPUS if entry["pii"]) >= 60
    assert sum(1 for entry in CORPUS if not entry["pii"]) >= 60


def test_recall_and_precision_on_the_labelled_corpus() -> None:
    recall, precision, caught, items, flagged, clean, misses, alarms = measure(CORPUS)
    REPORT.append(
        f"personal-data screen on {len(CORPUS)} labelled sentences: recall {recall:.1%} ({caught}/{items} items), "
        f"precision {precision:.1%}, clean suggestions flagged {flagged}/{clean} ({flagged / clean:.1%})"
    )
    assert recall >= 0.98, misses
    assert flagged / clean <= 1 / 20, alarms


def test_the_screen_on_held_out_sentences() -> None:
    # Never used for tuning: this is the honest estimate. The bar is lower than the aim on purpose,
    # so the number is reported rather than tuned away; misses are printed for the next round of work.
    recall, precision, caught, items, flagged, clean, misses, alarms = measure(HOLDOUT)
    REPORT.append(
        f"held-out check ({len(HOLDOUT)} sentences never used for tuning): recall {recall:.1%} ({caught}/{items}), "
        f"precision {precision:.1%}, clean flagged {flagged}/{clean}"
        + (f"; missed: {'; '.join(misses)}" if misses else "")
        + (f"; false alarms: {'; '.join(alarms)}" if alarms else "")
    )
    assert recall >= 0.9 and flagged / clean <= 0.1


def test_the_screen_on_the_blind_set() -> None:
    # The measure for the next round of work on the screen: reported, not yet held to a bar, and never tuned on
    # (a sentence that informs a change to the screen moves to the tuning corpus and is replaced by a new one).
    assert len(BLIND) >= 200 and sum(1 for entry in BLIND if not entry["pii"]) >= 100
    assert all(p in entry["text"] for entry in BLIND for p in entry["pii"])
    recall, precision, caught, items, flagged, clean, misses, _ = measure(BLIND)
    REPORT.append(
        f"blind held-out set ({len(BLIND)} sentences, written without seeing the screen): recall {recall:.1%} "
        f"({caught}/{items}), precision {precision:.1%}, clean flagged {flagged}/{clean}, {len(misses)} misses"
    )


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
    ],
)
def test_each_kind_is_found(text: str, kind: str) -> None:
    assert kind in SCREEN(text).kinds


@pytest.mark.parametrize(
    "text",
    [
        "Ring 112 (politi), 113 eller 110, og Alarmtelefonen 116 111",
        "Politiet har sentralbord på 02800",
        "NAV, BUP og PPT samarbeider på Teams",
        "Elever på 10. trinn på Nordli skole",
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
