"""The generic guided-dialog engine: flows are data (steps, choices, branches, outcomes); state is in the database."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.catalog import t
from bot.core.messages import Choice, Choices, Inbound, Part, Reply, Text
from bot.core.parts import contact_card, routine_link
from bot.core.text import fold
from bot.municipality import Municipality
from storage import dialogs as store
from storage.db import Database
from storage.models import DialogState

DIALOG_ACTION = "dialog"
CONTROL_ACTION = "dialog-control"
BACK, CANCEL = "tilbake", "avbryt"

Clock = Callable[[], dt.datetime]
CompletionHook = Callable[[AsyncSession, Inbound, "Flow", dict[str, Any], dict[str, Any]], Awaitable[list[Reply]]]


class FlowError(Exception):
    """A flow file is invalid; the message names the flow and the step."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class FlowChoice(_Model):
    """One answer to a step, and the step it leads to."""

    label: str
    value: str
    next: str | None = None


class FlowStep(_Model):
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
    result: dict[str, Any] = {}


class Flow(_Model):
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
        raise FlowError(f"kan ikke lese flytfilen {path}: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise FlowError(f"feil i flytfilen {path}: {where}: {first['msg']}") from None


def flow_problems(flow: Flow, municipality: Municipality) -> list[str]:
    """Everything wrong with a flow, each problem naming its step; an empty list means it is sound."""
    problems: list[str] = []
    if flow.start not in flow.steps:
        problems.append(f"start: steget «{flow.start}» finnes ikke")
    contact_ids = {c.id for c in municipality.contacts}
    routine_ids = {r.id for r in municipality.routines}
    for name, step in flow.steps.items():
        where = f"steg «{name}»"
        if step.kind == "end":
            if not step.text:
                problems.append(f"{where}: slutt-steget mangler text")
            if step.choices or step.next:
                problems.append(f"{where}: et slutt-steg kan ikke ha choices eller next")
        else:
            if not step.ask:
                problems.append(f"{where}: mangler ask (spørsmålet)")
            if not step.why:
                problems.append(f"{where}: mangler why (hvorfor vi spør)")
            if len(step.choices) < (1 if step.kind == "multi" else 2):
                problems.append(f"{where}: har for få svaralternativer")
            values = [c.value for c in step.choices]
            if len(set(values)) != len(values):
                problems.append(f"{where}: to svaralternativer har samme value")
            if step.kind == "multi" and not step.next:
                problems.append(f"{where}: et flervalgssteg trenger next")
            if step.kind == "multi" and any(c.next for c in step.choices):
                problems.append(f"{where}: svaralternativene i et flervalgssteg kan ikke ha next")
            if step.kind == "choice" and any(not c.next for c in step.choices):
                problems.append(f"{where}: hvert svaralternativ trenger next")
        for target in flow.targets(step):
            if target not in flow.steps:
                problems.append(f"{where}: går til steget «{target}», som ikke finnes")
        problems += [f"{where}: ukjent kontakt «{c}»" for c in step.contacts if c not in contact_ids]
        problems += [f"{where}: ukjent rutine «{r}»" for r in step.routines if r not in routine_ids]
    if problems:
        return problems
    reachable = _reachable(flow, flow.start)
    problems += [f"steg «{name}»: kan ikke nås fra start" for name in flow.steps if name not in reachable]
    ends = {name for name, step in flow.steps.items() if step.kind == "end"}
    problems += [
        f"steg «{name}»: fører aldri til et slutt-steg"
        for name in sorted(reachable)
        if not _reachable(flow, name) & ends
    ]
    return problems


def _reachable(flow: Flow, start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name in seen or name not in flow.steps:
            continue
        seen.add(name)
        todo.extend(flow.targets(flow.steps[name]))
    return seen


class DialogEngine:
    """Runs flows: starts them, takes answers (buttons, numbers or labels), goes back, cancels, expires."""

    def __init__(
        self,
        *,
        db: Database,
        municipality: Municipality,
        clock: Clock,
        flows: Mapping[str, Flow],
        hooks: Mapping[str, CompletionHook],
        timeout: dt.timedelta,
    ) -> None:
        self.db, self.municipality, self.clock, self.timeout = db, municipality, clock, timeout
        self.flows, self.hooks = dict(flows), dict(hooks)
        for flow in self.flows.values():
            problems = flow_problems(flow, municipality)
            if flow.on_complete and flow.on_complete not in self.hooks:
                problems.append(f"on_complete: ukjent handling «{flow.on_complete}»")
            if problems:
                raise FlowError(f"flyten «{flow.id}» er ugyldig: {problems[0]}")

    def flow_for_word(self, word: str) -> Flow | None:
        """The flow that this (folded) command word starts, if any."""
        return next((f for f in self.flows.values() if word in {fold(c) for c in f.commands}), None)

    async def start(self, inbound: Inbound, flow_id: str) -> list[Reply]:
        """Start (or restart) a flow for this user in this conversation and ask its first question."""
        flow = self.flows[flow_id]
        async with self.db.session() as session:
            await store.save_dialog(
                session,
                key=inbound.dialog_key,
                flow=flow.id,
                step=flow.start,
                history=[],
                answers={},
                now=self.clock(),
            )
        intro = [Reply.text(flow.description, ephemeral=True)] if flow.description else []
        return [*intro, self._ask(flow, flow.start, has_history=False)]

    async def active(self, inbound: Inbound) -> bool:
        """Whether this user has a dialog in progress here (expired ones do not count)."""
        async with self.db.session() as session:
            state = await store.get_dialog(session, key=inbound.dialog_key)
            return state is not None and not self._expired(state)

    async def current(self, inbound: Inbound) -> list[Reply]:
        """The question the user is at, e.g. to show again when the console starts; empty if none."""
        async with self.db.session() as session:
            state = await store.get_dialog(session, key=inbound.dialog_key)
        if state is None or self._expired(state) or state.flow not in self.flows:
            return []
        flow = self.flows[state.flow]
        return [
            Reply.text(t("dialog.resumed", title=flow.title), ephemeral=True),
            self._ask(flow, state.step, has_history=bool(state.history)),
        ]

    async def handle(self, inbound: Inbound) -> list[Reply] | None:
        """Take the user's input for their dialog (its row locked: one step, one effect); None if there is none."""
        async with self.db.session() as session:
            state = await store.get_dialog(session, key=inbound.dialog_key, lock=True)
            if state is None:
                return None if not _is_dialog_action(inbound) else [Reply.text(t("dialog.gone"), ephemeral=True)]
            if self._expired(state) or state.flow not in self.flows:
                await store.delete_dialog(session, key=state.key)
                return [Reply.text(t("dialog.expired"), ephemeral=True)]
            return await self._advance(session, inbound, state)

    async def cancel(self, inbound: Inbound) -> bool:
        """Cancel this user's dialog here; True if there was one. Nothing of it is kept."""
        async with self.db.session() as session:
            return await store.delete_dialog(session, key=inbound.dialog_key)

    async def expire(self) -> int:
        """Delete abandoned dialogs; returns how many."""
        async with self.db.session() as session:
            return await store.delete_stale_dialogs(session, idle_since=self.clock() - self.timeout)

    def _expired(self, state: DialogState) -> bool:
        return state.updated_at < self.clock() - self.timeout

    async def _advance(self, session: AsyncSession, inbound: Inbound, state: DialogState) -> list[Reply]:
        flow = self.flows[state.flow]
        step = flow.steps[state.step]
        control, answer = self._interpret(inbound, flow, state)
        if control == "stale":
            return [
                Reply.text(t("dialog.stale"), ephemeral=True),
                self._ask(flow, state.step, bool(state.history)),
            ]
        if control == CANCEL:
            await store.delete_dialog(session, key=state.key)
            return [Reply.text(t("dialog.cancelled", title=flow.title), ephemeral=True)]
        if control == BACK:
            if not state.history:
                return [Reply.text(t("dialog.no_back"), ephemeral=True), self._ask(flow, state.step, False)]
            history = list(state.history)
            previous = history.pop()
            answers = {k: v for k, v in state.answers.items() if k != _answer_key(flow.steps[previous], previous)}
            return await self._move(session, state, flow, previous, history, answers)
        if answer is None:
            hint = t("dialog.not_understood_multi" if step.kind == "multi" else "dialog.not_understood")
            return [Reply.text(hint, ephemeral=True), self._ask(flow, state.step, bool(state.history))]
        answers = {**state.answers, _answer_key(step, state.step): answer}
        target = step.next if step.kind == "multi" else next(c.next for c in step.choices if c.value == answer)
        assert target is not None  # validated: every branch names its next step
        history = [*state.history, state.step]
        if flow.steps[target].kind == "end":
            return await self._finish(session, inbound, flow, target, answers, state)
        return await self._move(session, state, flow, target, history, answers)

    async def _move(
        self,
        session: AsyncSession,
        state: DialogState,
        flow: Flow,
        step: str,
        history: list[str],
        answers: dict[str, Any],
    ) -> list[Reply]:
        """Save the user's new place in the flow and ask the question there."""
        await store.save_dialog(
            session, key=state.key, flow=flow.id, step=step, history=history, answers=answers, now=self.clock()
        )
        return [self._ask(flow, step, bool(history))]

    def _interpret(self, inbound: Inbound, flow: Flow, state: DialogState) -> tuple[str | None, Any]:
        """Turn a button press or typed text into (control, answer); answer None means not understood."""
        step = flow.steps[state.step]
        if inbound.action:
            kind, _, rest = inbound.action.partition(":")
            flow_id, _, step_id = rest.partition(":")
            # A button from an earlier question (double click, old message) must not answer this one.
            if flow_id != flow.id or step_id != state.step:
                return "stale", None
            raw = inbound.values.get("value", "")
            if kind == CONTROL_ACTION:
                return (raw if raw in (BACK, CANCEL) else None), None
            return None, _match_values(step, raw)
        typed = fold(inbound.text).strip(" .!?")
        if typed in (BACK, CANCEL):
            return typed, None
        return None, _match_text(step, inbound.text)

    async def _finish(
        self, session: AsyncSession, inbound: Inbound, flow: Flow, end: str, answers: dict[str, Any], state: DialogState
    ) -> list[Reply]:
        step = flow.steps[end]
        key = state.key
        tz = self.municipality.tz
        result = {
            **step.result,
            "end": end,
            "started_on": state.started_at.astimezone(tz).date(),
            "completed_on": self.clock().astimezone(tz).date(),
        }
        extra: list[Reply] = []
        if flow.on_complete:
            extra = await self.hooks[flow.on_complete](session, inbound, flow, answers, result)
        await store.delete_dialog(session, key=key)
        parts: list[Part] = [Text(step.text)]
        parts += self._references(step)
        return [Reply(parts=tuple(parts), ephemeral=True), *extra]

    def _references(self, step: FlowStep) -> list[Part]:
        parts: list[Part] = []
        for contact_id in step.contacts:
            contact = self.municipality.contact(contact_id)
            if contact is not None:
                parts.append(contact_card(contact))
        parts += [routine_link(self.municipality.routine(r)) for r in step.routines if self.municipality.routine(r).url]
        return parts

    def _ask(self, flow: Flow, step_id: str, has_history: bool) -> Reply:
        step = flow.steps[step_id]
        options = tuple(Choice(label=c.label, value=c.value) for c in step.choices)
        parts: list[Part] = [Text(f"*{step.ask}*")]
        if step.why:
            parts.append(Text(t("dialog.why", why=step.why)))
        # Contacts and forms come before the choices, so the choices end the message and read as one list.
        parts += self._references(step)
        parts.append(
            Choices(
                action=f"{DIALOG_ACTION}:{flow.id}:{step_id}",
                options=options,
                multiple=step.kind == "multi",
                prompt=t("dialog.pick_many") if step.kind == "multi" else "",
            )
        )
        controls = [Choice(t("dialog.back_label"), BACK)] if has_history else []
        controls.append(Choice(t("dialog.cancel_label"), CANCEL))
        parts.append(Choices(action=f"{CONTROL_ACTION}:{flow.id}:{step_id}", options=tuple(controls)))
        return Reply(parts=tuple(parts), ephemeral=True)


def _is_dialog_action(inbound: Inbound) -> bool:
    return (inbound.action or "").split(":", 1)[0] in (DIALOG_ACTION, CONTROL_ACTION)


def _answer_key(step: FlowStep, step_id: str) -> str:
    return step.save_as or step_id


def _match_values(step: FlowStep, raw: str | list[str]) -> Any:
    """Check button values against the step's choices."""
    allowed = {c.value for c in step.choices}
    if step.kind == "multi":
        picked = [raw] if isinstance(raw, str) else list(raw)
        return picked if picked and all(v in allowed for v in picked) else None
    return raw if isinstance(raw, str) and raw in allowed else None


def _match_one(step: FlowStep, typed: str) -> str | None:
    """A typed answer as a number (1-based), a label or a value; None if it is none of them."""
    folded = fold(typed).strip(" .!?")
    if folded.isdigit() and 1 <= int(folded) <= len(step.choices):
        return step.choices[int(folded) - 1].value
    for choice in step.choices:
        if folded in (fold(choice.label).strip(" .!?"), fold(choice.value)):
            return choice.value
    return None


def _match_text(step: FlowStep, typed: str) -> Any:
    """Typed text as the answer to a step: one choice, or for multi several separated by commas or spaces."""
    if step.kind != "multi":
        return _match_one(step, typed)
    whole = _match_one(step, typed)
    if whole is not None:
        return [whole]
    # "1, 3" or "1 3" are numbers; labels may contain spaces, so they are split on commas or "og".
    separator = r"[,;\s]+" if re.fullmatch(r"[\d,;\s]+", typed.strip()) else r"[,;]|\s+og\s+"
    pieces = [piece for piece in re.split(separator, typed) if piece.strip()]
    picked = [_match_one(step, piece) for piece in pieces]
    if not picked or any(p is None for p in picked):
        return None
    return list(dict.fromkeys(p for p in picked if p is not None))
