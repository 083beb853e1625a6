"""Tickets and their append-only event log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import OPEN_STATUSES, Ticket, TicketEvent


def add_event(session: Session, ticket: Ticket, *, at: datetime, actor: str, kind: str,
              note: str | None = None, data: dict[str, Any] | None = None) -> TicketEvent:
    event = TicketEvent(ticket_id=ticket.id, at=at, actor=actor, kind=kind, note=note, data=data or {})
    session.add(event)
    return event


def create_ticket(session: Session, ticket: Ticket, *, actor: str, data: dict[str, Any] | None = None) -> Ticket:
    session.add(ticket)
    session.flush()  # assigns the ticket number
    add_event(session, ticket, at=ticket.created_at, actor=actor, kind="created", note=ticket.text, data=data)
    return ticket


def events_of(session: Session, ticket_id: int) -> list[TicketEvent]:
    return list(session.execute(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
    ).scalars())


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
