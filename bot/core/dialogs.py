"""The generic guided-dialog engine: runs flows (bot/core/flows.py) with each dialog's state in the database."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.catalog import current_language, t
from bot.core.clock import Clock
from bot.core.content import Content
from bot.core.flows import Flow, FlowError, FlowStep, answer_key, flow_gaps, flow_problems, match_text, match_values
from bot.core.messages import Choice, Choices, Inbound, Part, Reply, Text
from bot.core.parts import contact_card, routine_link
from bot.core.text import fold
from bot.municipality import Municipality
from storage import dialogs as store
from storage.db import Database
from storage.models import DialogState

log = logging.getLogger(__name__)

DIALOG_ACTION = "dialog"
CONTROL_ACTION = "dialog-control"
BACK, CANCEL = "tilbake", "avbryt"
# The same two words as people type them in nynorsk and English.
CONTROL_WORDS = {"tilbake": BACK, "attende": BACK, "back": BACK, "avbryt": CANCEL, "cancel": CANCEL}  # vocabulary

CompletionHook = Callable[[AsyncSession, Inbound, "Flow", dict[str, Any], dict[str, Any]], Awaitable[list[Reply]]]


class DialogEngine:
    """Runs flows: starts them, takes answers (buttons, numbers or labels), goes back, cancels, expires."""

    def __init__(
        self,
        *,
        db: Database,
        content: Content,
        clock: Clock,
        flows: Mapping[str, Flow],
        hooks: Mapping[str, CompletionHook],
        timeout: dt.timedelta,
        translations: Mapping[str, Mapping[str, Flow]] | None = None,
    ) -> None:
        self.db, self.content, self.clock, self.timeout = db, content, clock, timeout
        municipality = content.current
        self.flows, self.hooks = dict(flows), dict(hooks)
        # The same flows in other languages (bot/data/flows/<lang>/): the same steps and values, other texts.
        self.translations = {lang: dict(found) for lang, found in (translations or {}).items()}
        for flow in self.flows.values():
            problems = flow_problems(flow)
            if flow.on_complete and flow.on_complete not in self.hooks:
                problems.append(t("flow.unknown_hook", hook=flow.on_complete))
            if problems:
                raise FlowError(t("flow.invalid", flow=flow.id, problem=problems[0]))
            # What the file lacks is left out of the steps that name it: a smaller dialog, never a refusal.
            for gap in flow_gaps(flow, municipality):
                log.warning(
                    "municipality %s: flow %s step %s names %s %r, which the file lacks; the step leaves it out",
                    municipality.id,
                    flow.id,
                    gap.step,
                    gap.kind,
                    gap.meaning,
                )

    @property
    def municipality(self) -> Municipality:
        """The municipality as it is now (coordinators' edits included)."""
        return self.content.current

    def flow(self, flow_id: str) -> Flow:
        """The flow in the language in effect (its texts), else as written."""
        return self.translations.get(current_language(), {}).get(flow_id) or self.flows[flow_id]

    def flow_for_word(self, word: str) -> Flow | None:
        """The flow that this (folded) command word starts, if any."""
        return next((f for f in self.flows.values() if word in {fold(c) for c in f.commands}), None)

    async def start(self, inbound: Inbound, flow_id: str) -> list[Reply]:
        """Start (or restart) a flow for this user in this conversation and ask its first question."""
        flow = self.flow(flow_id)
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
        flow = self.flow(state.flow)
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
        flow = self.flow(state.flow)
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
            answers = {k: v for k, v in state.answers.items() if k != answer_key(flow.steps[previous], previous)}
            return await self._move(session, state, flow, previous, history, answers)
        if answer is None:
            hint = t("dialog.not_understood_multi" if step.kind == "multi" else "dialog.not_understood")
            return [Reply.text(hint, ephemeral=True), self._ask(flow, state.step, bool(state.history))]
        answers = {**state.answers, answer_key(step, state.step): answer}
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
            return None, match_values(step, raw)
        typed = fold(inbound.text).strip(" .!?")
        if typed in CONTROL_WORDS:
            return CONTROL_WORDS[typed], None
        return None, match_text(step, inbound.text)

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
        for meaning in step.contacts:
            contact = self.municipality.role_contact(meaning)
            if contact is not None:
                parts.append(contact_card(contact))
        for meaning in step.routines:
            routine = self.municipality.role_routine(meaning)
            if routine is not None and routine.url:
                parts.append(routine_link(routine))
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
