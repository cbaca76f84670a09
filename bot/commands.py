"""Every command word, action and form of the bot, registered on one router: the whole command surface."""

from __future__ import annotations

from dataclasses import replace

from bot.core.context import Context
from bot.core.messages import Inbound, Reply
from bot.core.router import Router
from handlers import (
    contacts,
    content,
    digest,
    escalation,
    help,
    home,
    language,
    measures,
    meeting_changes,
    meetings,
    outcomes,
    questions,
    report_link,
    routines,
    safety,
    topics,
    votes,
)
from handlers.planning import yearwheel


def build_router() -> Router:
    """Register every command and action; the whole command surface of the bot in one place."""
    router = Router()
    router.command("hjelp", "help", "meny", "hei", "hallo", "start")(help.show_help)
    router.command("kontakter", "kontakt", "kontaktliste", "kontaktar", "contacts", help="kontakter")(
        contacts.list_contacts
    )
    router.command("rutiner", "rutine", "skjema", "skjemaer", "rutinar", "routines", "forms", help="rutiner")(
        routines.list_routines
    )
    router.command("møteplan", "møter", "møtekalender", "kalender", "møteplanen", "meetings", help="moteplan")(
        meetings.meeting_plan
    )
    router.command("tema", "forslag", "topic", takes_text=True, private=True, help="tema")(topics.suggest)
    router.command("stem", "røyst", "vote", takes_text=True, private=True, help="stem")(votes.vote)
    router.command("temaer", "temaforslag", "topics", coordinators_only=True, help="temaer")(
        topics.list_for_coordinator
    )
    router.action(topics.SUBMIT_ACTION, private=True)(topics.submit_form)
    router.action(topics.FOUND_ACTION, private=True)(topics.found_choice)
    router.action(votes.VOTE_ACTION, private=True)(votes.vote_button)
    router.action(topics.ADMIN_ACTION, private=True)(topics.admin_choice)
    router.command("bekymringer", "bekymringar", "concerns", coordinators_only=True, help="bekymringer")(
        escalation.overview
    )
    router.action(escalation.NOTIFY_ACTION, private=True)(escalation.notify_choice)
    router.action(escalation.SUMMARY_ACTION, private=True)(escalation.submit_summary)
    router.action(escalation.SUMMARY_CHOICE_ACTION, private=True)(escalation.summary_choice)
    router.command("referat", "minutes", coordinators_only=True, help="referat")(outcomes.start)
    router.command("referater", "referata", "outcomes", coordinators_only=True, help="referater")(outcomes.recent)
    router.action(outcomes.SUBMIT_ACTION, private=True)(outcomes.submit)
    router.command("rapport", "årsrapport", "report", takes_text=True, coordinators_only=True, help="rapport")(
        report_link.request_report
    )
    router.command("tiltak", "measures", "actions", coordinators_only=True, help="tiltak")(measures.list_measures)
    router.action(measures.ACTION, private=True)(measures.choose)
    router.action(measures.EVALUATE_ACTION, private=True)(measures.submit_evaluation)
    router.action(measures.MOVE_ACTION, private=True)(measures.submit_move)
    router.command("avlys", "cancel-meeting", coordinators_only=True, help="avlys")(meeting_changes.cancel_menu)
    router.command("flytt", "move", coordinators_only=True, help="flytt")(meeting_changes.move_form)
    router.action(meeting_changes.CANCEL_ACTION, private=True)(meeting_changes.cancel)
    router.action(meeting_changes.MOVE_ACTION, private=True)(meeting_changes.move)
    router.command("innhold", "innhald", "content", coordinators_only=True, private=True, help="innhold")(content.menu)
    router.command("årshjul", "årshjulet", "arshjul", "yearwheel", "year-wheel", takes_text=True, help="arshjul")(
        yearwheel.show
    )
    router.command("språk", "mål", "language", takes_text=True, help="sprak")(language.choose)
    router.action(language.ACTION)(language.pick)
    router.action(content.PICK_ACTION, private=True)(content.pick_contact)
    router.action(content.SAVE_ACTION, private=True)(content.save_contact)
    router.action(content.REVIEWED_ACTION, private=True)(content.mark_reviewed)
    router.command(
        "oppsummering", "sammendrag", "samandrag", "digest", "summary", coordinators_only=True, help="oppsummering"
    )(digest.on_demand)
    # Forms that channels can open at once (Slack's trigger id lasts 3 s), and that a button can reopen.
    router.instant_form("tema")(topics.suggestion_form)
    router.form_opener(topics.SUBMIT_ACTION)(topics.open_form)
    router.form_opener(outcomes.SUBMIT_ACTION)(outcomes.start)
    router.form_opener(meeting_changes.MOVE_ACTION)(meeting_changes.move_form)
    router.form_opener(escalation.SUMMARY_ACTION)(escalation.open_summary_form)
    router.form_opener(content.SAVE_ACTION)(content.open_form)
    router.form_opener(measures.EVALUATE_ACTION)(measures.open_form)
    router.form_opener(measures.MOVE_ACTION)(measures.open_form)

    router.action(home.VIEW_ACTION, private=True)(home.home)

    @router.action(home.ACTION)
    async def shortcut(inbound: Inbound, ctx: Context) -> list[Reply]:
        """A shortcut button (App Home) does what typing its word would."""
        word = inbound.values.get("value", "")
        return await router.dispatch(replace(inbound, action=None, values={}, text=str(word)), ctx)

    router.fallback(questions.answer_question)
    # Acute danger gets the emergency numbers first, whatever else the text is (a dialog answer, a topic, ...).
    router.urgent(safety.is_acute, lambda ctx: safety.acute_reply(ctx.municipality))
    return router
