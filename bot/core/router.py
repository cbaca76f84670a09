"""Maps command words, actions and free text to handlers; usable as a decorator or a plain call."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from bot.core.catalog import t, use_language
from bot.core.context import Context, HelpEntry
from bot.core.dialogs import CONTROL_ACTION, CONTROL_WORDS, DIALOG_ACTION
from bot.core.messages import Inbound, Reply
from bot.core.text import fold, similarity

Handler = Callable[[Inbound, Context], Awaitable[list[Reply]]]


@dataclass(frozen=True)
class Command:
    """A command word (and its spellings) with its handler."""

    words: tuple[str, ...]
    handler: Handler
    takes_text: bool
    coordinators_only: bool
    private: bool
    help: str | None


def command_text(inbound: Inbound) -> str:
    """What follows the command word, e.g. the topic in 'tema Skjermbruk'."""
    parts = inbound.text.strip().split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


class Router:
    """Routes an Inbound: actions by prefix, a dialog in progress first, then commands, then the fallback."""

    def __init__(self) -> None:
        self._commands: list[Command] = []
        self._actions: dict[str, Handler] = {}
        self._private_actions: set[str] = set()
        self._fallback: Handler | None = None
        self._instant_forms: dict[str, Callable[[Context], Reply]] = {}
        self._form_openers: dict[str, Handler] = {}
        self._urgent: list[tuple[Callable[[str], bool], Callable[[Context], Reply]]] = []

    def command(
        self,
        *words: str,
        takes_text: bool = False,
        coordinators_only: bool = False,
        private: bool = False,
        help: str | None = None,
    ) -> Callable[[Handler], Handler]:
        """Register a handler for command words; `takes_text` lets the words be followed by text.

        `private` work (and every coordinator command) is done in the person's private conversation. With
        `help`, the command is listed in the help text under the catalogue keys help.cmd/help.desc.<help>.
        """

        def register(handler: Handler) -> Handler:
            folded = tuple(fold(word) for word in words)
            private_work = private or coordinators_only
            self._commands.append(Command(folded, handler, takes_text, coordinators_only, private_work, help))
            return handler

        return register

    def action(self, prefix: str, *, private: bool = False) -> Callable[[Handler], Handler]:
        """Register a handler for actions whose id starts with `prefix:` (buttons, selects, form submits)."""

        def register(handler: Handler) -> Handler:
            self._actions[prefix] = handler
            if private:
                self._private_actions.add(prefix)
            return handler

        return register

    def urgent(self, check: Callable[[str], bool], reply: Callable[[Context], Reply]) -> None:
        """Answer typed text for which `check` holds with `reply` before anything else, on every path.

        Acute danger (handlers/safety.py) is registered here, so a dialog in progress, a command with text
        and a free question all give the emergency numbers first.
        """
        self._urgent.append((check, reply))

    def fallback(self, handler: Handler) -> Handler:
        """Register the handler for free text that is no command (the question answerer)."""
        self._fallback = handler
        return handler

    def instant_form(self, word: str) -> Callable[[Callable[[Context], Reply]], Callable[[Context], Reply]]:
        """Register a form that a bare command word opens with no database work (e.g. 'tema' with no text).

        Slack's trigger id lasts three seconds, so such forms must be built before anything slow happens.
        """

        def register(build: Callable[[Context], Reply]) -> Callable[[Context], Reply]:
            self._instant_forms[fold(word)] = build
            return build

        return register

    def form_opener(self, prefix: str) -> Callable[[Handler], Handler]:
        """Register the handler that (re)builds the form whose submit action starts with `prefix`."""

        def register(handler: Handler) -> Handler:
            self._form_openers[prefix] = handler
            return handler

        return register

    def quick_form(self, text: str, ctx: Context) -> Reply | None:
        """The form a bare command word opens at once, if it is one of those."""
        build = self._instant_forms.get(fold(text).strip(" .!?"))
        return build(ctx) if build else None

    async def open_form(self, inbound: Inbound, ctx: Context) -> list[Reply]:
        """The replies that contain the form named by `inbound.action` (its submit action)."""
        prefix = (inbound.action or "").split(":", 1)[0]
        opener = self._form_openers.get(prefix)
        if opener is None:
            return [Reply.text(t("router.unknown_action"), ephemeral=True)]
        # Every form collects one person's input (a topic, a referat, a summary): it is private work.
        return _private(await opener(inbound, ctx))

    @property
    def help_entries(self) -> tuple[HelpEntry, ...]:
        """The commands to list in the help text, in the order they were registered."""
        return tuple(HelpEntry(c.help, c.coordinators_only) for c in self._commands if c.help)

    def find_command(self, text: str) -> Command | None:
        """The command a message starts with, tolerating a small typo in a one-word message."""
        pieces = fold(text).strip(" .!?").split(maxsplit=1)
        if not pieces:
            return None
        first, has_rest = pieces[0], len(pieces) > 1
        for command in self._commands:
            if first in command.words and (command.takes_text or not has_rest):
                return command
        if has_rest:
            return None
        scored = [(similarity(first, word), command) for command in self._commands for word in command.words]
        best = max(scored, key=lambda pair: pair[0], default=(0.0, None))
        return best[1] if best[0] >= 0.84 else None

    async def dispatch(self, inbound: Inbound, ctx: Context) -> list[Reply]:
        """Decide what the bot answers to one Inbound. Never returns an empty list for a message.

        Private work asked for in a shared conversation (a channel, a group chat) is done in the person's
        private conversation instead: its replies are marked private, and the shared one gets a neutral pointer.
        """
        # A coordinator may have edited a contact on another replica: at most one cheap query every few seconds.
        await ctx.content.refresh_if_changed(ctx.db, ctx.clock())
        # The person's own language, else the municipality's, for everything this message makes.
        use_language(await ctx.languages.chosen(ctx.db, inbound.user_id, ctx.clock()) or ctx.content.file.language)
        if not inbound.direct and await self._is_private(inbound, ctx):
            replies = await self._dispatch(inbound.privately(), ctx)
            pointer = Reply.text(t("router.continued_privately"), ephemeral=True)
            return [pointer, *_private(replies)]
        return await self._dispatch(inbound, ctx)

    async def _is_private(self, inbound: Inbound, ctx: Context) -> bool:
        """Whether this input starts or continues work that belongs to one person."""
        if inbound.action:
            prefix = inbound.action.split(":", 1)[0]
            return prefix in (DIALOG_ACTION, CONTROL_ACTION) or prefix in self._private_actions
        folded = fold(inbound.text).strip(" .!?")
        if not folded or folded in CONTROL_WORDS:
            return False
        if ctx.dialogs.flow_for_word(folded) is not None:
            return True
        command = self.find_command(inbound.text)
        return command is not None and command.private

    async def _dispatch(self, inbound: Inbound, ctx: Context) -> list[Reply]:
        if inbound.action:
            return await self._dispatch_action(inbound, ctx)
        text = inbound.text.strip()
        if not text:
            return [Reply.text(t("router.empty"))]
        first = [reply(ctx) for check, reply in self._urgent if check(text)]
        return [*first, *await self._dispatch_text(inbound, ctx, text)]

    async def _dispatch_text(self, inbound: Inbound, ctx: Context, text: str) -> list[Reply]:
        folded = fold(text).strip(" .!?")
        if await ctx.dialogs.active(inbound):
            command = self.find_command(text)
            # 'hjelp' mid-dialog explains the controls instead of answering the question.
            if command is not None and "hjelp" in command.words:
                return _private([Reply.text(t("dialog.help"), ephemeral=True), *await ctx.dialogs.current(inbound)])
            return _private(await ctx.dialogs.handle(inbound) or [])
        flow = ctx.dialogs.flow_for_word(folded)
        if flow is not None:
            return _private(await ctx.dialogs.start(inbound, flow.id))
        if folded in CONTROL_WORDS:
            return [Reply.text(t("router.nothing_to_cancel"), ephemeral=True)]
        command = self.find_command(text)
        if command is not None:
            if command.coordinators_only and not ctx.municipality.is_coordinator(inbound.user_id):
                return [Reply.text(t("router.coordinators_only"), ephemeral=True)]
            replies = await command.handler(inbound, ctx)
            return _private(replies) if command.private else replies
        if self._fallback is None:
            return [Reply.text(t("router.unknown"))]
        return await self._fallback(inbound, ctx)

    async def _dispatch_action(self, inbound: Inbound, ctx: Context) -> list[Reply]:
        assert inbound.action is not None
        prefix = inbound.action.split(":", 1)[0]
        if prefix in (DIALOG_ACTION, CONTROL_ACTION):
            return _private(await ctx.dialogs.handle(inbound) or [Reply.text(t("dialog.gone"), ephemeral=True)])
        handler = self._actions.get(prefix)
        if handler is None:
            return [Reply.text(t("router.unknown_action"), ephemeral=True)]
        replies = await handler(inbound, ctx)
        return _private(replies) if prefix in self._private_actions else replies


def _private(replies: list[Reply]) -> list[Reply]:
    """Mark replies as belonging to one person, so every channel delivers them in the private conversation."""
    return [replace(reply, private=True) for reply in replies]
