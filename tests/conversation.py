"""Scripted conversations: say a line through the console channel and get back what the user would see."""

from __future__ import annotations

import io

from bot.channels.console.channel import ConsoleChannel
from bot.core.bot import Bot


class Conversation:
    """One user talking to the bot through the console channel, as in `slt-bot chat`."""

    def __init__(self, bot: Bot, user: str, municipality: str = "") -> None:
        self.out = io.StringIO()
        self.channel = ConsoleChannel(bot, user=user, stdin=io.StringIO(), stdout=self.out, municipality=municipality)
        self.bot = bot

    async def say(self, line: str) -> str:
        """Send one line and return everything the bot printed in answer."""
        start = self.out.tell()
        await self.channel.show(await self.bot.handle(self.channel.inbound(line)))
        self.out.seek(start)
        return self.out.read()

    async def resume(self) -> str:
        """What the console shows on start (a dialog in progress, if any)."""
        start = self.out.tell()
        await self.channel.show(await self.channel.ctx.dialogs.current(self.channel.inbound("")))
        self.out.seek(start)
        return self.out.read()
