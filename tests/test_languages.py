"""Bokmål, nynorsk and English: complete catalogues and flows, a person's own choice, the municipality's default."""

from __future__ import annotations

import string
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from sqlmodel import delete, select

from bot.app import FLOWS_DIR, build_bot, build_router, load_flows, load_translations
from bot.config import BUNDLED_MUNICIPALITY, Settings
from bot.core.bot import Bot
from bot.core.catalog import DATA, _catalogue, languages, t
from bot.core.dialogs import CONTROL_WORDS
from bot.core.text import fold
from bot.municipality import load_municipality
from handlers.digest import queue_weekly_digest
from handlers.reminders import queue_due_reminders
from storage.models import OutboxMessage
from tests.conftest import FROZEN_NOW, FrozenClock
from tests.conversation import Conversation

FJORDVIK = BUNDLED_MUNICIPALITY.parent / "fjordvik-kommune.yaml"
OTHERS = ("nn", "en")


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def head(key: str, language: str) -> str:
    """The start of a message in a language, up to its first placeholder or line break: what a reply must show."""
    template = t(key, language=language)
    return template.split("{", 1)[0].split("\n", 1)[0].strip(" *")


def test_every_catalogue_has_every_key_with_the_same_placeholders() -> None:
    assert {"nb", "nn", "en"} <= set(languages())
    source = _catalogue("nb")
    for language in languages()[1:]:
        other = _catalogue(language)
        assert set(other) == set(source), f"{language}: missing {sorted(set(source) - set(other))[:5]}"
        wrong = [key for key in source if _fields(source[key]) != _fields(other[key])]
        assert wrong == [], f"{language}: other placeholders in {wrong[:5]}"
        # Not bokmål with another name: most texts differ.
        same = sum(1 for key in source if source[key] == other[key])
        assert same < len(source) / 2, f"{language}: {same} of {len(source)} texts are the bokmål ones"


def test_every_flow_step_has_every_language() -> None:
    municipality = load_municipality(BUNDLED_MUNICIPALITY)
    flows = load_flows(municipality, BUNDLED_MUNICIPALITY.parent)
    translations = load_translations(municipality, BUNDLED_MUNICIPALITY.parent)
    for language in OTHERS:
        for flow_id, flow in flows.items():
            other = translations[language][flow_id]
            for name, step in flow.steps.items():
                theirs = other.steps[name]
                assert bool(theirs.ask) == bool(step.ask) and bool(theirs.text) == bool(step.text), (language, name)
                assert theirs.ask != step.ask or not step.ask or theirs.text != step.text, (language, name)
                assert len(theirs.choices) == len(step.choices), (language, name)


def test_a_catalogue_is_a_file_and_no_code_change() -> None:
    """Northern Sami (or any language) is one more messages.<code>.yaml and, optionally, flows/<code>/."""
    assert sorted(path.name for path in DATA.glob("messages.*.yaml")) == [
        f"messages.{c}.yaml" for c in sorted(languages())
    ]
    assert {path.name for path in FLOWS_DIR.iterdir() if path.is_dir()} >= set(OTHERS)


@pytest.fixture
async def example(database_url: str) -> AsyncIterator[Bot]:
    bot = build_bot(
        Settings(database_url=database_url, municipality_path=BUNDLED_MUNICIPALITY), clock=FrozenClock(FROZEN_NOW)
    )
    await bot.start()
    yield bot
    await bot.close()


@pytest.mark.parametrize(("language", "word"), [("nn", "nynorsk"), ("en", "english")])
async def test_main_paths_in_the_persons_own_language(example: Bot, language: str, word: str) -> None:
    person = Conversation(example, user="ansatt")
    assert head("language.chosen", language) in await person.say(f"språk {word}")
    assert head("help.intro", language) in await person.say("hjelp")
    assert head("contacts.intro", language) in await person.say("contacts" if language == "en" else "kontaktar")
    answer = await person.say("hvem er politikontakt?")
    assert "Ola Testrud" in answer and head("source", language) in answer
    assert head("topics.stored", language) in await person.say("tema Skjermbruk og søvn")
    # The escalation routine to its recommendation, in the person's language.
    example_file = load_municipality(BUNDLED_MUNICIPALITY)
    flow = load_translations(example_file, BUNDLED_MUNICIPALITY.parent)[language]["bekymring"]
    first = await person.say("bekymring")
    assert flow.steps["akutt"].ask in first
    await person.say("nei")
    end = await person.say("ja")
    assert flow.steps["avverge_varsle"].text.split("*")[1] in end  # its bold first words
    # The home view (Slack's App Home) in the person's language too.
    home = await example.handle(replace(person.channel.inbound(""), action="home-view"))
    labels = [choice.label for reply in home for part in reply.parts for choice in getattr(part, "options", ())]
    assert t("home.kontakter", language=language) in labels and t("home.kontakter", language="nb") not in labels
    # Someone else, who chose nothing, still gets the municipality's bokmål.
    assert head("help.intro", "nb") in await Conversation(example, user="kollega").say("hjelp")


async def test_the_choice_is_kept_under_a_keyed_hash_and_survives_a_restart(database_url: str) -> None:
    settings = Settings(database_url=database_url, municipality_path=BUNDLED_MUNICIPALITY)
    for round_ in range(2):
        bot = build_bot(settings, clock=FrozenClock(FROZEN_NOW))
        await bot.start()
        try:
            person = Conversation(bot, user="ansatt")
            if round_ == 0:
                await person.say("språk nynorsk")
            assert head("help.intro", "nn") in await person.say("hjelp")
            async with bot.db.engine.connect() as connection:
                rows = (await connection.exec_driver_sql("SELECT person, language FROM person_language")).all()
            assert len(rows) == 1 and rows[0][1] == "nn" and "ansatt" not in rows[0][0]
        finally:
            await bot.close()


async def test_an_unknown_language_gets_the_choices(example: Bot) -> None:
    reply = await Conversation(example, user="ansatt").say("språk klingon")
    assert "«klingon»" in reply and "Bokmål" in reply and "Nynorsk" in reply and "English" in reply


def _municipality_file(language: str, folder: Path) -> Path:
    """Fjordvik's own nynorsk file, or the example municipality with English as its language."""
    if language == "nn":
        return FJORDVIK
    data = yaml.safe_load(BUNDLED_MUNICIPALITY.read_text(encoding="utf-8"))
    data["language"] = language
    path = folder / f"kommune-{language}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("language", OTHERS)
async def test_a_municipality_speaks_its_language_in_reminders_and_the_digest(
    database_url: str, tmp_path: Path, language: str
) -> None:
    path = _municipality_file(language, tmp_path)
    assert load_municipality(path).language == language
    bot = build_bot(Settings(database_url=database_url, municipality_path=path), clock=FrozenClock(FROZEN_NOW))
    await bot.start()
    try:
        ctx = bot.context
        # The weekly digest, queued as the scheduler does, to every coordinator.
        assert await queue_weekly_digest(ctx) == len(ctx.municipality.coordinators)
        async with ctx.db.session() as session:
            digests = (await session.exec(select(OutboxMessage))).all()
            await session.exec(delete(OutboxMessage))  # type: ignore[call-overload]
            await session.commit()
        assert all(head("digest.title", language) in str(d.payload) for d in digests)
        # Every reminder due in the next weeks, queued as the scheduler would, reads in the municipality's language.
        clock = ctx.clock
        assert isinstance(clock, FrozenClock)
        queued = 0
        for _ in range(24 * 30):
            clock.advance(hours=1)
            queued += await queue_due_reminders(ctx)
            if queued:
                break
        assert queued
        async with ctx.db.session() as session:
            message = (await session.exec(select(OutboxMessage))).first()
        assert message is not None
        text = str(message.payload)
        keys = ("reminders.today", "reminders.tomorrow", "reminders.in_a_week")
        assert any(head(key, language) in text for key in keys)
        assert not any(head(key, "nb") in text for key in keys)
    finally:
        await bot.close()


@pytest.mark.parametrize("language", ["nb", *OTHERS])
def test_every_command_word_in_the_help_works(language: str) -> None:
    """The help in each language shows words that the bot takes, for the command the line describes."""
    router = build_router()
    for entry in router.help_entries:
        word = t(f"help.cmd.{entry.key}", language=language).split()[0]
        command = router.find_command(word)
        assert command is not None and command.help == entry.key, (language, entry.key, word)
    assert fold(t("help.cmd.avbryt", language=language)) in CONTROL_WORDS


async def test_the_municipalitys_own_texts_per_language_with_fallback(example: Bot) -> None:
    person = Conversation(example, user="ansatt")
    await person.say("språk english")
    answer = await person.say("who is the police contact?")
    assert "Police contact" in answer and "Concern conversations with young people" in answer  # from the file's en
    contacts = await person.say("contacts")
    assert "Skolehelsetjenesten" in contacts  # no English given: as written
    await person.say("språk nynorsk")
    answer = await person.say("kven er politikontakten?")
    assert "Politikontakt" in answer and "varsling frå skulen" in answer  # the role as written, the when in nynorsk
