"""Tickets, their reporters, follow-ups and the append-only event log."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, insert, select, update
from sqlalchemy.orm import Session

from ..workflow import Status
from .db import skip_locked
from .models import (OPEN_STATUSES, EventKind, FollowUp, Outbox, SlaStage, Ticket, TicketEvent,
                     TicketReporter)


_EVENT_BUFFER = "gridbot.event_buffer"


def add_event(session: Session, ticket: Ticket | int, *, at: datetime, actor: str, kind: str,
              note: str | None = None, data: dict[str, Any] | None = None) -> None:
    ticket_id = ticket if isinstance(ticket, int) else ticket.id
    values = {"ticket_id": ticket_id, "at": at, "actor": actor, "kind": str(kind), "note": note, "data": data or {}}
    buffer = session.info.get(_EVENT_BUFFER)
    if buffer is not None:
        buffer.append(values)
    else:
        session.add(TicketEvent(**values))


@contextmanager
def buffered_events(session: Session) -> Iterator[None]:
    """Within the block, events are collected and written in one executemany at the end:
    for jobs that log thousands of events (an ORM object each costs ~150 µs). Nothing in
    the block may read the events it wrote."""
    session.info[_EVENT_BUFFER] = buffer = []
    try:
        yield
    finally:
        del session.info[_EVENT_BUFFER]
    if buffer:
        session.execute(insert(TicketEvent), buffer)  # executemany (multi-row VALUES compiles slower)


def create_ticket(session: Session, ticket: Ticket, *, actor: str, data: dict[str, Any] | None = None,
                  message_id: str | None = None) -> Ticket:
    """Insert the ticket, its first reporter and its ``created`` event."""
    session.add(ticket)
    session.flush()  # assigns the ticket number
    session.add(TicketReporter(ticket_id=ticket.id, channel=ticket.channel, account_id=ticket.reporter_id,
                               name=ticket.reporter_name, chat_id=ticket.chat_id, message_id=message_id,
                               first=True, reported_at=ticket.created_at))
    add_event(session, ticket, at=ticket.created_at, actor=actor, kind=EventKind.CREATED, note=ticket.text,
              data=data)
    return ticket


def get_for_update(session: Session, ticket_id: int) -> Ticket | None:
    """The ticket, locked until the transaction ends (PostgreSQL row lock; SQLite
    serialises writers with BEGIN IMMEDIATE), so two commands on it never interleave."""
    return session.execute(
        select(Ticket).where(Ticket.id == ticket_id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def events_of(session: Session, ticket_id: int) -> list[TicketEvent]:
    return list(session.execute(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
    ).scalars())


# -- reporters -------------------------------------------------------------------------
def ratings_of(session: Session, ticket_ids: list[int]) -> dict[int, list[str]]:
    """The ratings given so far, per ticket (one query for a whole chunk)."""
    out: dict[int, list[str]] = {ticket_id: [] for ticket_id in ticket_ids}
    for ticket_id, rating in session.execute(select(TicketReporter.ticket_id, TicketReporter.rating).where(
            TicketReporter.ticket_id.in_(ticket_ids), TicketReporter.rating.is_not(None))):
        out[ticket_id].append(rating)
    return out


def reporters_of(session: Session, ticket_id: int) -> list[TicketReporter]:
    return list(session.execute(
        select(TicketReporter).where(TicketReporter.ticket_id == ticket_id).order_by(TicketReporter.id)
    ).scalars())


def reporter(session: Session, ticket_id: int, channel: str, account_id: str) -> TicketReporter | None:
    return session.execute(select(TicketReporter).where(
        TicketReporter.ticket_id == ticket_id, TicketReporter.channel == channel,
        TicketReporter.account_id == account_id)).scalar_one_or_none()


def add_reporter(session: Session, ticket: Ticket, *, channel: str, account_id: str, name: str, chat_id: str,
                 message_id: str | None, at: datetime) -> TicketReporter:
    row = TicketReporter(ticket_id=ticket.id, channel=channel, account_id=account_id, name=name[:200],
                         chat_id=chat_id, message_id=message_id, first=False, reported_at=at)
    session.add(row)
    ticket.reporter_count += 1
    return row


def tickets_of_reporter(session: Session, channel: str, account_id: str, limit: int = 10) -> list[Ticket]:
    """A resident's tickets, newest first (including those they were linked to)."""
    return list(session.execute(
        select(Ticket).join(TicketReporter, TicketReporter.ticket_id == Ticket.id)
        .where(TicketReporter.channel == channel, TicketReporter.account_id == account_id)
        .order_by(Ticket.id.desc()).limit(limit)
    ).scalars())


def awaiting_rating_of(session: Session, channel: str, chat_id: str | None, account_id: str) -> list[Ticket]:
    """Resolved tickets this resident reported and has not rated yet (in one chat, or anywhere)."""
    query = (select(Ticket).join(TicketReporter, TicketReporter.ticket_id == Ticket.id)
             .where(TicketReporter.channel == channel, TicketReporter.account_id == account_id,
                    TicketReporter.rating.is_(None), Ticket.status == Status.RESOLVED))
    if chat_id is not None:
        query = query.where(TicketReporter.chat_id == chat_id)  # where this resident reported it
    return list(session.execute(query.order_by(Ticket.resolved_at.desc())).scalars())


# -- lookups for intake ---------------------------------------------------------------------
def recent_open_tickets_of_reporter(session: Session, *, channel: str, chat_id: str, reporter_id: str,
                                    since: datetime, limit: int = 5) -> list[Ticket]:
    return list(session.execute(
        select(Ticket).where(
            Ticket.channel == channel,
            Ticket.chat_id == chat_id,
            Ticket.reporter_id == reporter_id,
            Ticket.status.in_(OPEN_STATUSES),
            Ticket.last_report_at >= since,
        ).order_by(Ticket.last_report_at.desc()).limit(limit)
    ).scalars())


def open_tickets_like(session: Session, *, unit_id: str, type_key: str, since: datetime,
                      limit: int = 50) -> list[Ticket]:
    """Open tickets of one type reported in one unit since a time: candidates for the same problem."""
    return list(session.execute(
        select(Ticket).where(
            Ticket.unit_id == unit_id, Ticket.type == type_key, Ticket.status.in_(OPEN_STATUSES),
            Ticket.last_report_at >= since,
        ).order_by(Ticket.id.desc()).limit(limit)
    ).scalars())


def open_ticket_counts(session: Session, person_ids: list[str]) -> dict[str, int]:
    """Open tickets per assignee, for spreading work between people with the same role."""
    if not person_ids:
        return {}
    rows = session.execute(
        select(Ticket.assignee_id, func.count()).where(
            Ticket.assignee_id.in_(person_ids), Ticket.status.in_(OPEN_STATUSES)
        ).group_by(Ticket.assignee_id)
    ).all()
    return {person_id: n for person_id, n in rows}


def ticket_of_bot_message(session: Session, channel: str, chat_id: str, platform_message_id: str) -> int | None:
    """The ticket a bot message was about, so a reply to it needs no ticket number."""
    return session.execute(
        select(Outbox.ticket_id).where(
            Outbox.channel == channel, Outbox.chat_id == chat_id,
            Outbox.platform_message_id == platform_message_id, Outbox.ticket_id.is_not(None),
        ).order_by(Outbox.id.desc()).limit(1)
    ).scalar_one_or_none()


# -- queues ------------------------------------------------------------------------------
def open_tickets_of(session: Session, person_id: str, limit: int) -> tuple[list[Ticket], int]:
    """A person's open tickets, oldest first, and how many there are in all."""
    where = and_(Ticket.assignee_id == person_id, Ticket.status.in_(OPEN_STATUSES))
    total = session.execute(select(func.count()).select_from(Ticket).where(where)).scalar_one()
    rows = list(session.execute(select(Ticket).where(where).order_by(Ticket.created_at, Ticket.id)
                                .limit(limit)).scalars())
    return rows, total


def followups_due_of(session: Session, person_id: str, until: datetime, limit: int) -> list[Ticket]:
    """Resolved tickets whose follow-up visit falls to this person and is due by ``until``.
    The grid worker who first had the ticket visits; failing that, the one who resolved it."""
    owner = func.coalesce(Ticket.origin_assignee_id, Ticket.assignee_id)
    return list(session.execute(
        select(Ticket).where(
            owner == person_id, Ticket.followup_due_at.is_not(None), Ticket.followup_done_at.is_(None),
            Ticket.followup_due_at <= until, Ticket.status.in_((Status.RESOLVED, Status.CLOSED)),
        ).order_by(Ticket.followup_due_at).limit(limit)
    ).scalars())


def add_followup(session: Session, ticket: Ticket, *, person_id: str, at: datetime, satisfaction: str,
                 note: str | None) -> FollowUp:
    row = FollowUp(ticket_id=ticket.id, person_id=person_id, visited_at=at, satisfaction=satisfaction, note=note)
    session.add(row)
    ticket.followup_done_at = at
    return row


def type_corrections(session: Session) -> list[tuple[str, str, str]]:
    """(text, classified type, corrected type) of every type correction: labelled examples."""
    rows = session.execute(
        select(Ticket.text, TicketEvent.data).join(TicketEvent, TicketEvent.ticket_id == Ticket.id)
        .where(TicketEvent.kind == EventKind.TYPE_CHANGED).order_by(TicketEvent.id)
    ).all()
    return [(text, data.get("from", ""), data.get("to", "")) for text, data in rows]


# -- supervision ---------------------------------------------------------------------------
# Columns supervision needs to remind about a ticket (read without ORM objects: thousands at a time).
REMIND_COLUMNS = (Ticket.id, Ticket.type, Ticket.text, Ticket.status, Ticket.urgent, Ticket.assignee_id,
                  Ticket.level_unit_id, Ticket.channel, Ticket.next_due_at)


def overdue_to_remind(session: Session, now: datetime, limit: int) -> list[Any]:
    """Open tickets past their current deadline that nobody has been reminded of yet, one
    unit after another (rows of ``REMIND_COLUMNS``)."""
    # Only open tickets have a next_due_at (lifecycle keeps it so); no status filter, which
    # would lure SQLite's planner away from the partial index ix_ticket_sla_remind.
    query = (select(*REMIND_COLUMNS).where(
        Ticket.sla_stage == SlaStage.ON_TIME, Ticket.next_due_at.is_not(None), Ticket.next_due_at < now)
        .order_by(Ticket.level_unit_id, Ticket.id).limit(limit))
    return list(session.execute(skip_locked(query, session)).all())


def mark_reminded(session: Session, escalate_at: dict[int, datetime | None]) -> None:
    """Set REMINDED and the escalation time, one statement per distinct time (a chunk has at
    most two: normal and urgent grace) instead of one per ticket."""
    by_time: dict[datetime | None, list[int]] = {}
    for ticket_id, at in escalate_at.items():
        by_time.setdefault(at, []).append(ticket_id)
    for at, ids in by_time.items():
        session.execute(update(Ticket).where(Ticket.id.in_(ids))
                        .values(sla_stage=SlaStage.REMINDED, sla_escalate_at=at)
                        .execution_options(synchronize_session=False))


def clear_deadline(session: Session, ticket_id: int) -> None:
    session.execute(update(Ticket).where(Ticket.id == ticket_id).values(
        sla_stage=SlaStage.ON_TIME, sla_escalate_at=None, next_due_at=None)
        .execution_options(synchronize_session=False))


def overdue_to_escalate(session: Session, now: datetime, limit: int) -> list[Ticket]:
    """Reminded tickets still overdue once the grace period has passed, one unit after another."""
    # Only open tickets are ever REMINDED (any transition resets the stage); see overdue_to_remind.
    query = (select(Ticket).where(Ticket.sla_stage == SlaStage.REMINDED, Ticket.sla_escalate_at < now)
             .order_by(Ticket.level_unit_id, Ticket.id).limit(limit))
    return list(session.execute(skip_locked(query, session)).scalars())


def rating_expired(session: Session, now: datetime, limit: int) -> list[Ticket]:
    query = (select(Ticket).where(Ticket.status == Status.RESOLVED, Ticket.rating_due_at < now)
             .order_by(Ticket.status, Ticket.rating_due_at).limit(limit))
    return list(session.execute(skip_locked(query, session)).scalars())


# -- follow-ups for the daily digest ----------------------------------------------------
def _followup_open():  # noqa: ANN202
    return (Ticket.followup_done_at.is_(None), Ticket.followup_due_at.is_not(None),
            Ticket.status.in_((Status.RESOLVED, Status.CLOSED)))


def followup_buckets(session: Session, *, until: datetime, today: datetime, leader_before: datetime) -> list[Any]:
    """(owner or "", unit, due, overdue, for_leader) of follow-ups due before ``until``."""
    from .households import Bucket

    owner = func.coalesce(Ticket.origin_assignee_id, Ticket.assignee_id, "")
    rows = session.execute(select(
        owner, Ticket.unit_id, func.count(),
        func.sum(case((Ticket.followup_due_at < today, 1), else_=0)),
        func.sum(case((Ticket.followup_due_at < leader_before, 1), else_=0)),
    ).where(*_followup_open(), Ticket.followup_due_at < until).group_by(owner, Ticket.unit_id))
    return [Bucket(o, u, int(n), int(late or 0), int(lead or 0)) for o, u, n, late, lead in rows]


def followup_items(session: Session, *, until: datetime, per_bucket: int) -> list[Any]:
    """The first ``per_bucket`` due follow-ups of every (owner, unit), soonest first, as light
    rows (id, type, text excerpt, followup_due_at, owner, unit_id)."""
    owner = func.coalesce(Ticket.origin_assignee_id, Ticket.assignee_id, "")
    ranked = select(
        Ticket.id, Ticket.type, func.substr(Ticket.text, 1, 80).label("text"), Ticket.followup_due_at,
        owner.label("owner"), Ticket.unit_id,
        func.row_number().over(partition_by=(owner, Ticket.unit_id),
                               order_by=(Ticket.followup_due_at, Ticket.id)).label("rank"),
    ).where(*_followup_open(), Ticket.followup_due_at < until).subquery()
    return list(session.execute(select(ranked).where(ranked.c.rank <= per_bucket)))
