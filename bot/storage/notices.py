"""Broadcast notices: their state, their outbox rows' outcome, residents' acknowledgements."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from .db import skip_locked
from .models import Notice, NoticeAck, NoticeStatus, Outbox, OutboxStatus


def due_scheduled(session: Session, now: datetime, limit: int) -> list[Notice]:
    """Scheduled notices whose time has come (those another replica holds are skipped)."""
    return list(session.execute(skip_locked(select(Notice).where(
        Notice.status == NoticeStatus.SCHEDULED, Notice.scheduled_at <= now).order_by(Notice.id).limit(limit),
        session)).scalars())


def finished_sending(session: Session, limit: int) -> list[Notice]:
    """Fanned-out notices with no row left pending."""
    pending = select(Outbox.id).where(Outbox.notice_id == Notice.id, Outbox.status == OutboxStatus.PENDING).exists()
    return list(session.execute(skip_locked(select(Notice).where(
        Notice.status == NoticeStatus.SENDING, ~pending).order_by(Notice.id).limit(limit), session)).scalars())


def latest_of(session: Session, person_id: str) -> Notice | None:
    return session.execute(select(Notice).where(Notice.sender_id == person_id)
                           .order_by(Notice.id.desc()).limit(1)).scalar_one_or_none()


def progress(session: Session, notice_id: int) -> dict[str, int]:
    """Rows sent, failed and pending, and acknowledgements."""
    sent, failed, pending = session.execute(select(
        func.coalesce(func.sum(case((Outbox.status == OutboxStatus.SENT, 1), else_=0)), 0),
        func.coalesce(func.sum(case((Outbox.status == OutboxStatus.FAILED, 1), else_=0)), 0),
        func.coalesce(func.sum(case((Outbox.status == OutboxStatus.PENDING, 1), else_=0)), 0),
    ).where(Outbox.notice_id == notice_id)).one()
    acks = session.execute(select(func.count()).select_from(NoticeAck).where(
        NoticeAck.notice_id == notice_id)).scalar_one()
    return {"sent": int(sent), "failed": int(failed), "pending": int(pending), "acks": int(acks)}


def failures(session: Session, notice_id: int, limit: int | None = None) -> list[tuple[str, str, str | None]]:
    """(channel, chat, error) of the rows that failed, in order."""
    query = select(Outbox.channel, Outbox.chat_id, Outbox.error).where(
        Outbox.notice_id == notice_id, Outbox.status == OutboxStatus.FAILED).order_by(Outbox.id)
    return [tuple(row) for row in session.execute(query.limit(limit) if limit else query)]


def acks_by_chat(session: Session, notice_id: int, limit: int) -> list[tuple[str, str, int]]:
    return [tuple(row) for row in session.execute(
        select(NoticeAck.channel, NoticeAck.chat_id, func.count()).where(NoticeAck.notice_id == notice_id)
        .group_by(NoticeAck.channel, NoticeAck.chat_id).order_by(func.count().desc()).limit(limit))]


def add_ack(session: Session, notice_id: int, *, channel: str, chat_id: str, account_id: str, at: datetime) -> None:
    """A resident's acknowledgement, once per resident."""
    exists = session.execute(select(NoticeAck.id).where(
        NoticeAck.notice_id == notice_id, NoticeAck.channel == channel,
        NoticeAck.account_id == account_id)).scalar_one_or_none()
    if exists is None:
        session.add(NoticeAck(notice_id=notice_id, channel=channel, chat_id=chat_id, account_id=account_id, at=at))
