"""Every free-text path uses the same personal-data screen: topics, the escalation description, referat fields."""

from __future__ import annotations

import io

from bot.core.bot import Bot
from handlers.exports import export_records
from storage.outbox import pending_for
from storage.topics import all_topics
from tests.conversation import Conversation
from tests.test_dialogs import BRANCHES
from tests.test_escalation import _walk
from tests.test_outcomes import GOOD_FORM, _form_input


async def test_a_topic_with_a_handle_or_a_quasi_identifier_is_not_stored_as_typed(
    staff: Conversation, bot: Bot
) -> None:
    reply = await staff.say("tema han kaller seg @snusbaron06 på Snap og selger til 7. trinn")
    assert "personopplysninger (brukernavn)" in reply and "«han kaller seg [brukernavn] på Snap" in reply
    reply = await staff.say("avbryt")
    reply = await staff.say("tema den eneste jenta på 9. trinn på Hove skole som bruker rullestol blir mobbet")
    assert "personopplysninger (kan identifisere)" in reply
    assert "1) Lagre uten personopplysningene" in reply and "2) Skriv forslaget på nytt" in reply
    assert "3) Jeg er bekymret for en person (start veiledning)" in reply
    async with bot.db.session() as session:
        assert await all_topics(session) == []


async def test_the_escalation_description_is_screened_for_plates_and_birth_dates(staff: Conversation, bot: Bot) -> None:
    await _walk(staff, BRANCHES["anonymous innsatsteam"][0])
    staff.channel.stdin = io.StringIO("Gutt født 14.02.2011 hentes i bil med reg.nr. DN 43210\n")
    reply = await staff.say("1")
    assert "personopplysninger (fødselsdato, registreringsnummer)" in reply
    assert "«Gutt [fødselsdato] hentes i bil med reg.nr. [registreringsnummer]»" in reply
    async with bot.db.session() as session:
        assert await pending_for(session, target="console:koordinator") == []


async def test_a_referat_field_with_a_lower_case_name_saves_nothing(coordinator: Conversation, bot: Bot) -> None:
    form = list(GOOD_FORM)
    form[5] = "vi snakket om henrik på 8. trinn og rusen i helgene"
    coordinator.channel.stdin = _form_input(form + [""] * 25)
    reply = await coordinator.say("referat")
    assert "Referatet er ikke lagret:" in reply and "personopplysninger (navn)" in reply
    assert (await export_records(bot.context, "outcomes", actor="t"))[1] == []
