"""Moving tickets through the workflow: every transition checked, logged and announced.

Each function takes a ticket locked by the caller (``tickets.get_for_update``),
asks ``workflow.check`` whether the actor may take the action from the ticket's
status (raising ``TransitionRefused`` otherwise), updates the ticket and its
deadlines, writes the event log, and queues the messages the step calls for:
feedback to the residents' group, the next level's group, the chat of the
command. Commands, the rating handler and the supervision job all come here,
so no path skips the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm.attributes import flag_modified

from ..messages import MessageBuilder
from ..nlp.model import NONE_LABEL
from ..storage import examples as example_store
from ..storage import tickets as ticket_store
from ..storage.models import EventKind, Satisfaction, SlaStage, Ticket
from ..storage.roster_index import PersonInfo, UnitInfo
from ..workflow import Action, Status, TransitionRefused, awaits_acceptance, check
from . import routing, texts
from .actors import Actor, kinds_of
from .base import Context
from .notify import (Notices, excerpt, local_time, mention, mention_id, mention_reporters, origin_chat,
                     rating_buttons, reporter_chats, type_name, unit_name)


# Longest staff note repeated in a chat message (the event log keeps it whole); Telegram
# refuses messages over 4096 characters, and a chat is no place for essays.
NOTE_CHARS = 500
# Longest note stored on the ticket.
STORED_NOTE_CHARS = 2000


_ESCALATION_COLUMNS = ("status", "updated_at", "level_unit_id", "assignee_id", "escalation_count", "whistle",
                       "accept_due_at", "resolve_due_at", "next_due_at", "sla_stage", "sla_escalate_at")


class NoHigherLevel(Exception):
    """Escalation asked for at the top of the tree."""


@dataclass(frozen=True)
class Deadlines:
    accept_due: datetime
    resolve_due: datetime
    accept_hours: float
    resolve_days: float
    working_time: bool


def deadlines(ctx: Context, type_key: str, urgent: bool, *, whistle: str | None = None) -> Deadlines:
    """Deadlines from now for a ticket of this type. Urgent tickets count calendar time:
    a fire does not wait for Monday."""
    if urgent:
        hours, days = ctx.config.urgent.accept_hours, ctx.config.urgent.resolve_days
        return Deadlines(ctx.now + timedelta(hours=hours), ctx.now + timedelta(days=days), hours, days, False)
    if whistle is not None and whistle in ctx.config.whistle_types:
        spec = ctx.config.whistle_types[whistle]
        hours, days = spec.accept_hours, spec.resolve_days
    else:
        type_cfg = ctx.config.request_types.get(type_key)
        hours = type_cfg.accept_hours if type_cfg else 8.0
        days = type_cfg.resolve_days if type_cfg else 7.0
    calendar = ctx.services.calendar
    return Deadlines(calendar.add_hours(ctx.now, hours), calendar.add_days(ctx.now, days), hours, days,
                     ctx.config.sla.working_time)


def open_ticket(ctx: Context, *, type_key: str, urgent: bool, confidence: float, unit_id: str, channel: str,
                chat_id: str, reporter_id: str, reporter_name: str, text: str, message_id: str | None, actor: str,
                data: dict | None = None) -> tuple[Ticket, PersonInfo | None, Deadlines]:
    """A new ticket in a unit, routed to the person responsible for its type there, with its
    deadlines; the created and assigned events logged. Telling people is the caller's part."""
    type_cfg = ctx.config.request_types[type_key]
    due = deadlines(ctx, type_key, urgent)
    assignee = routing.find_assignee(ctx.session, ctx.roster, unit_id, type_key, type_cfg.handler_role)
    ticket = Ticket(
        type=type_key, status=Status.NEW, urgent=urgent, confidence=round(confidence, 4),
        unit_id=unit_id, level_unit_id=unit_id, channel=channel, chat_id=chat_id,
        source_message_id=message_id, reporter_id=reporter_id, reporter_name=reporter_name[:200],
        assignee_id=assignee.id if assignee else None, origin_assignee_id=assignee.id if assignee else None,
        text=text, created_at=ctx.now, updated_at=ctx.now, last_report_at=ctx.now,
        accept_due_at=due.accept_due, resolve_due_at=due.resolve_due,
    )
    set_deadlines(ticket, due)
    ticket_store.create_ticket(ctx.session, ticket, actor=actor, message_id=message_id, data={
        "confidence": ticket.confidence, "urgent": urgent, "message_id": message_id, **(data or {})})
    if assignee is not None:
        ticket_store.add_event(ctx.session, ticket, at=ctx.now, actor="system", kind=EventKind.ASSIGNED,
                               data={"person": assignee.id, "role": type_cfg.handler_role})
    return ticket, assignee, due


def set_deadlines(ticket: Ticket, due: Deadlines) -> None:
    ticket.accept_due_at = due.accept_due
    ticket.resolve_due_at = due.resolve_due
    _restart_clock(ticket)


def _restart_clock(ticket: Ticket) -> None:
    """The deadline that counts now, and supervision starting afresh for it."""
    if awaits_acceptance(ticket.status):
        ticket.next_due_at = ticket.accept_due_at
    elif ticket.status == Status.ACCEPTED:
        ticket.next_due_at = ticket.resolve_due_at
    else:
        ticket.next_due_at = None
    ticket.sla_stage = SlaStage.ON_TIME
    ticket.sla_escalate_at = None


def _move(ctx: Context, ticket: Ticket, action: Action, actor: Actor) -> Status:
    target = check(ticket.status, action, kinds_of(ctx, actor, ticket))
    ticket.status = target
    ticket.updated_at = ctx.now
    return target


def _confirm(ctx: Context, notices: Notices, text: str) -> None:
    """Tell the person who acted, unless their chat already gets a notice about it."""
    here = ctx.here
    if here is not None and not notices.has(*here):
        notices.to(*here).text(text)


def _reporters(ctx: Context, ticket: Ticket):  # noqa: ANN202
    return ticket_store.reporters_of(ctx.session, ticket.id)


# -- accept ------------------------------------------------------------------------------
def accept(ctx: Context, ticket: Ticket, actor: Actor, *, announce: bool = True) -> None:
    _move(ctx, ticket, Action.ACCEPT, actor)
    previous = ticket.assignee_id
    if actor.person is not None and actor.person.id != previous:
        ticket.assignee_id = actor.person.id  # whoever accepts takes it (抢单)
    on_time = ctx.now <= ticket.accept_due_at
    ticket.accepted_at = ctx.now
    _restart_clock(ticket)
    ticket_store.add_event(ctx.session, ticket, at=ctx.now, actor=actor.key, kind=EventKind.ACCEPTED, data={
        "level": ticket.level_unit_id, "on_time": on_time, "previous_assignee": previous})
    if not announce:
        return
    notices = Notices(ticket.id)
    for (channel, chat_id), reporters in reporter_chats(_reporters(ctx, ticket)):
        line = mention_reporters(notices.to(channel, chat_id), reporters)
        line.text(texts.ACCEPTED_FEEDBACK.format(type_name=type_name(ctx, ticket.type), number=ticket.id))
        _mention_actor(ctx, line, actor, channel)
        line.text(texts.ACCEPTED_FEEDBACK_TAIL.format(resolve_due=local_time(ctx, ticket.resolve_due_at)))
    _confirm(ctx, notices, texts.ACCEPTED_CONFIRM.format(
        number=ticket.id, resolve_due=local_time(ctx, ticket.resolve_due_at)))
    notices.flush(ctx)


def _mention_actor(ctx: Context, builder: MessageBuilder, actor: Actor, channel: str) -> MessageBuilder:
    if actor.person is not None:
        return mention(ctx, builder, actor.person, channel)
    return builder.text(actor.name)


# -- resolve -----------------------------------------------------------------------------
def resolve(ctx: Context, ticket: Ticket, actor: Actor, note: str) -> None:
    _move(ctx, ticket, Action.RESOLVE, actor)
    on_time = ctx.now <= ticket.resolve_due_at
    ticket.resolved_at = ctx.now
    ticket.result_note = note[:STORED_NOTE_CHARS]
    ticket.rating_due_at = ctx.now + timedelta(days=ctx.config.feedback.rating_days)
    followup_days = ctx.config.feedback.followup_days
    ticket.followup_due_at = ctx.now + timedelta(days=followup_days) if followup_days > 0 else None
    ticket.followup_done_at = None
    _restart_clock(ticket)
    ticket_store.add_event(ctx.session, ticket, at=ctx.now, actor=actor.key, kind=EventKind.RESOLVED, note=note,
                           data={"level": ticket.level_unit_id, "on_time": on_time})

    notices = Notices(ticket.id)
    for chat, reporters in reporter_chats(_reporters(ctx, ticket)):
        feedback = mention_reporters(notices.to(*chat), reporters)
        feedback.text(texts.RESOLVED_FEEDBACK.format(type_name=type_name(ctx, ticket.type), number=ticket.id,
                                                     note=excerpt(note, NOTE_CHARS),
                                                     days=_days(ctx.config.feedback.rating_days)))
        feedback.buttons(rating_buttons(ticket.id))
    channel, chat_id = origin_chat(ticket)
    resolver = actor.person.id if actor.person else None
    if ticket.origin_assignee_id and ticket.origin_assignee_id != resolver:
        # A higher level (or a colleague) solved it: the grid worker hears the result too.
        worker = notices.to(channel, chat_id)
        mention_id(ctx, worker, ticket.origin_assignee_id, channel)
        worker.text(texts.RESOLVED_TELL_WORKER.format(by=unit_name(ctx, ticket.level_unit_id)))
    for unit_id in _levels_passed(ctx, ticket):
        for chat in ctx.roster.chats_of(unit_id, ticket.channel):
            notices.to(chat.channel, chat.chat_id).text(texts.RESOLVED_TELL_LEVEL.format(
                number=ticket.id, origin=ctx.roster.path(ticket.unit_id), by=unit_name(ctx, ticket.level_unit_id),
                note=excerpt(note, NOTE_CHARS)))
    _confirm(ctx, notices, texts.RESOLVED_CONFIRM.format(number=ticket.id))
    notices.flush(ctx)


def _levels_passed(ctx: Context, ticket: Ticket) -> list[str]:
    """Units the ticket went through between its grid and the level that resolved it,
    so each hears the result (结果逐级反馈)."""
    passed: list[str] = []
    for event in ticket_store.events_of(ctx.session, ticket.id):
        if event.kind in (EventKind.ESCALATED, EventKind.WHISTLED):
            for unit_id in (event.data.get("from_unit"), event.data.get("to_unit")):
                if unit_id and unit_id not in passed and unit_id not in (ticket.unit_id, ticket.level_unit_id):
                    passed.append(unit_id)
    return passed


def _days(days: float) -> str:
    return f"{days:g}"


# -- escalate and whistle --------------------------------------------------------------------
@dataclass(frozen=True)
class Escalation:
    ticket: Ticket
    source: UnitInfo | None
    target: UnitInfo
    person: PersonInfo | None


def escalate(ctx: Context, ticket: Ticket, actor: Actor, reason: str, *, auto: bool = False,
             announce: bool = True) -> Escalation:
    """Up one level of the roster tree; the next level's responsible person must accept it."""
    target = routing.next_level(ctx.roster, ticket.level_unit_id)
    if target is None:
        # Check the table first so a refused actor hears "not allowed", not "no higher level".
        check(ticket.status, Action.ESCALATE, kinds_of(ctx, actor, ticket))
        raise NoHigherLevel(ticket.level_unit_id)
    return _raise_to(ctx, ticket, actor, Action.ESCALATE, target, reason, auto=auto, announce=announce)


def whistle(ctx: Context, ticket: Ticket, actor: Actor, department: UnitInfo, whistle_key: str,
            reason: str) -> Escalation:
    """吹哨: the town centre sends the ticket to a department, which must report (报到) and accept."""
    return _raise_to(ctx, ticket, actor, Action.WHISTLE, department, reason, whistle_key=whistle_key)


def _raise_to(ctx: Context, ticket: Ticket, actor: Actor, action: Action, target: UnitInfo, reason: str, *,
              auto: bool = False, announce: bool = True, whistle_key: str | None = None) -> Escalation:
    _move(ctx, ticket, action, actor)
    source = ctx.roster.units.get(ticket.level_unit_id)
    type_cfg = ctx.config.request_types.get(ticket.type)
    person = routing.responsible_at(
        ctx.session, ctx.roster, target.id, ticket.type, type_cfg.handler_role if type_cfg else "grid_worker",
        leader_roles=ctx.config.workflow.leader_roles, department_roles=ctx.config.workflow.department_roles)
    ticket.level_unit_id = target.id
    ticket.assignee_id = person.id if person else None
    ticket.escalation_count += 1
    ticket.whistle = whistle_key
    set_deadlines(ticket, deadlines(ctx, ticket.type, ticket.urgent, whistle=whistle_key))
    data = {"from_unit": source.id if source else None, "to_unit": target.id,
            "person": person.id if person else None, "auto": auto}
    if whistle_key:
        data["whistle"] = whistle_key
    ticket_store.add_event(ctx.session, ticket, at=ctx.now, actor=actor.key,
                           kind=EventKind.WHISTLED if whistle_key else EventKind.ESCALATED, note=reason, data=data)
    # The same columns for every escalated ticket, changed or not, so that the supervision job's
    # thousands of escalations flush as one batched UPDATE instead of one per column pattern.
    for column in _ESCALATION_COLUMNS:
        flag_modified(ticket, column)
    result = Escalation(ticket, source, target, person)
    if announce:
        notices = Notices(ticket.id)
        _, chats = routing.nearest_chats(ctx.roster, target.id, ticket.channel)
        for chat in chats:
            escalation_notice(ctx, notices.to(chat.channel, chat.chat_id), ticket, actor, reason, result)
        if not chats:
            notices.to(*origin_chat(ticket)).text(texts.ESCALATED_NO_CHAT.format(
                number=ticket.id, unit=target.name))
        for chat, reporters in ([] if auto else reporter_chats(_reporters(ctx, ticket))):
            if not notices.has(*chat) and chat != ctx.here:
                line = mention_reporters(notices.to(*chat), reporters)
                line.text(texts.ESCALATED_TELL_RESIDENT.format(number=ticket.id, unit=target.name))
        here = ctx.here
        if here is not None and not notices.has(*here):
            if person is not None:
                line = notices.to(*here).text(texts.ESCALATED_CONFIRM.format(number=ticket.id, unit=target.name))
                mention(ctx, line, person, here[0]).text(texts.ESCALATED_CONFIRM_TAIL)
            else:
                notices.to(*here).text(texts.ESCALATED_CONFIRM_NOBODY.format(number=ticket.id, unit=target.name))
        notices.flush(ctx)
    return result


def escalation_notice(ctx: Context, line: MessageBuilder, ticket: Ticket, actor: Actor, reason: str,
                      result: Escalation) -> None:
    """The message that hands a ticket to the next level (or a department)."""
    channel = ticket.channel
    if ticket.urgent:
        line.text(texts.URGENT_PREFIX)
    if ticket.whistle:
        spec = ctx.config.whistle_types[ticket.whistle]
        line.text(texts.WHISTLE_HEAD.format(whistle=spec.name))
    else:
        line.text(texts.ESCALATE_HEAD)
    line.text(texts.ESCALATE_BODY.format(
        number=ticket.id, type_name=type_name(ctx, ticket.type), origin=ctx.roster.path(ticket.unit_id),
        reporter=ticket.reporter_name, text=excerpt(ticket.text, 200), reason=excerpt(reason, NOTE_CHARS),
        actor=actor.name))
    if result.person is not None:
        line.text(texts.ESCALATE_ASK)
        mention(ctx, line, result.person, channel)
        line.text(texts.ESCALATE_ASK_TAIL.format(
            number=ticket.id, accept_due=local_time(ctx, ticket.accept_due_at),
            resolve_due=local_time(ctx, ticket.resolve_due_at)))
    else:
        line.text(texts.ESCALATE_NOBODY.format(unit=result.target.name, number=ticket.id))


# -- transfer ------------------------------------------------------------------------------
def transfer(ctx: Context, ticket: Ticket, actor: Actor, target: PersonInfo, note: str) -> None:
    _move(ctx, ticket, Action.TRANSFER, actor)
    previous = ticket.assignee_id
    ticket.assignee_id = target.id
    ticket.accept_due_at = deadlines(ctx, ticket.type, ticket.urgent).accept_due  # the new person's own time
    _restart_clock(ticket)
    ticket_store.add_event(ctx.session, ticket, at=ctx.now, actor=actor.key, kind=EventKind.TRANSFERRED,
                           note=note or None, data={"from": previous, "to": target.id})
    notices = Notices(ticket.id)
    _, chats = routing.nearest_chats(ctx.roster, target.unit_id, ticket.channel)
    for chat in chats:
        line = notices.to(chat.channel, chat.chat_id).text(texts.TRANSFERRED_NOTICE.format(
            number=ticket.id, type_name=type_name(ctx, ticket.type), actor=actor.name))
        mention(ctx, line, target, chat.channel)
        line.text(texts.TRANSFERRED_NOTICE_TAIL.format(
            note=f"：{excerpt(note, NOTE_CHARS)}" if note else "", text=excerpt(ticket.text), number=ticket.id,
            accept_due=local_time(ctx, ticket.accept_due_at)))
    here = ctx.here
    if here is not None and not notices.has(*here):
        mention(ctx, notices.to(*here).text(texts.TRANSFERRED_CONFIRM.format(number=ticket.id)), target, here[0])
    notices.flush(ctx)


# -- reopen, reject, close ----------------------------------------------------------------------
def reopen(ctx: Context, ticket: Ticket, actor: Actor, reason: str, *, by_rating: bool = False) -> None:
    _move(ctx, ticket, Action.REOPEN, actor)
    ticket.reopen_count += 1
    ticket.rating_due_at = None
    ticket.satisfaction = None
    ticket.followup_due_at = None
    ticket.closed_at = None
    for reporter in _reporters(ctx, ticket):
        reporter.rating, reporter.rated_at, reporter.rating_note = None, None, None
        ctx.session.add(reporter)
    if ticket.assignee_id is None or ticket.assignee_id not in ctx.roster.people:
        type_cfg = ctx.config.request_types.get(ticket.type)
        person = routing.find_assignee(ctx.session, ctx.roster, ticket.level_unit_id, ticket.type,
                                       type_cfg.handler_role if type_cfg else "grid_worker")
        ticket.assignee_id = person.id if person else None
    set_deadlines(ticket, deadlines(ctx, ticket.type, ticket.urgent, whistle=ticket.whistle))
    ticket_store.add_event(ctx.session, ticket, at=ctx.now, actor=actor.key, kind=EventKind.REOPENED,
                           note=reason or None, data={"by_rating": by_rating})
    notices = Notices(ticket.id)
    _, chats = routing.nearest_chats(ctx.roster, ticket.level_unit_id, ticket.channel)
    said = f"：{excerpt(reason, NOTE_CHARS)}" if reason else ""
    why = (texts.REOPEN_BY_RESIDENT.format(note=said) if by_rating
           else texts.REOPEN_BY_STAFF.format(actor=actor.name, note=said))
    for chat in chats:
        line = notices.to(chat.channel, chat.chat_id).text(texts.REOPENED_NOTICE.format(
            number=ticket.id, type_name=type_name(ctx, ticket.type), why=why, text=excerpt(ticket.text)))
        if ticket.assignee_id:
            line.text(texts.REOPENED_ASK)
            mention_id(ctx, line, ticket.assignee_id, chat.channel)
            line.text(texts.REOPENED_ASK_TAIL.format(number=ticket.id, accept_due=local_time(
                ctx, ticket.accept_due_at)))
    if by_rating:
        here = ctx.here or origin_chat(ticket)
        notices.to(*here).text(texts.REOPENED_TELL_RESIDENT.format(number=ticket.id))
    _confirm(ctx, notices, texts.REOPENED_CONFIRM.format(number=ticket.id))
    notices.flush(ctx)


def reject(ctx: Context, ticket: Ticket, actor: Actor, reason: str) -> None:
    _move(ctx, ticket, Action.REJECT, actor)
    ticket.closed_at = ctx.now
    ticket.result_note = reason[:STORED_NOTE_CHARS]
    _restart_clock(ticket)
    ticket_store.add_event(ctx.session, ticket, at=ctx.now, actor=actor.key, kind=EventKind.REJECTED, note=reason)
    if any(word in reason for word in ctx.config.classifier.not_request_words):
        # "不是诉求" / "闲聊": the classifier should not have opened it; a lesson for `gridbot train`.
        example_store.record(ctx.session, ticket_id=ticket.id, text=ticket.text, label=NONE_LABEL,
                             source=example_store.REJECTED, at=ctx.now)
    notices = Notices(ticket.id)
    for (channel, chat_id), reporters in reporter_chats(_reporters(ctx, ticket)):
        line = mention_reporters(notices.to(channel, chat_id), reporters)
        line.text(texts.REJECTED_FEEDBACK.format(number=ticket.id, reason=excerpt(reason, NOTE_CHARS)))
        _mention_actor(ctx, line, actor, channel).text("。")
    _confirm(ctx, notices, texts.REJECTED_CONFIRM.format(number=ticket.id))
    notices.flush(ctx)


def close(ctx: Context, ticket: Ticket, actor: Actor, satisfaction: Satisfaction) -> None:
    """Rated by every reporter, or no answer in time (未评价). Says nothing itself."""
    _move(ctx, ticket, Action.CLOSE, actor)
    ticket.closed_at = ctx.now
    ticket.satisfaction = satisfaction
    ticket.rating_due_at = None
    _restart_clock(ticket)
    ticket_store.add_event(ctx.session, ticket, at=ctx.now, actor=actor.key, kind=EventKind.CLOSED,
                           data={"satisfaction": str(satisfaction)})
    # Closed with its final type: a labelled example for `gridbot train`.
    example_store.record(ctx.session, ticket_id=ticket.id, text=ticket.text, label=ticket.type,
                         source=example_store.CLOSED, at=ctx.now)


__all__ = ["Deadlines", "Escalation", "NoHigherLevel", "TransitionRefused", "accept", "close", "deadlines",
           "escalate", "escalation_notice", "reject", "reopen", "resolve", "set_deadlines", "transfer", "whistle"]
