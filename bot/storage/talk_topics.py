"""Talk day topics (说事主题), per holding unit and month."""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from .models import TalkTopic, TopicStatus


def add(session: Session, topic: TalkTopic) -> TalkTopic:
    session.add(topic)
    session.flush()  # assigns the topic number residents see
    return topic


def of_day(session: Session, unit_id: str, month: str, limit: int) -> tuple[list[TalkTopic], int, int, int]:
    """Topics of a unit's talk day, urgent worries first, then in the order they came;
    with the total, the urgent and the still-open counts."""
    where = (TalkTopic.unit_id == unit_id, TalkTopic.month == month)
    total, urgent, still_open = session.execute(select(
        func.count(), func.coalesce(func.sum(case((TalkTopic.urgent, 1), else_=0)), 0),
        func.coalesce(func.sum(case((TalkTopic.status == TopicStatus.OPEN, 1), else_=0)), 0),
    ).where(*where)).one()
    rows = list(session.execute(select(TalkTopic).where(*where).order_by(
        TalkTopic.urgent.desc(), TalkTopic.created_at, TalkTopic.id).limit(limit)).scalars())
    return rows, int(total), int(urgent), int(still_open)


def get_for_update(session: Session, topic_id: int) -> TalkTopic | None:
    return session.execute(select(TalkTopic).where(TalkTopic.id == topic_id).with_for_update()).scalar_one_or_none()
