"""`språk`: the language the bot speaks with a person (bokmål, nynorsk, English, or any catalogue added)."""

from __future__ import annotations

from bot.core.catalog import languages, t, use_language
from bot.core.context import Context
from bot.core.messages import Choice, Choices, Inbound, Reply, Text
from bot.core.router import command_text
from bot.core.text import fold

ACTION = "language"
# What people type after `språk`, in every language the bot speaks; a catalogue's own code works too.
NAMES = {  # vocabulary
    "bokmal": "nb",
    "norsk": "nb",
    "nynorsk": "nn",
    "english": "en",
    "engelsk": "en",
    "samisk": "se",
    "davvisamegiella": "se",
}


def _code(text: str) -> str | None:
    word = fold(text).strip(" .!?")
    code = NAMES.get(word, word)
    return code if code in languages() else None


def _menu() -> Reply:
    options = tuple(Choice(t("language.self", language=code), code) for code in languages())
    parts = (Text(t("language.intro")), Choices(action=ACTION, options=options, prompt=t("language.pick")))
    return Reply(parts=parts, ephemeral=True)


async def _set(inbound: Inbound, ctx: Context, code: str) -> list[Reply]:
    await ctx.languages.choose(ctx.db, inbound.user_id, code, ctx.clock())
    use_language(code)  # this answer already in the new language
    return [Reply.text(t("language.chosen", name=t("language.self")), ephemeral=True)]


async def choose(inbound: Inbound, ctx: Context) -> list[Reply]:
    """`språk nynorsk`: remember the person's language; `språk` alone: the choices."""
    text = command_text(inbound)
    if not text.strip():
        return [_menu()]
    code = _code(text)
    if code is None:
        return [Reply.text(t("language.unknown", typed=text[:40]), ephemeral=True), _menu()]
    return await _set(inbound, ctx, code)


async def pick(inbound: Inbound, ctx: Context) -> list[Reply]:
    """A language button was pressed."""
    value = inbound.values.get("value")
    code = _code(value) if isinstance(value, str) else None
    return await _set(inbound, ctx, code) if code is not None else [_menu()]
