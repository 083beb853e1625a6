"""Supervision (督办): the periodic check of deadlines, entered like any handler.

Three steps, each over a bounded chunk of tickets per transaction (memory stays
flat however many tickets there are):

1. ``remind_overdue``: an open ticket past its current deadline (accept or
   resolve) gets one reminder, mentioning the assignee in the handling unit's
   group; reminders are gathered per chat and person into one message. The
   ticket records ``sla_stage = REMINDED`` and when to escalate.
2. ``escalate_overdue``: a reminded ticket still overdue after the grace
   (``sla.escalate_after_hours``; urgent: ``urgent.escalate_after_hours``) goes
   up one level automatically (actor "system", reason logged), announced per
   receiving unit in one digest. At the top of the tree the top leader is told
   once (``AT_TOP``) instead.
3. ``close_unrated``: resolved tickets nobody rated within
   ``feedback.rating_days`` close as 未评价.

Everything is decided from the ticket rows, which change in the same
transaction as the messages are queued, so a restart, a crash or a second
replica (PostgreSQL: ``FOR UPDATE SKIP LOCKED``) never repeats or skips a step.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..delivery import PRIORITY_NOTICE
from ..messages import MessageBuilder
from ..storage import tickets as ticket_store
from ..storage.models import EventKind, Satisfaction, SlaStage, Ticket
from ..workflow import TransitionRefused, awaits_acceptance, is_open
from . import lifecycle, routing, texts
from .actors import SYSTEM
from .base import Context
from .notify import Notices, duration, excerpt, mention, type_name

log = logging.getLogger(__name__)

CHUNK = 500
# Tickets listed per person in one reminder; the rest are counted ("等 N 张").
LINES_PER_PERSON = 10


@dataclass
class _Group:
    chat: tuple[str, str]
    person_id: str | None
    accept: list = field(default_factory=list)  # rows of tickets.REMIND_COLUMNS
    resolve: list = field(default_factory=list)


def remind_overdue(ctx: Context, limit: int = CHUNK) -> int:
    rows = ticket_store.overdue_to_remind(ctx.session, ctx.now, limit)
    sla, urgent = ctx.config.sla, ctx.config.urgent
    groups: dict[tuple[str, str, str | None], _Group] = {}
    reminded: dict[int, datetime | None] = {}
    # When a reminded ticket escalates, by urgency (None: never, auto-escalation is off).
    escalate_at = {True: ctx.now + timedelta(hours=urgent.escalate_after_hours),
                   False: ctx.services.calendar.add_hours(ctx.now, sla.escalate_after_hours)} if sla.auto_escalate \
        else {True: None, False: None}
    for ticket in rows:
        if not is_open(ticket.status):  # cannot happen while lifecycle keeps next_due_at; repair it
            log.error("ticket %s is %s but has a deadline; clearing it", ticket.id, ticket.status)
            ticket_store.clear_deadline(ctx.session, ticket.id)
            continue
        reminded[ticket.id] = escalate_at[bool(ticket.urgent)]
        kind = "accept" if awaits_acceptance(ticket.status) else "resolve"
        ticket_store.add_event(ctx.session, ticket.id, at=ctx.now, actor="system", kind=EventKind.OVERDUE_REMINDED,
                               data={"deadline": kind, "due": ticket.next_due_at.isoformat()})
        person_id = ticket.assignee_id if ticket.assignee_id in ctx.roster.people else None
        if person_id is None:
            leader = routing.find_leader(ctx.roster, ticket.level_unit_id)
            person_id = leader.id if leader else None
        _, chats = routing.nearest_chats(ctx.roster, ticket.level_unit_id, ticket.channel)
        if not chats:
            log.warning("ticket %s is overdue but unit %s has no %s group to remind in",
                        ticket.id, ticket.level_unit_id, ticket.channel)
        for chat in chats:
            group = groups.setdefault((chat.channel, chat.chat_id, person_id),
                                      _Group((chat.channel, chat.chat_id), person_id))
            (group.accept if kind == "accept" else group.resolve).append(ticket)
    ticket_store.mark_reminded(ctx.session, reminded)
    notices = Notices(priority=PRIORITY_NOTICE)
    for group in groups.values():
        line = notices.to(*group.chat).text(texts.OVERDUE_HEAD)
        if group.person_id:
            mention(ctx, line, ctx.roster.people[group.person_id], group.chat[0]).text(" ")
        else:
            line.text(texts.OVERDUE_NOBODY)
        for head, items in ((texts.OVERDUE_ACCEPT, group.accept), (texts.OVERDUE_RESOLVE, group.resolve)):
            if items:
                line.text(head)
                _ticket_lines(ctx, line, items)
        grace_hours = urgent.escalate_after_hours if all(t.urgent for t in group.accept + group.resolve) \
            else sla.escalate_after_hours
        line.text(texts.OVERDUE_TAIL.format(grace=duration(grace_hours * 3600)) if sla.auto_escalate
                  else texts.OVERDUE_TAIL_TOP)
    notices.flush(ctx)
    return len(rows)


def _ticket_lines(ctx: Context, line: MessageBuilder, tickets: list) -> None:  # Ticket or its row
    for ticket in tickets[:LINES_PER_PERSON]:
        late = (ctx.now - ticket.next_due_at).total_seconds() if ticket.next_due_at else 0
        line.text(texts.OVERDUE_LINE.format(number=ticket.id, type_name=type_name(ctx, ticket.type),
                                            text=excerpt(ticket.text, 30), late=duration(late)))
    if len(tickets) > LINES_PER_PERSON:
        line.text(f"\n……等共 {len(tickets)} 张（发送“待办”查看全部）")


def escalate_overdue(ctx: Context, limit: int = CHUNK) -> int:
    tickets = ticket_store.overdue_to_escalate(ctx.session, ctx.now, limit)
    raised: dict[str, list[tuple[Ticket, lifecycle.Escalation, str]]] = {}
    at_top: dict[str, list[Ticket]] = {}
    for ticket in tickets:
        if not is_open(ticket.status):  # cannot happen: every transition resets the stage
            log.error("ticket %s is %s but marked reminded; clearing it", ticket.id, ticket.status)
            ticket.sla_stage, ticket.sla_escalate_at = SlaStage.ON_TIME, None
            continue
        why = texts.AUTO_ESCALATE_REASON_ACCEPT if awaits_acceptance(ticket.status) \
            else texts.AUTO_ESCALATE_REASON_RESOLVE
        try:
            result = lifecycle.escalate(ctx, ticket, SYSTEM, why, auto=True, announce=False)
        except (lifecycle.NoHigherLevel, TransitionRefused):
            ticket.sla_stage = SlaStage.AT_TOP
            ticket.sla_escalate_at = None
            ticket_store.add_event(ctx.session, ticket, at=ctx.now, actor="system", kind=EventKind.OVERDUE_AT_TOP,
                                   data={"unit": ticket.level_unit_id})
            at_top.setdefault(ticket.level_unit_id, []).append(ticket)
            continue
        raised.setdefault(result.target.id, []).append((ticket, result, why))
    notices = Notices(priority=PRIORITY_NOTICE)
    for unit_id, items in raised.items():
        channels = sorted({t.channel for t, _, _ in items})
        for channel in channels:
            mine = [(t, r, w) for t, r, w in items if t.channel == channel]
            _, chats = routing.nearest_chats(ctx.roster, unit_id, channel)
            for chat in chats:
                line = notices.to(chat.channel, chat.chat_id).text(
                    texts.AUTO_ESCALATED_HEAD.format(unit=ctx.roster.units[unit_id].name))
                for ticket, _result, why in mine[:LINES_PER_PERSON * 2]:
                    line.text(texts.AUTO_ESCALATED_LINE.format(
                        number=ticket.id, type_name=type_name(ctx, ticket.type),
                        origin=ctx.roster.units[ticket.unit_id].name if ticket.unit_id in ctx.roster.units
                        else ticket.unit_id, text=excerpt(ticket.text, 30), why=why))
                if len(mine) > LINES_PER_PERSON * 2:
                    line.text(f"\n……等共 {len(mine)} 张")
                people = {r.person.id: r.person for _, r, _ in mine if r.person is not None}
                if people:
                    line.text(texts.AUTO_ESCALATED_ASK)
                    for i, person in enumerate(people.values()):
                        mention(ctx, line.text("、" if i else ""), person, chat.channel)
                    line.text(texts.AUTO_ESCALATED_ASK_TAIL)
    for unit_id, items in at_top.items():
        leader = routing.find_leader(ctx.roster, unit_id)
        for channel in sorted({t.channel for t in items}):
            _, chats = routing.nearest_chats(ctx.roster, unit_id, channel)
            for chat in chats:
                line = notices.to(chat.channel, chat.chat_id).text(texts.AT_TOP_HEAD.format(
                    unit=ctx.roster.units[unit_id].name if unit_id in ctx.roster.units else unit_id))
                if leader is not None:
                    mention(ctx, line, leader, chat.channel)
                line.text(texts.AT_TOP_TAIL)
                _ticket_lines(ctx, line, [t for t in items if t.channel == channel])
    notices.flush(ctx)
    return len(tickets)


def close_unrated(ctx: Context, limit: int = CHUNK) -> int:
    tickets = ticket_store.rating_expired(ctx.session, ctx.now, limit)
    ratings = ticket_store.ratings_of(ctx.session, [t.id for t in tickets])
    for ticket in tickets:
        given = ratings[ticket.id]
        satisfaction = (Satisfaction.BASICALLY if Satisfaction.BASICALLY in given
                        else Satisfaction.SATISFIED if given else Satisfaction.UNRATED)
        lifecycle.close(ctx, ticket, SYSTEM, satisfaction)
    return len(tickets)


# The steps of one supervision run, in order; each is repeated until a chunk comes back short.
STEPS = (remind_overdue, escalate_overdue, close_unrated)
