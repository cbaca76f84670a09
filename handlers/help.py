"""`hjelp`: what the bot can do, and the fallback when a question has no answer."""

from __future__ import annotations

from bot.core.catalog import t
from bot.core.context import Context
from bot.core.messages import Facts, Inbound, Part, Reply, Text
from bot.core.parts import contact_card


async def show_help(inbound: Inbound, ctx: Context) -> list[Reply]:
    """List what the bot can do, from the router's registrations (coordinators also see their commands)."""
    staff = [entry.key for entry in ctx.commands if not entry.coordinators_only]
    items = [(t(f"help.cmd.{key}"), t(f"help.desc.{key}")) for key in staff]
    flows = [ctx.dialogs.flow(flow_id) for flow_id in ctx.dialogs.flows]
    items += [(flow.commands[0], flow.title) for flow in flows if flow.commands]
    # Cancelling is the dialog engine's own word, not a registered command.
    items.append((t("help.cmd.avbryt"), t("help.desc.avbryt")))
    parts: list[Part] = [
        Text(t("help.intro", municipality=ctx.municipality.name)),
        Facts(title=t("help.commands_title"), items=tuple(items)),
    ]
    if ctx.municipality.is_coordinator(inbound.user_id):
        coordinators = [entry.key for entry in ctx.commands if entry.coordinators_only]
        coordinator_items = tuple((t(f"help.cmd.{key}"), t(f"help.desc.{key}")) for key in coordinators)
        parts.append(Facts(title=t("help.coordinators_title"), items=coordinator_items))
    parts.append(Text(t("help.questions")))
    return [Reply(parts=tuple(parts))]


def not_found(ctx: Context) -> Reply:
    """The friendly answer when a question matched nothing: what to try, and whom to ask."""
    parts: list[Part] = [Text(t("fallback.intro")), Text(t("fallback.examples"))]
    coordinator = ctx.municipality.role_contact("slt-koordinator") or ctx.municipality.contacts[0]
    parts.append(Text(t("fallback.ask_person")))
    parts.append(contact_card(coordinator))
    return Reply(parts=tuple(parts))
