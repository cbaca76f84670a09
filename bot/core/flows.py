"""Guided dialogs as data: the flow model (steps, choices, branches, outcomes), its loader and its validator.

Also how a typed or clicked answer matches a step's choices, which depends only on the step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError

from bot.core.catalog import t
from bot.core.text import fold
from bot.core.validation import StrictModel, describe_error
from bot.municipality import Municipality

_NUMBERS = re.compile(r"[\d,;\s]+")
_NUMBER_SEPARATOR = re.compile(r"[,;\s]+")
# Labels may contain spaces, so several are separated by commas or "og".
_LABEL_SEPARATOR = re.compile(r"[,;]|\s+og\s+")


class FlowError(Exception):
    """A flow file is invalid; the message names the flow and the step."""


class FlowChoice(StrictModel):
    """One answer to a step, and the step it leads to."""

    label: str
    value: str
    next: str | None = None


class FlowStep(StrictModel):
    """A question (one choice or several), or an end with a conclusion."""

    kind: Literal["choice", "multi", "end"] = "choice"
    ask: str = ""
    why: str = ""
    text: str = ""
    choices: tuple[FlowChoice, ...] = ()
    next: str | None = None
    save_as: str | None = None
    contacts: tuple[str, ...] = ()
    routines: tuple[str, ...] = ()
    result: dict[str, Any] = Field(default_factory=dict)


class Flow(StrictModel):
    """A guided dialog: where it starts, its steps, the words that start it, and what happens at its end."""

    id: str
    title: str
    description: str = ""
    commands: tuple[str, ...] = ()
    start: str
    on_complete: str | None = None
    steps: dict[str, FlowStep]

    def label(self, key: str, value: str) -> str:
        """The label the user saw for an answer value (e.g. 'individual' -> 'Én person')."""
        for name, step in self.steps.items():
            if (step.save_as or name) == key:
                for choice in step.choices:
                    if choice.value == value:
                        return choice.label
        return value

    def targets(self, step: FlowStep) -> list[str]:
        """The steps a step can lead to."""
        found = [choice.next for choice in step.choices if choice.next]
        return [*found, step.next] if step.next else found


def load_flow(path: Path) -> Flow:
    """Read a flow file (YAML); raise FlowError naming the file and field when it is malformed."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Flow.model_validate(raw)
    except (OSError, yaml.YAMLError) as exc:
        raise FlowError(t("flow.unreadable", path=path, error=exc)) from None
    except ValidationError as exc:
        raise FlowError(t("flow.invalid_file", path=path, problem=describe_error(exc))) from None


def flow_problems(flow: Flow) -> list[str]:
    """Everything wrong with a flow, each problem naming its step; an empty list means it is sound.

    Contacts and routines the municipality lacks are not problems but gaps (flow_gaps): the step shows less.
    """
    problems: list[str] = []
    if flow.start not in flow.steps:
        problems.append(t("flow.no_start", step=flow.start))
    for name, step in flow.steps.items():
        where = t("flow.step", step=name)
        if step.kind == "end":
            if not step.text:
                problems.append(t("flow.end_without_text", where=where))
            if step.choices or step.next:
                problems.append(t("flow.end_with_choices", where=where))
        else:
            if not step.ask:
                problems.append(t("flow.no_ask", where=where))
            if not step.why:
                problems.append(t("flow.no_why", where=where))
            if len(step.choices) < (1 if step.kind == "multi" else 2):
                problems.append(t("flow.too_few_choices", where=where))
            values = [c.value for c in step.choices]
            if len(set(values)) != len(values):
                problems.append(t("flow.duplicate_value", where=where))
            if step.kind == "multi" and not step.next:
                problems.append(t("flow.multi_without_next", where=where))
            if step.kind == "multi" and any(c.next for c in step.choices):
                problems.append(t("flow.multi_choice_next", where=where))
            if step.kind == "choice" and any(not c.next for c in step.choices):
                problems.append(t("flow.choice_without_next", where=where))
        for target in flow.targets(step):
            if target not in flow.steps:
                problems.append(t("flow.unknown_target", where=where, step=target))
    if problems:
        return problems
    reachable = _reachable(flow, flow.start)
    problems += [t("flow.unreachable", where=t("flow.step", step=name)) for name in flow.steps if name not in reachable]
    ends = {name for name, step in flow.steps.items() if step.kind == "end"}
    problems += [
        t("flow.no_end", where=t("flow.step", step=name))
        for name in sorted(reachable)
        if not _reachable(flow, name) & ends
    ]
    return problems


@dataclass(frozen=True)
class Gap:
    """A contact or routine a flow step names that the municipality file does not have."""

    step: str
    kind: Literal["contact", "routine"]
    meaning: str


def flow_gaps(flow: Flow, municipality: Municipality) -> list[Gap]:
    """The contacts and routines a flow names (by meaning or id) that this municipality's file does not have."""
    gaps = []
    for name, step in flow.steps.items():
        gaps += [Gap(name, "contact", c) for c in step.contacts if municipality.role_contact(c) is None]
        gaps += [Gap(name, "routine", r) for r in step.routines if municipality.role_routine(r) is None]
    return gaps


def structure_differences(original: Flow, translated: Flow) -> list[str]:
    """Where a translation of a flow is not the same flow (steps, kinds, values, branches, what it records)."""

    def shape(flow: Flow) -> dict[str, Any]:
        return {
            "id": flow.id,
            "start": flow.start,
            "on_complete": flow.on_complete,
            "steps": {
                name: (
                    step.kind,
                    step.next,
                    step.save_as,
                    step.contacts,
                    step.routines,
                    step.result,
                    [(c.value, c.next) for c in step.choices],
                )
                for name, step in flow.steps.items()
            },
        }

    mine, theirs = shape(original), shape(translated)
    if mine == theirs:
        return []
    names = [n for n in mine["steps"] if mine["steps"].get(n) != theirs["steps"].get(n)]
    names += [n for n in theirs["steps"] if n not in mine["steps"]]
    return [t("flow.step", step=name) for name in names] or [t("flow.no_start", step=translated.start)]


def _reachable(flow: Flow, start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name in seen or name not in flow.steps:
            continue
        seen.add(name)
        todo.extend(flow.targets(flow.steps[name]))
    return seen


def answer_key(step: FlowStep, step_id: str) -> str:
    """The key a step's answer is kept under."""
    return step.save_as or step_id


def match_values(step: FlowStep, raw: str | list[str]) -> Any:
    """Check button values against the step's choices."""
    allowed = {c.value for c in step.choices}
    if step.kind == "multi":
        picked = [raw] if isinstance(raw, str) else list(raw)
        return picked if picked and all(v in allowed for v in picked) else None
    return raw if isinstance(raw, str) and raw in allowed else None


def match_one(step: FlowStep, typed: str) -> str | None:
    """A typed answer as a number (1-based), a label or a value; None if it is none of them."""
    folded = fold(typed).strip(" .!?")
    if folded.isdigit() and 1 <= int(folded) <= len(step.choices):
        return step.choices[int(folded) - 1].value
    for choice in step.choices:
        if folded in (fold(choice.label).strip(" .!?"), fold(choice.value)):
            return choice.value
    return None


def match_text(step: FlowStep, typed: str) -> Any:
    """Typed text as the answer to a step: one choice, or for multi several separated by commas or spaces."""
    if step.kind != "multi":
        return match_one(step, typed)
    whole = match_one(step, typed)
    if whole is not None:
        return [whole]
    # "1, 3" or "1 3" are numbers; labels may contain spaces, so they are split on commas or "og".
    separator = _NUMBER_SEPARATOR if _NUMBERS.fullmatch(typed.strip()) else _LABEL_SEPARATOR
    pieces = [piece for piece in separator.split(typed) if piece.strip()]
    picked = [match_one(step, piece) for piece in pieces]
    if not picked or any(p is None for p in picked):
        return None
    return list(dict.fromkeys(p for p in picked if p is not None))
