"""The municipality file (YAML) and its validated model: contacts, routines, meetings, roles, channels."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import AfterValidator, BeforeValidator, Field, ValidationError, field_validator, model_validator

from bot.core.catalog import t
from bot.core.validation import StrictModel, describe_error, language_codes
from bot.yearly import Level, YearlyTask, default_tasks, level_of, unique_ids

# Weekday names as a municipality may write them: bokmål, nynorsk, English, æøå written plainly too.
_DAY_NAMES = (  # vocabulary
    "mandag måndag monday",
    "tirsdag tysdag tuesday",
    "onsdag wednesday",
    "torsdag thursday",
    "fredag friday",
    "lørdag lordag laurdag saturday",
    "søndag sondag sundag sunday",
)
WEEKDAYS = {name: day for day, names in enumerate(_DAY_NAMES) for name in names.split()}
_WEEK_NAMES = (  # vocabulary
    (1, "first første"),
    (2, "second andre"),
    (3, "third tredje"),
    (4, "fourth fjerde"),
    (-1, "last siste"),
)
WEEK_OF_MONTH = {name: week for week, names in _WEEK_NAMES for name in names.split()}


# A routine is due for review when it was last reviewed longer ago than this (slt-bot check, the digest).
REVIEW_AFTER = dt.timedelta(days=365)


class MunicipalityError(Exception):
    """The municipality file is missing, unreadable or invalid; the message is one line for the operator."""


def _weekday(value: Any) -> Any:
    """Accept a weekday as a Norwegian or English name, or 0-6 (Monday is 0)."""
    if isinstance(value, str):
        key = value.strip().lower()
        if key not in WEEKDAYS:
            raise ValueError(t("municipality.unknown_weekday", value=value))
        return WEEKDAYS[key]
    return value


def _week(value: Any) -> Any:
    """Accept the week of the month as first..fourth/last (or the Norwegian words), or 1-4 / -1."""
    if isinstance(value, str):
        key = value.strip().lower()
        if key not in WEEK_OF_MONTH:
            raise ValueError(t("municipality.unknown_week", value=value))
        return WEEK_OF_MONTH[key]
    return value


def _platform_ids(values: Any) -> Any:
    """Platform ids are written 'slack:U123', 'teams:...' or 'console:name'."""
    for value in values if isinstance(values, list | tuple) else ():
        platform, _, ident = str(value).partition(":")
        if platform not in {"slack", "teams", "console"} or not ident:
            raise ValueError(t("municipality.bad_platform_id", value=value))
    return values


PlatformIds = Annotated[tuple[str, ...], BeforeValidator(_platform_ids)]


ContactTexts = dict[Literal["role", "when"], str]
RoutineTexts = dict[Literal["title", "summary"], str]
MeetingTexts = dict[Literal["name", "description"], str]


class Contact(StrictModel):
    """A person or service staff can contact, with when to contact them."""

    id: str
    role: str
    name: str
    phone: str = ""
    email: str = ""
    when: str
    keywords: tuple[str, ...] = ()
    source: str
    # Its role and when-text in other languages (the bot falls back to what is above).
    translations: Annotated[dict[str, ContactTexts], BeforeValidator(language_codes)] = Field(default_factory=dict)


class Routine(StrictModel):
    """A routine, plan or form: what it is for, where it is, and when it was last reviewed."""

    id: str
    title: str
    kind: Literal["rutine", "skjema", "plan", "veileder"] = "rutine"
    url: str = ""
    summary: str
    keywords: tuple[str, ...] = ()
    last_reviewed: dt.date
    contacts: tuple[str, ...] = ()
    translations: Annotated[dict[str, RoutineTexts], BeforeValidator(language_codes)] = Field(default_factory=dict)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError(t("municipality.not_https"))
        return value


class Schedule(StrictModel):
    """When a series happens: a weekday in a given week of the month, or a list of explicit dates."""

    weekday: Annotated[int | None, BeforeValidator(_weekday), Field(ge=0, le=6)] = None
    week: Annotated[int | None, BeforeValidator(_week)] = None
    months: tuple[Annotated[int, Field(ge=1, le=12)], ...] = tuple(range(1, 13))
    dates: tuple[dt.date, ...] = ()

    @field_validator("week")
    @classmethod
    def _week_range(cls, value: int | None) -> int | None:
        if value is not None and value not in (1, 2, 3, 4, -1):
            raise ValueError(t("municipality.bad_week"))
        return value

    @model_validator(mode="after")
    def _one_rule(self) -> Schedule:
        if self.dates and (self.weekday is not None or self.week is not None):
            raise ValueError(t("municipality.dates_and_weekday"))
        if not self.dates and (self.weekday is None or self.week is None):
            raise ValueError(t("municipality.no_rule"))
        return self


class Period(StrictModel):
    """A named date range, e.g. a school holiday (both ends included)."""

    name: str
    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError(t("municipality.end_before_start"))
        return self


class ReminderRule(StrictModel):
    """When to remind before a meeting, and what kind of reminder it is."""

    days_before: int = Field(ge=0, le=60)
    at: dt.time
    kind: Literal["topics", "agenda", "link"]


class MeetingSeries(StrictModel):
    """A recurring meeting (breakfast meeting, koordineringsgruppe, ...) and its holiday rules."""

    id: str
    name: str
    description: str = ""
    start: dt.time
    end: dt.time
    location: str = ""
    teams_url: str = ""
    schedule: Schedule
    skip_months: tuple[Annotated[int, Field(ge=1, le=12)], ...] = ()
    on_holiday: Literal["skip", "previous", "next"] = "skip"
    avoid_school_holidays: bool = False
    themes: dict[dt.date, str] = Field(default_factory=dict)
    keywords: tuple[str, ...] = ()
    source: str
    channels: PlatformIds = ()
    takes_topics: bool = False
    reminders: tuple[ReminderRule, ...] = ()
    # Its ring in the year wheel; guessed from the id and name when left out.
    level: Level | None = None
    translations: Annotated[dict[str, MeetingTexts], BeforeValidator(language_codes)] = Field(default_factory=dict)

    @property
    def ring(self) -> Level:
        """The SLT level of this meeting (politisk, koordinering or operativ)."""
        return self.level or level_of(self.id, self.name)

    @model_validator(mode="after")
    def _times(self) -> MeetingSeries:
        if self.end <= self.start:
            raise ValueError(t("municipality.end_not_after_start"))
        return self


class Retention(StrictModel):
    """How many days each kind of record is kept before the bot deletes it."""

    topics_days: int = Field(default=730, ge=1)
    escalations_days: int = Field(default=730, ge=1)
    outcomes_days: int = Field(default=1825, ge=1)
    audit_days: int = Field(default=1825, ge=1)
    sent_messages_days: int = Field(default=30, ge=1)


class Privacy(StrictModel):
    """How the bot protects people in what it shows."""

    # Counts of records below this are shown as «under N» (Helsedirektoratet: anonymous means at least 4-5).
    minimum_count: int = Field(default=5, ge=3, le=100)


class Digest(StrictModel):
    """When coordinators get their digest."""

    enabled: bool = True
    weekday: Annotated[int, BeforeValidator(_weekday), Field(ge=0, le=6)] = 0
    at: dt.time = dt.time(8, 0)


_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


def slug(name: str) -> str:
    """A municipality's name as an id: 'Eksempel kommune' -> 'eksempel-kommune'."""
    folded = name.casefold().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:63] or "municipality"


class Municipality(StrictModel):
    """The whole municipality file."""

    name: str
    # Short name in routes and --municipality; the name's slug when left out.
    id: str = ""
    # Which Slack workspaces and Microsoft 365 tenants (and, where one tenant holds several municipalities,
    # which Teams teams) belong to this municipality when several share a deployment.
    slack_team_ids: tuple[str, ...] = ()
    teams_tenant_ids: tuple[str, ...] = ()
    teams_team_ids: tuple[str, ...] = ()
    timezone: str = "Europe/Oslo"
    # What the bot speaks unless a person chooses otherwise (contract: nb, nn or en).
    language: Literal["nb", "nn", "en"] = "nb"
    target_group: str = Field(default_factory=lambda: t("municipality.default_target_group"))
    places: tuple[str, ...] = ()
    contacts: tuple[Contact, ...]
    routines: tuple[Routine, ...]
    meetings: tuple[MeetingSeries, ...] = ()
    yearly_tasks: Annotated[tuple[YearlyTask, ...], AfterValidator(unique_ids)] = Field(default_factory=default_tasks)
    school_holidays: tuple[Period, ...] = ()
    coordinators: PlatformIds = ()
    channels: PlatformIds = ()
    flows: dict[str, str] = Field(default_factory=dict)
    # What the bot's own dialogs need, by meaning ("politikontakt", "samtykkeskjema"), mapped to this file's ids.
    # An entry whose id is the meaning itself needs no line here; the flow files name the meanings they use.
    roles: dict[str, str] = Field(default_factory=dict)
    retention: Retention = Field(default_factory=Retention)
    digest: Digest = Field(default_factory=Digest)
    privacy: Privacy = Field(default_factory=Privacy)

    @model_validator(mode="after")
    def _id(self) -> Municipality:
        if not self.id:
            object.__setattr__(self, "id", slug(self.name))
        elif not _ID.fullmatch(self.id):
            raise ValueError(t("municipality.bad_id", value=self.id))
        return self

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(t("municipality.unknown_timezone", value=value)) from None
        return value

    @model_validator(mode="after")
    def _references(self) -> Municipality:
        # Collect every cross-reference problem under the field that holds it, so the operator
        # is told exactly which line of the file to fix.
        routine_ids = [r.id for r in self.routines]
        contact_ids = [c.id for c in self.contacts]
        for label, ids in (
            ("routines", routine_ids),
            ("contacts", contact_ids),
            ("meetings", [m.id for m in self.meetings]),
        ):
            seen: set[str] = set()
            for index, ident in enumerate(ids):
                if ident in seen:
                    raise ValueError(t("municipality.duplicate_id", field=f"{label}[{index}].id", id=ident))
                seen.add(ident)
        for index, contact in enumerate(self.contacts):
            if contact.source not in routine_ids:
                raise ValueError(t("municipality.no_routine", field=f"contacts[{index}].source", id=contact.source))
        for index, routine in enumerate(self.routines):
            for ref in routine.contacts:
                if ref not in contact_ids:
                    raise ValueError(t("municipality.no_contact", field=f"routines[{index}].contacts", id=ref))
        for index, meeting in enumerate(self.meetings):
            if meeting.source not in routine_ids:
                raise ValueError(t("municipality.no_routine", field=f"meetings[{index}].source", id=meeting.source))
        for meaning, ident in self.roles.items():
            if ident not in contact_ids and ident not in routine_ids:
                raise ValueError(t("municipality.no_entry", field=f"roles.{meaning}", id=ident))
        return self

    @property
    def tz(self) -> ZoneInfo:
        """The municipality's time zone."""
        return ZoneInfo(self.timezone)

    def routine(self, routine_id: str) -> Routine:
        """The routine with this id (ids are validated, so a missing one is a programming error)."""
        return next(r for r in self.routines if r.id == routine_id)

    def contact(self, contact_id: str) -> Contact | None:
        """The contact with this id, or None."""
        return next((c for c in self.contacts if c.id == contact_id), None)

    def role_contact(self, meaning: str) -> Contact | None:
        """The contact that plays this role (mapped under roles, or with the meaning as its id), or None."""
        return self.contact(self.roles.get(meaning, meaning))

    def role_routine(self, meaning: str) -> Routine | None:
        """The routine or form that serves this meaning (mapped under roles, or with it as its id), or None."""
        ident = self.roles.get(meaning, meaning)
        return next((r for r in self.routines if r.id == ident), None)

    def due_for_review(self, today: dt.date) -> list[Routine]:
        """Routines last reviewed more than a year ago, the oldest first."""
        due = [r for r in self.routines if today - r.last_reviewed > REVIEW_AFTER]
        return sorted(due, key=lambda r: r.last_reviewed)

    def is_coordinator(self, user_id: str) -> bool:
        """Whether this platform user id is a configured SLT coordinator."""
        return user_id in self.coordinators


def load_municipality(path: Path) -> Municipality:
    """Read and validate a municipality file; raise MunicipalityError with one clear line if it is bad."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MunicipalityError(t("municipality.not_found", path=path)) from None
    except OSError as exc:
        raise MunicipalityError(t("municipality.unreadable", path=path, error=exc.strerror)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            raise MunicipalityError(t("municipality.bad_yaml_at", path=path, line=mark.line + 1)) from None
        raise MunicipalityError(t("municipality.bad_yaml", path=path)) from None
    if not isinstance(raw, dict):
        raise MunicipalityError(t("municipality.not_a_table", path=path))
    try:
        return Municipality.model_validate(raw)
    except ValidationError as exc:
        raise MunicipalityError(t("municipality.invalid", path=path, problem=describe_error(exc))) from None


def load_municipalities(path: Path) -> dict[str, tuple[Municipality, Path]]:
    """One municipality file, or every *.yaml in a folder: the municipalities of this deployment and their files.

    Ids must differ, and a Slack workspace belongs to one municipality only (a Microsoft 365 tenant may hold
    several; their Teams teams then tell them apart).
    """
    if path.is_dir():
        files = sorted(path.glob("*.yaml"))
        if not files:
            raise MunicipalityError(t("municipality.empty_folder", path=path))
    else:
        files = [path]
    found: dict[str, tuple[Municipality, Path]] = {}
    workspaces: dict[str, str] = {}
    for file in files:
        municipality = load_municipality(file)
        if municipality.id in found:
            raise MunicipalityError(t("municipality.same_id", path=file, id=municipality.id))
        for team in municipality.slack_team_ids:
            if team in workspaces:
                raise MunicipalityError(t("municipality.same_workspace", path=file, team=team, other=workspaces[team]))
            workspaces[team] = municipality.id
        found[municipality.id] = (municipality, file)
    return found
