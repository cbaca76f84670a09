"""The yearly report to the politiråd or styringsgruppe: meetings, topics, escalations, measures, priorities.

What the report says is decided here, as a Document of blocks (bot/core/document.py); bot/report.py writes it
as Word, PDF or Excel. Counts of escalation records go through handlers/privacy/counts.py like every other
output: a count below the municipality's minimum reads «under 5», and breakdowns fold small rows so none can
be recovered by subtraction. Charts show only what the tables may show.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable

from bot.core.catalog import t, use_language
from bot.core.context import Context
from bot.core.document import Block, Chart, Document, Heading, Paragraph, Table
from bot.core.parts import norwegian_date
from bot.yearly import LEVELS
from handlers.escalation import recommendation_label
from handlers.measures import STATUSES as MEASURE_STATUSES
from handlers.planning.schedule import load_overrides, occurrences
from handlers.privacy.counts import breakdown, count_text
from storage import escalations as escalation_store
from storage import measures as measure_store
from storage import outcomes as outcome_store
from storage import topics as topic_store
from storage.models import EscalationRecord, Measure, MeetingOutcome, Topic

TOP_TOPICS = 10


def _month(number: int) -> str:
    return t(f"date.month.{number}")  # lower case, as Norwegian writes months in a table


async def build_report(ctx: Context, year: int) -> Document:
    """The whole report for a year, in the municipality's language."""
    use_language(ctx.municipality.language)
    today = ctx.today()
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    async with ctx.db.session() as session:
        topics = await topic_store.topics_created_between(session, first=first, last=last)
        records = await escalation_store.escalations_completed_between(session, first=first, last=last)
        until = {o.id: o for o in await outcome_store.outcomes_until(session, last=last)}
        outcomes = [o for o in until.values() if o.meeting_date.year == year]
        # The year's measures, and those carried into it still open from before; never one from a later year.
        measures = [
            (m, until[m.outcome_id])
            for m in await measure_store.measures_of(session, outcome_ids=[i for i in until if i is not None])
            if until[m.outcome_id].meeting_date.year == year or m.status in measure_store.FOLLOWED_UP
        ]
    minimum = ctx.municipality.privacy.minimum_count
    title = t("report.title", municipality=ctx.municipality.name, year=year)
    blocks: list[Block] = [
        Heading(title, level=0),
        Paragraph(t("report.intro", date=norwegian_date(today), year=year, minimum=minimum)),
        *([Paragraph(t("report.draft"))] if year >= today.year else []),
        *await _meetings(ctx, year, min(today, dt.date(year, 12, 31)), outcomes, minimum),
        *_topics(topics),
        *_escalations(ctx, records, minimum),
        *_measures(measures, minimum),
        *_priorities(ctx, records, [m for m, o in measures if not _individual(o)], topics, minimum, today),
    ]
    return Document(title=title, blocks=tuple(blocks))


def _individual(outcome: MeetingOutcome) -> bool:
    """A referat about one young person's case (the innsatsteam, or discussed with consent)."""
    return outcome.basis == "consent" or outcome.meeting_type == t("outcomes.innsatsteam")


async def _meetings(
    ctx: Context, year: int, until: dt.date, outcomes: list[MeetingOutcome], minimum: int
) -> list[Block]:
    municipality = ctx.municipality
    overrides = await load_overrides(ctx)
    rows: list[tuple[str, ...]] = []
    per_level: Counter[str] = Counter()
    for series in municipality.meetings:
        found = occurrences(municipality, series, dt.date(year, 1, 1), until, overrides)
        held = sum(1 for o in found if o.status == "planned" and o.day <= until)
        cancelled = sum(1 for o in found if o.status == "cancelled")
        per_level[series.ring] += held
        rows.append((t(f"yearwheel.level.{series.ring}"), series.name, str(held), str(cancelled)))
    rows.sort(key=lambda row: [t(f"yearwheel.level.{level}") for level in LEVELS].index(row[0]))
    referats = Counter(o.meeting_type for o in outcomes)
    blocks: list[Block] = [
        Heading(t("report.meetings")),
        Paragraph(t("report.meetings_intro", date=norwegian_date(until))),
        Table(
            (t("report.col.level"), t("report.col.meeting"), t("report.col.held"), t("report.col.cancelled")),
            tuple(rows),
        ),
        Chart(
            t("report.chart.meetings"),
            tuple(t(f"yearwheel.level.{level}") for level in LEVELS),
            tuple(per_level[level] for level in LEVELS),
        ),
    ]
    # Referats of the innsatsteam are counts of young people's cases: the small-number rules apply to them all.
    rows_shown = breakdown(list(referats.items()), minimum)
    if rows_shown:
        blocks.append(Table((t("report.col.meeting"), t("report.col.referats")), tuple(rows_shown)))
    return blocks


def _topics(topics: list[Topic]) -> list[Block]:
    per_month = Counter(topic.created_on.month for topic in topics)
    status = Counter(topic.status for topic in topics)
    discussed = sorted(
        (x for x in topics if x.status in ("planned", "discussed")),
        key=lambda x: (x.meeting_date or x.created_on, -x.votes),
    )
    blocks: list[Block] = [
        Heading(t("report.topics")),
        Paragraph(
            t(
                "report.topics_intro",
                n=len(topics),
                discussed=status["discussed"],
                planned=status["planned"],
                rejected=status["rejected"],
            )
        ),
        Chart(
            t("report.chart.topics"), tuple(_month(m) for m in range(1, 13)), tuple(per_month[m] for m in range(1, 13))
        ),
    ]
    if discussed:
        rows = tuple(
            (_month((x.meeting_date or x.created_on).month), x.text, t(f"report.topic_status.{x.status}"), str(x.votes))
            for x in discussed
        )
        header = (t("report.col.month"), t("report.col.topic"), t("report.col.status"), t("report.col.votes"))
        blocks.append(Table(header, rows))
    top = sorted(topics, key=lambda x: -x.votes)[:TOP_TOPICS]
    if top and top[0].votes:
        blocks.append(Paragraph("\n".join(f"{x.text} ({x.votes})" for x in top if x.votes), bullets=True))
    return blocks


def _safe_rows(counts: Iterable[tuple[str, int]], minimum: int) -> list[tuple[str, str]]:
    return breakdown(list(counts), minimum)


def _escalations(ctx: Context, records: list[EscalationRecord], minimum: int) -> list[Block]:
    flow = ctx.dialogs.flow("bekymring") if "bekymring" in ctx.dialogs.flows else None
    by_recommendation = Counter(recommendation_label(r.recommendation) for r in records)
    by_category = Counter(flow.label("categories", c) if flow else c for r in records for c in r.categories)
    by_month = Counter(_month(r.completed_on.month) for r in records)
    header = (t("report.col.what"), t("report.col.count"))
    blocks: list[Block] = [
        Heading(t("report.escalations")),
        Paragraph(t("report.escalations_intro", total=count_text(len(records), minimum), minimum=minimum)),
    ]
    for key, counts in (
        ("recommendation", by_recommendation),
        ("category", by_category),
        ("month", by_month),
    ):
        rows = _safe_rows(counts.items(), minimum)
        blocks.append(Heading(t(f"report.escalations_by.{key}"), level=2))
        if not rows:
            blocks.append(Paragraph(t("report.too_few", minimum=minimum)))
            continue
        blocks.append(Table(header, tuple(rows)))
        if key != "month":
            shown = [(label, int(n)) for label, n in rows]
            chart = Chart(t(f"report.chart.{key}"), tuple(a for a, _ in shown), tuple(n for _, n in shown))
            blocks.append(chart)
    return blocks


def _measures(measures: list[tuple[Measure, MeetingOutcome]], minimum: int) -> list[Block]:
    """The general measures one by one; those from individual cases only as counts by status (small ones folded)."""
    general = [m for m, outcome in measures if not _individual(outcome)]
    individual = Counter(t(f"measures.status.{m.status}") for m, outcome in measures if _individual(outcome))
    blocks: list[Block] = [Heading(t("report.measures"))]
    if not measures:
        return [*blocks, Paragraph(t("report.no_measures"))]
    status = Counter(m.status for m in general)
    labels = tuple(t(f"measures.status.{s}") for s in MEASURE_STATUSES)
    if general:
        blocks.append(Chart(t("report.chart.measures"), labels, tuple(status[s] for s in MEASURE_STATUSES)))
        rows = tuple(
            (
                m.what,
                m.responsible or "-",
                norwegian_date(m.due) if m.due else "-",
                t(f"measures.status.{m.status}"),
                m.evaluation or "-",
            )
            for m in general
        )
        header = (
            t("report.col.measure"),
            t("report.col.responsible"),
            t("report.col.due"),
            t("report.col.status"),
            t("report.col.evaluation"),
        )
        blocks.append(Table(header, rows))
    if individual:
        total = sum(individual.values())
        blocks.append(Paragraph(t("report.individual_measures", n=count_text(total, minimum))))
        rows_shown = breakdown(list(individual.items()), minimum)
        if rows_shown:
            blocks.append(Table((t("report.col.status"), t("report.col.count")), tuple(rows_shown)))
    return blocks


def _priorities(
    ctx: Context,
    records: list[EscalationRecord],
    measures: list[Measure],
    topics: list[Topic],
    minimum: int,
    today: dt.date,
) -> list[Block]:
    """What the data suggests for next year, and room for the coordinator's own proposals."""
    flow = ctx.dialogs.flow("bekymring") if "bekymring" in ctx.dialogs.flows else None
    suggestions = []
    categories = Counter(c for r in records for c in r.categories)
    for category, n in categories.most_common(3):
        if n >= minimum:
            suggestions.append(
                t("report.suggest.category", name=flow.label("categories", category) if flow else category)
            )
    for m in measures:
        if m.status == "open" and m.due is not None and m.due < today:
            suggestions.append(t("report.suggest.overdue", what=m.what, responsible=m.responsible or "-"))
    for topic in sorted(topics, key=lambda x: -x.votes)[:2]:
        if topic.votes:
            suggestions.append(t("report.suggest.topic", text=topic.text))
    blocks: list[Block] = [Heading(t("report.priorities")), Paragraph(t("report.priorities_intro"))]
    if suggestions:
        blocks.append(Paragraph("\n".join(suggestions), bullets=True))
    blocks.append(Paragraph(t("report.priorities_own")))
    return blocks
