"""The `slt-bot` command line: serve, chat, check, export, report, calendar, reminders, manifest, db upgrade."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import getpass
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml
from aiohttp import web

from bot.app import FOLLOW_UP_AT, build_bot, build_web_app
from bot.check import check
from bot.config import Settings, SettingsError, load_settings
from bot.core.bot import Bot
from bot.core.catalog import t
from bot.core.context import Context
from bot.core.flows import FlowError
from bot.export import FORMATS, render
from bot.manifests import ManifestError, slack_manifest, teams_package
from bot.municipality import MunicipalityError, load_municipalities
from bot.report import FORMATS as REPORT_FORMATS
from bot.runtime.logs import configure_logging
from handlers.content import export_content
from handlers.exports import COLUMNS, export_records
from handlers.measures import REMIND_AHEAD
from handlers.planning.calendar import calendar_ics
from handlers.planning.schedule import load_overrides
from handlers.planning.yearwheel import task_reminders
from handlers.privacy.audit import audited
from handlers.reminders import planned_reminders, reminder_reply
from storage import measures as measure_store
from storage.db import DatabaseConfigError, DatabaseUnavailable

log = logging.getLogger("slt-bot")


class CliError(Exception):
    """A problem the operator must fix; printed as one line on stderr with a non-zero exit."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="slt-bot",
        description=t("cli.description"),
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help=t("cli.serve"))
    serve.add_argument("--host", default="127.0.0.1", help=t("cli.serve_host"))
    serve.add_argument("--port", type=int, default=3978, help=t("cli.serve_port"))

    chat = commands.add_parser("chat", help=t("cli.chat"))
    chat.add_argument("--user", default="console-user", help=t("cli.chat_user"))
    chat.add_argument("--municipality", help=t("cli.municipality"))

    export = commands.add_parser("export", help=t("cli.export"))
    export.add_argument("kind", choices=sorted([*COLUMNS, "content"]), help=t("cli.export_kind"))
    export.add_argument("--format", choices=FORMATS, default="json", help=t("cli.export_format"))
    export.add_argument("--out", type=Path, help=t("cli.export_out"))
    export.add_argument("--municipality", help=t("cli.municipality"))

    calendar = commands.add_parser("calendar", help=t("cli.calendar"))
    calendar.add_argument("--from", dest="start", type=_date, help=t("cli.from"))
    calendar.add_argument("--to", dest="end", type=_date, help=t("cli.calendar_to"))
    calendar.add_argument("--out", type=Path, help=t("cli.out"))
    calendar.add_argument("--municipality", help=t("cli.municipality"))

    reminders = commands.add_parser("reminders", help=t("cli.reminders"))
    reminders.add_argument("--dry-run", action="store_true", required=True, help=t("cli.reminders_dry_run"))
    reminders.add_argument("--from", dest="start", type=_date, help=t("cli.from"))
    reminders.add_argument("--to", dest="end", type=_date, help=t("cli.reminders_to"))
    reminders.add_argument("--municipality", help=t("cli.municipality"))

    manifest = commands.add_parser("manifest", help=t("cli.manifest"))
    manifest.add_argument("platform", choices=["slack", "teams"], help=t("cli.manifest_platform"))
    manifest.add_argument("--url", help=t("cli.manifest_url"))
    manifest.add_argument("--socket-mode", action="store_true", help=t("cli.manifest_socket_mode"))
    manifest.add_argument("--app-id", help=t("cli.manifest_app_id"))
    manifest.add_argument("--out", type=Path, help=t("cli.out"))

    report = commands.add_parser("report", help=t("cli.report"))
    report.add_argument("--year", type=int, required=True, help=t("cli.report_year"))
    report.add_argument("--format", choices=REPORT_FORMATS, default="docx", help=t("cli.report_format"))
    report.add_argument("--out", type=Path, required=True, help=t("cli.out"))
    report.add_argument("--municipality", help=t("cli.municipality"))

    check = commands.add_parser("check", help=t("cli.check"))
    check.add_argument("file", nargs="?", type=Path, help=t("cli.check_file"))

    db = commands.add_parser("db", help=t("cli.db"))
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    db_commands.add_parser("upgrade", help=t("cli.db_upgrade"))
    return parser


def _context(bot: Bot, municipality: str | None) -> Context:
    """The municipality a command is for: the one named, or the only one."""
    if municipality is None:
        if len(bot.contexts) > 1:
            raise CliError(t("cli.which_municipality", ids=", ".join(bot.contexts)))
        return bot.context
    if municipality not in bot.contexts:
        raise CliError(t("cli.unknown_municipality", id=municipality, ids=", ".join(bot.contexts)))
    return bot.contexts[municipality]


async def _chat(settings: Settings, user: str, municipality: str | None) -> None:
    from bot.channels.console.channel import chat

    bot = build_bot(settings)
    await chat(bot, user=user, municipality=_context(bot, municipality).municipality.id)


async def _export(settings: Settings, kind: str, fmt: str, out: Path | None, municipality: str | None) -> None:
    if kind == "content":
        return await _export_content(settings, fmt, out, municipality)
    if fmt == "xlsx" and out is None:
        raise CliError(t("cli.xlsx_needs_out"))
    bot = build_bot(settings)
    try:
        ctx = _context(bot, municipality)
        await bot.start()
        columns, rows = await export_records(ctx, kind, actor=f"cli:{getpass.getuser()}")
    finally:
        await bot.close()
    _write(render(rows, columns, fmt), out)
    if out is not None:
        print(t("cli.exported", n=len(rows), kind=kind, out=out), file=sys.stderr)


async def _export_content(settings: Settings, fmt: str, out: Path | None, municipality: str | None) -> None:
    """The municipality file with the coordinators' edits from the chat, as YAML (audited like every export)."""
    if fmt != "json":
        raise CliError(t("cli.content_is_yaml"))
    bot = build_bot(settings)
    try:
        ctx = _context(bot, municipality)
        await bot.start()
        count, document = await export_content(ctx, actor=f"cli:{getpass.getuser()}")
    finally:
        await bot.close()
    _write(document.encode(), out)
    if out is not None:
        print(t("cli.exported_content", n=count, out=out), file=sys.stderr)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(t("cli.not_a_date", text=text)) from None


def _range(ctx: Context, start: dt.date | None, end: dt.date | None, default_days: int) -> tuple[dt.date, dt.date]:
    first = start or ctx.today()
    last = end or first + dt.timedelta(days=default_days)
    if last < first:
        raise CliError(t("cli.to_before_from"))
    return first, last


def _write(data: bytes, out: Path | None) -> None:
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise CliError(t("cli.cannot_write", out=out, error=exc.strerror)) from None


async def _calendar(
    settings: Settings, start: dt.date | None, end: dt.date | None, out: Path | None, municipality: str | None
) -> None:
    bot = build_bot(settings)
    try:
        ctx = _context(bot, municipality)
        await bot.start()
        first, last = _range(ctx, start, end, 366)
        text = await calendar_ics(ctx, first, last)
    finally:
        await bot.close()
    _write(text.encode(), out)


async def _reminders(settings: Settings, start: dt.date | None, end: dt.date | None, municipality: str | None) -> None:
    bot = build_bot(settings)
    try:
        ctx = _context(bot, municipality)
        await bot.start()
        first, last = _range(ctx, start, end, 30)
        tz = ctx.municipality.tz
        window = (dt.datetime.combine(first, dt.time(), tzinfo=tz), dt.datetime.combine(last, dt.time.max, tzinfo=tz))
        planned = planned_reminders(ctx.municipality, *window, await load_overrides(ctx))
        lines = []
        for reminder in planned:
            reply = await reminder_reply(ctx, reminder)
            headline = reply.plain.splitlines()[0].replace("*", "")
            when = reminder.due.astimezone(tz).strftime("%Y-%m-%d %H:%M")
            lines.append(f"{when}  {reminder.target:<22}  {reminder.rule.kind:<7}  {headline}")
        # The nightly job's reminders: the year wheel's tasks and the measures' dates, to the coordinators.
        at = FOLLOW_UP_AT.strftime("%H:%M")
        for day, task, _ in task_reminders(ctx.municipality, first, last):
            lines += [f"{day} {at}  {who:<22}  task     {task.name}" for who in ctx.municipality.coordinators]
        async with ctx.db.session() as session:
            coming = await measure_store.coming_dates(session, today=first, until=last + REMIND_AHEAD)
        for measure in coming:
            date_of = measure.due if measure.status == "open" else measure.evaluate_on
            assert date_of is not None
            day = max(first, date_of - REMIND_AHEAD)
            lines.append(f"{day} {at}  {measure.coordinator:<22}  measure  #{measure.id} {measure.what}")
        lines.sort()
    finally:
        await bot.close()
    print("\n".join(lines) if lines else t("cli.no_reminders"))


async def _report(settings: Settings, year: int, fmt: str, out: Path, municipality: str | None) -> None:
    """The yearly report, written to a file; made like a link's, and in the audit log like every export."""
    from bot.report import render as render_report
    from handlers.report import build_report

    if not 2000 <= year <= 2100:
        raise CliError(t("cli.report_bad_year", year=year))
    bot = build_bot(settings)
    try:
        ctx = _context(bot, municipality)
        await bot.start()
        document = await build_report(ctx, year)
        async with ctx.db.session() as session:
            await audited(session, ctx, actor=f"cli:{getpass.getuser()}", action="report", kind="report", count=1)
    finally:
        await bot.close()
    _write(render_report(document, fmt), out)
    print(t("cli.report_written", year=year, out=out), file=sys.stderr)


async def _upgrade(settings: Settings) -> None:
    bot = build_bot(settings)
    try:
        await bot.upgrade()
    finally:
        await bot.close()
    print(t("cli.db_upgraded"))


def _serve(settings: Settings, host: str, port: int) -> None:
    bot = build_bot(settings)
    log.info("serving %s on http://%s:%d", ", ".join(bot.contexts), host, port)
    web.run_app(build_web_app(bot), host=host, port=port, print=None)


def run(args: argparse.Namespace, settings: Settings) -> None:
    """Run one parsed command."""
    if args.command == "chat":
        asyncio.run(_chat(settings, args.user, args.municipality))
    elif args.command == "serve":
        _serve(settings, args.host, args.port)
    elif args.command == "export":
        asyncio.run(_export(settings, args.kind, args.format, args.out, args.municipality))
    elif args.command == "report":
        asyncio.run(_report(settings, args.year, args.format, args.out, args.municipality))
    elif args.command == "calendar":
        asyncio.run(_calendar(settings, args.start, args.end, args.out, args.municipality))
    elif args.command == "reminders":
        asyncio.run(_reminders(settings, args.start, args.end, args.municipality))
    elif args.command == "manifest":
        try:
            if args.platform == "teams":
                if not args.url or not args.out:
                    raise ManifestError(t("cli.teams_package_needs"))
                data = teams_package(args.url, args.app_id or "")
            else:
                # Slack shows one language: the municipality's (the first one's, where a folder holds several).
                (municipality, _), *_ = load_municipalities(settings.municipality_path).values()
                document = slack_manifest(args.url, socket_mode=args.socket_mode, language=municipality.language)
                data = yaml.safe_dump(document, allow_unicode=True, sort_keys=False).encode()
        except ManifestError as exc:
            raise CliError(str(exc)) from None
        _write(data, args.out)
    elif args.command == "db":
        asyncio.run(_upgrade(settings))


def _check(settings: Settings, file: Path | None) -> int:
    """Print the report on the file; exit 1 when the bot could not run on it."""
    reports = check(file or settings.municipality_path, dt.date.today())
    for report in reports:
        print("\n".join(report.lines()))
    return 1 if any(report.errors for report in reports) else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `slt-bot`; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        if args.command == "check":
            return _check(settings, args.file)
        configure_logging(settings.log_level, sys.stderr)
        run(args, settings)
    except DatabaseUnavailable as exc:
        print(f"slt-bot: {t('cli.database_unavailable', detail=exc.detail)}", file=sys.stderr)
        return 1
    except (MunicipalityError, FlowError, DatabaseConfigError, CliError, SettingsError) as exc:
        print(f"slt-bot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0
