"""The console channel: talk to the bot in a terminal or through a pipe (`slt-bot chat`)."""

from __future__ import annotations

import asyncio
import re
import sys
from typing import Any, TextIO

from bot.channels.console.render import NumberedChoice, plain, render
from bot.core.bot import Bot
from bot.core.catalog import t
from bot.core.messages import Choice, Form, Inbound, Reply
from bot.core.text import fold
from bot.runtime.outbox import take_pending

CHANNEL = "console"
_NUMBERS = re.compile(r"^\s*\d+(?:\s*[,;\s]\s*\d+)*\s*$")


class ConsoleChannel:
    """Reads one message per line, prints the replies, and exits at end of input."""

    def __init__(self, bot: Bot, *, user: str, stdin: TextIO, stdout: TextIO, municipality: str = "") -> None:
        self.bot, self.stdin, self.stdout = bot, stdin, stdout
        # The console serves one municipality (`slt-bot chat --municipality`), the default one when not named.
        self.municipality = municipality or bot.context.municipality.id
        self.ctx = bot.contexts[self.municipality]
        self.user_id = f"{CHANNEL}:{user}"
        self.choices: list[NumberedChoice] = []
        self.interactive = stdin.isatty() and stdout.isatty()

    def _inbound(self, **fields: Any) -> Inbound:
        return Inbound(CHANNEL, self.user_id, self.user_id, municipalities=(self.municipality,), **fields)

    def inbound(self, line: str) -> Inbound:
        """Translate a typed line: a number or label of a choice just shown becomes that action."""
        text = line.strip()
        picked = self._picked(text)
        if picked:
            first = picked[0]
            if first.multiple:
                values: dict[str, str | list[str]] = {"value": [choice.value for choice in picked]}
            else:
                values = {"value": first.value}
            return self._inbound(text=text, action=first.action, values=values)
        return self._inbound(text=text)

    def _picked(self, text: str) -> list[NumberedChoice]:
        by_number = {choice.number: choice for choice in self.choices}
        if _NUMBERS.match(text):
            numbers = [int(n) for n in re.split(r"[,;\s]+", text.strip()) if n]
            picked = [by_number[n] for n in numbers if n in by_number]
            if len(picked) != len(numbers) or len({c.action for c in picked}) != 1:
                return []
            return picked if picked[0].multiple or len(picked) == 1 else []
        folded = fold(text)
        return [choice for choice in self.choices if fold(choice.label) == folded][:1]

    def write(self, text: str) -> None:
        """Print and flush, so a pipe sees each answer as soon as it is ready."""
        self.stdout.write(text + "\n")
        self.stdout.flush()

    async def show(self, replies: list[Reply]) -> None:
        """Print replies; a form in a reply is filled in right away, one prompt per field."""
        self.choices = []
        for reply in replies:
            text, numbered = render(reply, first_number=len(self.choices) + 1)
            self.choices += numbered
            if text:
                self.write(text + "\n")
            for part in reply.parts:
                if isinstance(part, Form):
                    await self._fill(part)

    async def _fill(self, form: Form) -> None:
        values: dict[str, str | list[str]] = {}
        for field in form.fields:
            options = list(field.options)
            prompt = plain(field.label) + ("" if field.required else " " + t("console.optional"))
            if options:
                prompt += "\n" + "\n".join(f"  {i}) {o.label}" for i, o in enumerate(options, 1))
            self.write(prompt + ":")
            line = await self._readline()
            if line is None or fold(line.strip()) == "avbryt":
                self.write(t("console.form_cancelled") + "\n")
                return
            values[field.name] = _form_answer(line.strip(), options, multiple=field.kind == "multiselect")
        await self.show(await self.bot.handle(self._inbound(action=form.action, values=values)))

    async def _readline(self) -> str | None:
        if self.interactive:
            self.stdout.write("> ")
            self.stdout.flush()
        line = await asyncio.to_thread(self.stdin.readline)
        return line if line else None

    async def run(self) -> None:
        """The read-answer loop; shows a dialog in progress first, so a restart resumes it."""
        if self.interactive:
            self.write(t("console.welcome", municipality=self.ctx.municipality.name) + "\n")
        waiting = await take_pending(self.ctx.db, self.ctx.clock, target=self.user_id)
        if waiting:
            self.write(t("console.notifications", n=len(waiting)) + "\n")
            await self.show(waiting)
        probe = Inbound(CHANNEL, self.user_id, self.user_id)
        await self.show(await self.ctx.dialogs.current(probe))
        while (line := await self._readline()) is not None:
            if not line.strip():
                continue
            await self.show(await self.bot.handle(self.inbound(line)))


def _form_answer(answer: str, options: list[Choice], *, multiple: bool) -> str | list[str]:
    """A typed form answer: option numbers become their values ("1, 3" for several), other text stays."""
    if not options:
        return answer
    picked = [p for p in re.split(r"[,;\s]+", answer) if p]
    if multiple and picked and all(p.isdigit() and 1 <= int(p) <= len(options) for p in picked):
        return [options[int(p) - 1].value for p in picked]
    if answer.isdigit() and 1 <= int(answer) <= len(options):
        value = options[int(answer) - 1].value
        return [value] if multiple else value
    return [answer] if multiple and answer else answer


async def chat(
    bot: Bot, *, user: str, municipality: str = "", stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout
) -> None:
    """Run the console channel until end of input."""
    await bot.start()
    try:
        await ConsoleChannel(bot, user=user, stdin=stdin, stdout=stdout, municipality=municipality).run()
    finally:
        await bot.close()
