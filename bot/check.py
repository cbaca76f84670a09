"""`slt-bot check [FILE]`: a friendly report on a municipality file (or a folder of them) and the flows it uses.

For a coordinator editing the file: what is wrong (where, and how to fix it), what is missing and what the bot
does without it, and routines whose review is more than a year old. The bot can run on the file when there is
nothing wrong; what is missing only narrows what it can do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from bot.app import load_flows  # the same flows the bot would load
from bot.core.catalog import has_catalogue, t
from bot.core.flows import FlowError, flow_gaps, flow_problems
from bot.municipality import Municipality, MunicipalityError, load_municipalities
from bot.yearly import default_tasks


@dataclass
class Report:
    """What a check found in one file: errors stop the bot, notes only narrow what it can do."""

    path: Path
    name: str = ""
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The report as the coordinator reads it."""
        title = self.name or str(self.path)
        if self.errors:
            head = [t("check.has_errors", name=title, path=self.path, n=len(self.errors))]
            head += [f"  - {error}" for error in self.errors]
        else:
            head = [t("check.ok", name=title, path=self.path)]
        if self.notes:
            head.append(t("check.notes_title"))
            head += [f"  - {note}" for note in self.notes]
        return head


def check(path: Path, today: dt.date) -> list[Report]:
    """Check a municipality file, or every file of a folder; never raises for a bad file."""
    try:
        files = load_municipalities(path)
    except MunicipalityError as exc:
        return [Report(path, errors=[str(exc)])]
    reports = []
    for municipality, file in files.values():
        report = Report(file, name=municipality.name)
        report.errors += _flow_errors(municipality, file)
        report.notes += _missing(municipality)
        report.notes += _flow_gaps(municipality, file)
        report.notes += _stale(municipality, today)
        reports.append(report)
    return reports


def _flow_errors(municipality: Municipality, file: Path) -> list[str]:
    try:
        flows = load_flows(municipality, file.parent)
    except FlowError as exc:
        return [str(exc)]
    return [
        t("check.flow_problem", flow=flow.id, problem=problem)
        for flow in flows.values()
        for problem in flow_problems(flow)
    ]


def _flow_gaps(municipality: Municipality, file: Path) -> list[str]:
    try:
        flows = load_flows(municipality, file.parent)
    except FlowError:
        return []  # already an error
    notes = []
    for flow in flows.values():
        # One note per missing meaning, naming every step that would have shown it.
        steps: dict[tuple[str, str], list[str]] = {}
        for gap in flow_gaps(flow, municipality):
            steps.setdefault((gap.kind, gap.meaning), []).append(gap.step)
        notes += [
            t(f"check.flow_gap_{kind}", flow=flow.title, steps=", ".join(names), meaning=meaning)
            for (kind, meaning), names in steps.items()
        ]
    return notes


def _missing(municipality: Municipality) -> list[str]:
    notes = []
    if not municipality.coordinators:
        notes.append(t("check.no_coordinators"))
    if municipality.role_contact("slt-koordinator") is None:
        notes.append(t("check.no_slt_coordinator_contact", first=municipality.contacts[0].name))
    if municipality.role_contact("barnevernvakt") is None and not any(
        "barnevernvakt" in f"{c.id} {c.role}".lower() for c in municipality.contacts
    ):
        notes.append(t("check.no_barnevernvakt"))
    if not has_catalogue(municipality.language):
        notes.append(t("check.no_catalogue", code=municipality.language))
    if not municipality.meetings:
        notes.append(t("check.no_meetings"))
    if municipality.yearly_tasks is default_tasks():
        notes.append(t("check.default_year_wheel"))
    for index, series in enumerate(municipality.meetings):
        if series.reminders and not (series.channels or municipality.channels):
            notes.append(t("check.reminders_nowhere", field=f"meetings[{index}]", name=series.name))
    for index, contact in enumerate(municipality.contacts):
        if not contact.phone and not contact.email:
            notes.append(t("check.contact_unreachable", field=f"contacts[{index}]", name=contact.name))
    return notes


def _stale(municipality: Municipality, today: dt.date) -> list[str]:
    due = {routine.id for routine in municipality.due_for_review(today)}
    return [
        t("check.review_due", field=f"routines[{index}].last_reviewed", title=routine.title, day=routine.last_reviewed)
        for index, routine in enumerate(municipality.routines)
        if routine.id in due
    ]
