"""Inbound updates: stored once, processed once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .models import InboundUpdate


def store_inbound(session: Session, *, channel: str, update_key: str, payload: dict[str, Any],
                  received_at: datetime) -> int | None:
    """Insert an update; returns its id, or None when it was already stored (a repeat delivery)."""
    row = InboundUpdate(channel=channel, update_key=update_key, payload=payload, received_at=received_at)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row.id


def store_inbound_many(session: Session, channel: str, items: list[tuple[str, dict[str, Any] | None]],
                       received_at: datetime) -> list[bool]:
    """Store a batch; ``None`` payloads (nothing to handle) are stored already processed.
    Returns, per item, whether it was new."""
    out = []
    for key, payload in items:
        row_id = store_inbound(session, channel=channel, update_key=key, payload=payload or {},
                               received_at=received_at)
        if row_id is not None and payload is None:
            mark_inbound_done(session, row_id, received_at)
        out.append(row_id is not None)
    return out


def pending_inbound_ids(session: Session, limit: int = 100) -> list[int]:
    return list(session.execute(
        select(InboundUpdate.id).where(InboundUpdate.processed_at.is_(None))
        .order_by(InboundUpdate.id).limit(limit)
    ).scalars())


def claim_inbound_many(session: Session, ids: list[int], now: datetime) -> list[InboundUpdate]:
    """Mark a batch processed inside the caller's transaction; returns the rows this process won,
    in id order. On PostgreSQL a second replica waits on the row locks, then gets none."""
    won = set(session.execute(
        update(InboundUpdate).where(InboundUpdate.id.in_(ids), InboundUpdate.processed_at.is_(None))
        .values(processed_at=now).returning(InboundUpdate.id)
    ).scalars())
    if not won:
        return []
    return list(session.execute(
        select(InboundUpdate).where(InboundUpdate.id.in_(won)).order_by(InboundUpdate.id)).scalars())


def mark_inbound_done(session: Session, inbound_id: int, now: datetime) -> None:
    """An update with nothing to handle: remember it was seen, process nothing."""
    session.execute(
        update(InboundUpdate).where(InboundUpdate.id == inbound_id, InboundUpdate.processed_at.is_(None))
        .values(processed_at=now)
    )
