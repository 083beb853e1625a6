"""Labelled examples from chat and the installed classifier models (training data for
``gridbot train``; see bot/learning.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import ClassifierModel, LabelledExample

CORRECTION = "correction"
CLOSED = "closed"
REJECTED = "rejected"


def record(session: Session, *, ticket_id: int, text: str, label: str, source: str, at: datetime) -> None:
    """The ticket's message is an example of ``label``. One row per ticket (the caller holds the
    ticket's row lock): a later correction, closing or rejection updates it. Closing keeps a
    correction's source, so the record still says a person chose that type."""
    row = session.execute(select(LabelledExample).where(LabelledExample.ticket_id == ticket_id)).scalar_one_or_none()
    if row is None:
        session.add(LabelledExample(ticket_id=ticket_id, text=text, label=label, source=source, created_at=at,
                                    updated_at=at))
        return
    if source == CLOSED and row.source == CORRECTION and row.label == label:
        return
    row.text, row.label, row.source, row.updated_at = text, label, source, at


def examples(session: Session) -> list[tuple[str, str, str]]:
    """(text, label, source) of every example, oldest first."""
    rows = session.execute(select(LabelledExample.text, LabelledExample.label, LabelledExample.source)
                           .order_by(LabelledExample.id)).all()
    return [tuple(r) for r in rows]


def counts_by_source(session: Session) -> dict[str, int]:
    rows = session.execute(select(LabelledExample.source, func.count()).group_by(LabelledExample.source)).all()
    return {source: n for source, n in rows}


def install_model(session: Session, data: bytes, summary: dict, at: datetime) -> int:
    row = ClassifierModel(created_at=at, data=data, summary=summary)
    session.add(row)
    session.flush()
    return row.id


def newest_model(session: Session, *, unless: int | None = None) -> tuple[int, bytes] | None:
    """(id, model file) of the newest installed model; None when there is none, or when it is
    ``unless`` (the one already in use: its bytes are not read again)."""
    model_id = session.execute(select(func.max(ClassifierModel.id))).scalar_one_or_none()
    if model_id is None or model_id == unless:
        return None
    return model_id, session.execute(select(ClassifierModel.data).where(ClassifierModel.id == model_id)).scalar_one()
