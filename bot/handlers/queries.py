"""Read-only commands: my queue (待办), a ticket's details and timeline, a resident's tickets."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..storage import tickets as ticket_store
from ..storage.models import Ticket, TicketEvent
from ..workflow import ActorKind, awaits_acceptance
from . import texts, visits
from .actors import kinds_of
from .base import Context
from .notify import duration, excerpt, local_time, person_name, type_name, unit_name

if TYPE_CHECKING:
    from .command_handler import Invocation

TODO_LIMIT = 15
FOLLOWUP_LIMIT = 10
TIMELINE_LIMIT = 15


def _due(ctx: Context, ticket: Ticket) -> str:
    due = ticket.next_due_at
    if due is None:
        return ""
    what = texts.DUE_ACCEPT if awaits_acceptance(ticket.status) else texts.DUE_RESOLVE
    if due < ctx.now:
        return texts.DUE_OVERDUE.format(late=duration((ctx.now - due).total_seconds()))
    return texts.DUE_LEFT.format(what=what, due=local_time(ctx, due))


def todo(inv: "Invocation") -> None:
    ctx = inv.ctx
    person = inv.actor.person
    tickets, total = ticket_store.open_tickets_of(ctx.session, person.id, TODO_LIMIT)
    followups = ticket_store.followups_due_of(ctx.session, person.id, ctx.now, FOLLOWUP_LIMIT)
    households, household_total = visits.due_households(inv, 0, FOLLOWUP_LIMIT)
    if not tickets and not followups and not households:
        inv.say(texts.TODO_EMPTY)
        return
    text = texts.TODO_HEAD.format(total=total) if tickets else texts.TODO_EMPTY
    for i, ticket in enumerate(tickets, 1):
        text += texts.TODO_LINE.format(
            i=i, number=ticket.id, type_name=type_name(ctx, ticket.type),
            status=texts.STATUS_NAMES.get(ticket.status, ticket.status), urgent="·紧急" if ticket.urgent else "",
            unit=unit_name(ctx, ticket.unit_id), due=_due(ctx, ticket), text=excerpt(ticket.text, 40))
    if total > len(tickets):
        text += texts.TODO_MORE.format(more=total - len(tickets))
    if followups:
        text += texts.TODO_FOLLOWUPS.format(count=len(followups), items="、".join(f"#{t.id}" for t in followups))
    if households:
        text += texts.TODO_VISITS.format(count=household_total, items="、".join(h.name for h in households)
                                         + ("等" if household_total > len(households) else ""))
    inv.say(text)


def details(inv: "Invocation") -> None:
    ctx, ticket = inv.ctx, inv.ticket
    kinds = kinds_of(ctx, inv.actor, ticket)
    staff_view = bool(kinds - {ActorKind.REPORTER})
    reporters = ticket_store.reporters_of(ctx.session, ticket.id)
    text = texts.DETAIL_HEAD.format(
        number=ticket.id, type_name=type_name(ctx, ticket.type), urgent="【紧急】" if ticket.urgent else "",
        status=texts.STATUS_NAMES.get(ticket.status, ticket.status), unit=ctx.roster.path(ticket.unit_id),
        reporters="、".join(r.name for r in reporters) or ticket.reporter_name,
        assignee=person_name(ctx, ticket.assignee_id), level=unit_name(ctx, ticket.level_unit_id),
        text=excerpt(ticket.text, 300))
    if ticket.next_due_at is not None:
        late = ""
        if ticket.next_due_at < ctx.now:
            late = "（" + texts.DUE_OVERDUE.format(late=duration((ctx.now - ticket.next_due_at).total_seconds())) + "）"
        what = texts.DUE_ACCEPT if awaits_acceptance(ticket.status) else texts.DUE_RESOLVE
        text += texts.DETAIL_DUE.format(what=what, due=local_time(ctx, ticket.next_due_at), late=late)
    if ticket.result_note:
        text += texts.DETAIL_RESULT.format(note=excerpt(ticket.result_note, 300))
    if ticket.satisfaction:
        text += texts.DETAIL_RATING.format(satisfaction=texts.SATISFACTION_NAMES.get(ticket.satisfaction,
                                                                                     ticket.satisfaction))
    events = ticket_store.events_of(ctx.session, ticket.id)
    if not staff_view:
        # Residents see what was done, not the staff's internal notes and notices.
        events = [e for e in events if e.kind not in ("commented", "leader_notified", "parent_notified",
                                                      "overdue_reminded", "overdue_at_top", "type_changed")]
    shown = events[-TIMELINE_LIMIT:]
    text += texts.DETAIL_TIMELINE
    for event in shown:
        text += texts.DETAIL_EVENT.format(at=local_time(ctx, event.at), who=_who(ctx, event),
                                          what=_event_text(ctx, event))
    if len(events) > len(shown):
        text += texts.DETAIL_MORE.format(total=len(events), shown=len(shown))
    inv.say(text)


def _who(ctx: Context, event: TicketEvent) -> str:
    actor = event.actor
    if actor.startswith("person:"):
        return person_name(ctx, actor.removeprefix("person:")) + " "
    if actor.startswith("resident:"):
        return "居民 "
    return "系统 "


def _event_text(ctx: Context, event: TicketEvent) -> str:
    template = texts.EVENT_TEXTS.get(event.kind, event.kind)
    data = event.data or {}
    values = {
        "person": person_name(ctx, data.get("person")),
        "unit": unit_name(ctx, data.get("unit", "")) if data.get("unit") else "",
        "to_unit": unit_name(ctx, data.get("to_unit", "")) if data.get("to_unit") else "",
        "to": person_name(ctx, data.get("to")),
        "name": data.get("name", ""),
        "satisfaction": texts.SATISFACTION_NAMES.get(data.get("satisfaction", ""), ""),
        "rating": texts.SATISFACTION_NAMES.get(data.get("rating", ""), ""),
        "to_name": type_name(ctx, data.get("to", "")) if data.get("to") else "",
    }
    text = template.format(**values)
    if event.note and event.kind != "created":
        text += "：" + excerpt(event.note, 80)
    return text


def mine(inv: "Invocation") -> None:
    ctx = inv.ctx
    msg = ctx.message
    tickets = ticket_store.tickets_of_reporter(ctx.session, msg.channel, msg.sender_id, limit=10)
    if not tickets:
        inv.say(texts.MINE_EMPTY)
        return
    text = texts.MINE_HEAD.format(count=len(tickets))
    for ticket in tickets:
        text += texts.MINE_LINE.format(
            number=ticket.id, type_name=type_name(ctx, ticket.type),
            status=texts.STATUS_NAMES.get(ticket.status, ticket.status), when=local_time(ctx, ticket.created_at),
            text=excerpt(ticket.text, 40))
        if ticket.status == "resolved":
            row = ticket_store.reporter(ctx.session, ticket.id, msg.channel, msg.sender_id)
            if row is not None and row.rating is None:
                text += texts.MINE_RATE_HINT.format(number=ticket.id)
    inv.say(text)
