"""Outbox: messages waiting to be sent, drained by the channel senders."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session

from .models import Outbox, OutboxStatus

CLAIM_LEASE = timedelta(seconds=120)


def enqueue(session: Session, row: Outbox) -> Outbox:
    session.add(row)
    return row


def enqueue_many(session: Session, rows: list[dict]) -> None:
    """Insert many rows without building ORM objects (Core executemany)."""
    session.execute(insert(Outbox.__table__), rows)


def ref_of_bot_message(session: Session, channel: str, chat_id: str, platform_message_id: str) -> str | None:
    """What a bot message was about (``Outbox.ref``), so a reply to it can be understood."""
    return session.execute(select(Outbox.ref).where(
        Outbox.channel == channel, Outbox.chat_id == chat_id, Outbox.platform_message_id == platform_message_id,
        Outbox.ref.is_not(None)).order_by(Outbox.id.desc()).limit(1)).scalar_one_or_none()


def due_rows(session: Session, channel: str, now: datetime, limit: int = 500) -> list[tuple[int, str]]:
    """(id, chat_id) of pending rows whose time has come and that no live sender holds, best first."""
    return [(row_id, chat_id) for row_id, chat_id in session.execute(
        select(Outbox.id, Outbox.chat_id).where(
            Outbox.channel == channel,
            Outbox.status == OutboxStatus.PENDING,
            Outbox.next_attempt_at <= now,
            or_(Outbox.claimed_until.is_(None), Outbox.claimed_until < now),
        ).order_by(Outbox.priority, Outbox.id).limit(limit)
    )]


def next_due_at(session: Session, channel: str) -> datetime | None:
    return session.execute(
        select(Outbox.next_attempt_at).where(
            Outbox.channel == channel, Outbox.status == OutboxStatus.PENDING
        ).order_by(Outbox.next_attempt_at).limit(1)
    ).scalar_one_or_none()


def claim(session: Session, row_id: int, now: datetime, by: str | None = None) -> bool:
    """Take a row for sending; False when another sender got it first."""
    result = session.execute(
        update(Outbox).where(
            Outbox.id == row_id,
            Outbox.status == OutboxStatus.PENDING,
            or_(Outbox.claimed_until.is_(None), Outbox.claimed_until < now),
        ).values(claimed_until=now + CLAIM_LEASE, claimed_by=by, attempts=Outbox.attempts + 1)
    )
    return result.rowcount == 1


def sent_since(session: Session, channel: str, since: datetime) -> list[tuple[str, datetime]]:
    """(chat, sent_at) of this channel's sends since a time: what the platform still counts."""
    return [(chat, at) for chat, at in session.execute(
        select(Outbox.chat_id, Outbox.sent_at).where(
            Outbox.channel == channel, Outbox.status == OutboxStatus.SENT, Outbox.sent_at >= since,
        ).order_by(Outbox.sent_at))]


def release_claims(session: Session, channel: str, by: str) -> int:
    """A restarted sender takes back what it had claimed before it died: those sends may or
    may not have reached the platform (the one window for a duplicate), and are tried again now
    instead of after the lease."""
    return session.execute(update(Outbox).where(
        Outbox.channel == channel, Outbox.status == OutboxStatus.PENDING, Outbox.claimed_by == by,
        Outbox.claimed_until.is_not(None)).values(claimed_until=None)).rowcount


def claim_many(session: Session, row_ids: list[int], now: datetime, by: str | None = None) -> list[Outbox]:
    """Claim several rows in one transaction; returns the rows this sender got."""
    won = [row_id for row_id in row_ids if claim(session, row_id, now, by)]
    if not won:
        return []
    rows = {r.id: r for r in session.execute(select(Outbox).where(Outbox.id.in_(won))).scalars()}
    return [rows[row_id] for row_id in won]


def mark_sent(session: Session, row_id: int, now: datetime, platform_message_id: str | None) -> None:
    session.execute(update(Outbox).where(Outbox.id == row_id).values(
        status=OutboxStatus.SENT, sent_at=now, platform_message_id=platform_message_id,
        claimed_until=None, error=None,
    ))


def mark_retry(session: Session, row_id: int, at: datetime, error: str, *, count_attempt: bool = True) -> None:
    """Put a row back for a later try; a platform's "wait" (429) is not counted as a failed attempt."""
    values: dict = {"next_attempt_at": at, "claimed_until": None, "error": error[:2000]}
    if not count_attempt:
        values["attempts"] = Outbox.attempts - 1
    session.execute(update(Outbox).where(Outbox.id == row_id).values(**values))


def mark_failed(session: Session, row_id: int, now: datetime, error: str) -> None:
    session.execute(update(Outbox).where(Outbox.id == row_id).values(
        status=OutboxStatus.FAILED, claimed_until=None, error=error[:2000], sent_at=None,
    ))
