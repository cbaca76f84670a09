"""Anonymous means not stored, not logged, not inferable: no trace of who suggested or voted, anywhere."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from bot.core.bot import Bot
from bot.core.messages import Inbound
from bot.export import render
from bot.runtime.logs import configure_logging, redact
from handlers.exports import export_records

# Fictional people and ids that would give a submitter away if they leaked anywhere.
SUBMITTERS = [
    ("slack:U0PRIVATE01", "slack:D0PRIVATE01"),
    ("teams:29:1PrivateTeamsUserAbc", "teams:a:PrivateConversation"),
    ("console:kari.testesen", "console:kari.testesen"),
]
SECRETS = [
    "U0PRIVATE01",
    "D0PRIVATE01",
    "1PrivateTeamsUserAbc",
    "PrivateConversation",
    "kari.testesen",
    "Ola Hansen",
    "922 04 384",
    "92204384",
    "Testesen",
]


async def _suggest_and_vote(bot: Bot) -> None:
    for user, conversation in SUBMITTERS:
        await bot.handle(Inbound(user.split(":")[0], user, conversation, text="tema Skjermbruk og søvn"))
        found = await bot.handle(
            Inbound(
                user.split(":")[0], user, conversation, text="tema Eleven Ola Hansen i 7B selger snus, ring 922 04 384"
            )
        )
        redacted = next(
            o.value for p in found[0].parts for o in getattr(p, "options", ()) if o.value.startswith("redacted:")
        )
        await bot.handle(
            Inbound(user.split(":")[0], user, conversation, action="topic-found", values={"value": redacted})
        )
        await bot.handle(Inbound(user.split(":")[0], user, conversation, text="stem 1"))


async def test_no_submitter_trace_in_database_export_or_logs(bot: Bot, settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    stream = io.StringIO()
    handler = configure_logging("DEBUG", stream)
    try:
        await _suggest_and_vote(bot)
        logging.getLogger("handlers.topics").debug("a line with slack:U0PRIVATE01 in it")  # the filter's job
    finally:
        logging.getLogger().removeHandler(handler)
    columns, rows = await export_records(bot.context, "topics", actor="cli:test")
    assert len(rows) == 6 and rows[0]["votes"] == 3
    assert set(columns) == {"id", "text", "status", "created_at", "votes", "meeting_date"}
    exports = b"".join(render(rows, columns, fmt) for fmt in ("json", "csv"))
    stored = (await _every_row(bot)).encode()
    await bot.close()  # flush the WAL into the database file
    if settings.database_url.startswith("sqlite"):
        database = Path(settings.database_url.removeprefix("sqlite:///"))
        stored += b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    logs = stream.getvalue()
    for secret in SECRETS:
        assert secret.encode() not in stored, f"{secret} is in the database file"
        assert secret.encode() not in exports, f"{secret} is in the export"
        assert secret not in logs, f"{secret} is in the logs"
    assert "Skjermbruk" not in logs  # no message text either


async def _every_row(bot: Bot) -> str:
    """Every row of every table as text (works on SQLite and PostgreSQL)."""
    from sqlalchemy import inspect, text

    async with bot.db.engine.connect() as connection:
        tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        dumped = [str((await connection.execute(text(f'SELECT * FROM "{table}"'))).all()) for table in tables]
    return "\n".join(dumped)


async def test_topic_rows_hold_no_submitter_column(bot: Bot) -> None:
    from sqlalchemy import inspect

    async with bot.db.engine.connect() as connection:
        columns = await connection.run_sync(lambda sync: {c["name"] for c in inspect(sync).get_columns("topic")})
    # The municipality the topic was suggested in; nothing about who suggested it.
    assert columns == {"id", "municipality_id", "text", "status", "created_on", "votes", "meeting_date"}


async def test_created_time_is_only_the_day(bot: Bot) -> None:
    await bot.handle(Inbound("slack", "slack:U1", "slack:D1", text="tema Trygg skolevei"))
    _, rows = await export_records(bot.context, "topics", actor="cli:test")
    assert rows[0]["created_at"] == "2026-11-22"


def test_redact_hides_ids_emails_and_numbers() -> None:
    line = "user slack:U0ABCDEF12 in teams:29:1abcdefghijk wrote kari@example.no from 922 04 384 and U0ZYXWVUT9"
    assert redact(line) == "user [skjult] in [skjult] wrote [skjult] from [skjult] and [skjult]"


def test_redact_leaves_ordinary_log_text_alone() -> None:
    line = 'accepts UNAUTHENTICATED requests; "GET /calendar.ics HTTP/1.1" 200 23430; port 3978; 2026-11-22'
    assert redact(line) == line


def test_redact_catches_norwegian_number_formats() -> None:
    for number in ("92204384", "922 04 384", "92 20 43 84", "+47 922 04 384", "010190 12345", "1234.56.78903"):
        assert redact(f"tlf {number} ok") == "tlf [skjult] ok", number


# --- data at rest: after every feature's path, nothing of the people involved is left in the files or the logs ---

STAFF = "slack:U0HEMMELIG7"
STAFF_TEXT_SECRETS = ["Hemmelig Testperson", "Sjur Hemmeligsen", "98765432", "sjur.hemmeligsen@eksempel.no"]


async def _every_feature(bot: Bot) -> None:
    """A member of staff (and a coordinator) walk every feature once, with personal data where people put it."""
    from dataclasses import replace

    from bot.core.messages import Choices

    staff = Inbound("slack", STAFF, "slack:dm:U0HEMMELIG7")
    coordinator = Inbound("slack", "slack:U0EKSKOORD", "slack:dm:U0EKSKOORD")

    async def say(who: Inbound, text: str = "", **fields: object) -> list[str]:
        replies = await bot.handle(replace(who, text=text, **fields))  # type: ignore[arg-type]
        return [p.action for r in replies for p in r.parts if isinstance(p, Choices)]

    for line in ["hjelp", "kontakter", "rutiner", "møteplan", "hvem er politikontakt for Sjur Hemmeligsen?"]:
        await say(staff, line)
    await say(staff, "tema Skjermbruk og søvn")
    await say(staff, "tema Sjur Hemmeligsen i 7B, ring 98765432 eller sjur.hemmeligsen@eksempel.no")
    await say(staff, "stem 1")
    actions = [*await say(staff, "bekymring")]
    for answer in ["nei", "nei", "nei", "individual", "videregaende", "ja", "1", "ja"]:
        actions = await say(staff, answer) or actions
    offer = next(a for a in actions if a.startswith("escalation-notify"))
    if offer:
        await say(staff, action=offer, values={"value": "ja"})
        token = offer.partition(":")[2]
        await say(staff, action=f"escalation-summary:{token}", values={"beskrivelse": "Sjur Hemmeligsen ruser seg"})
        await say(staff, action=f"escalation-summary-choice:{token}", values={"value": "without"})
    for line in ["temaer", "bekymringer", "oppsummering", "referater"]:
        await say(coordinator, line)


async def test_nothing_personal_at_rest_after_every_feature(any_database_url: str, tmp_path: Path) -> None:
    from bot.app import build_bot
    from bot.config import BUNDLED_MUNICIPALITY, Settings
    from tests.conftest import FROZEN_NOW, FrozenClock

    url, on = any_database_url, any_database_url.split(":", 1)[0]
    stream = io.StringIO()
    handler = configure_logging("DEBUG", stream)
    bot = build_bot(Settings(database_url=url, municipality_path=BUNDLED_MUNICIPALITY), clock=FrozenClock(FROZEN_NOW))
    try:
        await bot.start()
        await _every_feature(bot)
        stored = (await _every_row(bot)).encode()
    finally:
        logging.getLogger().removeHandler(handler)
        await bot.close()
    if on == "sqlite":
        stored += b"".join(path.read_bytes() for path in tmp_path.glob("slt.db*"))  # the file, WAL and shm
    logs = stream.getvalue()
    for secret in ["U0HEMMELIG7", *STAFF_TEXT_SECRETS]:
        assert secret.encode() not in stored, f"{secret} is stored ({on})"
        assert secret not in logs, f"{secret} is in the logs ({on})"


async def test_sqlite_overwrites_what_it_deletes(bot: Bot) -> None:
    from sqlalchemy import text

    if not bot.db.is_sqlite:
        pytest.skip("SQLite only")
    async with bot.db.engine.connect() as connection:
        assert (await connection.execute(text("PRAGMA secure_delete"))).scalar_one() == 1


async def test_a_failing_statement_does_not_log_its_values(bot: Bot) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    with pytest.raises(SQLAlchemyError) as failure:
        async with bot.db.engine.begin() as connection:
            await connection.execute(text("INSERT INTO no_such_table VALUES (:v)"), {"v": "Sjur Hemmeligsen"})
    assert "Sjur Hemmeligsen" not in str(failure.value)


def test_the_compact_common_word_list_answers_as_a_set_would() -> None:
    """COMMON keeps 77,000 words as hashes (8 bytes each): every word is in it, and other words are not."""
    from handlers.privacy.lexicon import COMMON, word_list

    words = word_list("common_words_nb.txt", folded=False) | word_list("common_words_nn.txt")
    assert len(COMMON) == len(words) > 70_000
    assert all(word in COMMON for word in words)
    strangers = [word + "qx" for word in list(words)[:5000]]
    assert not any(word in COMMON for word in strangers if word not in words)
    assert 17 not in COMMON  # type: ignore[operator]
