"""Sent-reminder keys: each scheduled reminder is claimed once per (job, target, period).

A job claims its keys in the transaction that queues the messages. On PostgreSQL a
second replica inserting the same key waits for the first transaction and then finds
the key taken (``ON CONFLICT DO NOTHING``); if the first rolls back, the second gets
it. So a reminder is sent exactly once however many schedulers run, crash or re-run.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from .models import ReminderSent


def _insert(session: Session):  # noqa: ANN202
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(ReminderSent)


_PG_CLAIM = text(
    "INSERT INTO reminder_sent (job, target, period, sent_at, items) "
    "SELECT :job, u.target, :period, :now, u.items "
    "FROM unnest(CAST(:targets AS text[]), CAST(:items AS integer[])) AS u(target, items) "
    "ON CONFLICT (job, target, period) DO NOTHING RETURNING target")


def claim(session: Session, job: str, period: str, targets: dict[str, int], now: datetime) -> set[str]:
    """Record these reminders as sent (target -> number of items listed); returns the targets
    this transaction got. The others were sent already, or are being sent by another process."""
    if not targets:
        return set()
    if session.get_bind().dialect.name == "postgresql":
        # One statement with two array parameters: far cheaper than thousands of VALUES rows.
        ordered = sorted(targets.items())
        return set(session.execute(_PG_CLAIM, {
            "job": job, "period": period, "now": now.astimezone(timezone.utc).replace(tzinfo=None),
            "targets": [t for t, _ in ordered], "items": [n for _, n in ordered]}).scalars())
    rows = [{"job": job, "target": target, "period": period, "sent_at": now, "items": items}
            for target, items in sorted(targets.items())]
    # executemany ("insertmanyvalues" batches): one cached statement, whatever the row count.
    statement = _insert(session).on_conflict_do_nothing(
        index_elements=["job", "target", "period"]).returning(ReminderSent.target)
    return set(session.execute(statement, rows).scalars())


def sent_targets(session: Session, job: str, period: str, among: Iterable[str] | None = None) -> set[str]:
    query = select(ReminderSent.target).where(ReminderSent.job == job, ReminderSent.period == period)
    if among is not None:
        query = query.where(ReminderSent.target.in_(list(among)))
    return set(session.execute(query).scalars())


def last_sent(session: Session) -> dict[str, tuple[datetime, int]]:
    """Per job: when it last sent something and how many reminders in its last period."""
    latest = {job: at for job, at in session.execute(
        select(ReminderSent.job, func.max(ReminderSent.sent_at)).group_by(ReminderSent.job))}
    return {job: (at, session.execute(select(func.count()).select_from(ReminderSent).where(
        ReminderSent.job == job, ReminderSent.period == select(ReminderSent.period).where(
            ReminderSent.job == job, ReminderSent.sent_at == at).limit(1).scalar_subquery())).scalar_one())
        for job, at in latest.items()}
