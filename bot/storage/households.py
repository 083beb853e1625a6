"""The household register (一户一档) and its visits (走访记录)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from datetime import datetime

from sqlalchemy import bindparam, case, func, or_, select, update
from sqlalchemy.orm import Session

from .. import cadence
from ..config import CadenceConfig
from .models import Household, HouseholdVisit, VisitKind

RolesOf = Callable[[str | None], Sequence[str]]


@dataclass(frozen=True)
class HouseholdRecord:
    """One row of an import file, checked."""

    id: str
    name: str
    unit_id: str
    address: str | None = None
    tags: tuple[str, ...] = ()
    linked_person_id: str | None = None
    phone: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    deactivated: int


def _apply_dues(row: Household, cadences: Sequence[CadenceConfig], roles_of: RolesOf, version: str) -> None:
    due = cadence.dues(cadence.intervals(row.tags, roles_of(row.linked_person_id), cadences),
                       registered_at=row.registered_at, last_visit_at=row.last_visit_at,
                       last_contact_at=row.last_contact_at)
    row.visit_due_at, row.contact_due_at, row.next_due_at = due.visit_due_at, due.contact_due_at, due.next_due_at
    row.cadence_version = version


def import_households(session: Session, records: Sequence[HouseholdRecord], *, now: datetime,
                      cadences: Sequence[CadenceConfig], roles_of: RolesOf, version: str,
                      deactivate_missing: bool = False) -> ImportResult:
    """Add or update households by id; their visit history stays. With ``deactivate_missing``,
    active households not in the file are deactivated (never deleted: visits refer to them)."""
    created = updated = 0
    ids = [r.id for r in records]
    existing: dict[str, Household] = {}
    for start in range(0, len(ids), 500):
        existing.update({h.id: h for h in session.execute(
            select(Household).where(Household.id.in_(ids[start:start + 500]))).scalars()})
    for record in records:
        row = existing.get(record.id)
        if row is None:
            row = Household(id=record.id, registered_at=now)
            created += 1
        else:
            updated += 1
        row.name, row.unit_id, row.address = record.name, record.unit_id, record.address
        row.tags, row.linked_person_id = list(record.tags), record.linked_person_id
        row.phone, row.note, row.active = record.phone, record.note, True
        _apply_dues(row, cadences, roles_of, version)
        session.add(row)
    deactivated = 0
    if deactivate_missing:
        keep = set(ids)
        stale = [h for h in session.execute(select(Household.id).where(Household.active)).scalars() if h not in keep]
        for start in range(0, len(stale), 500):
            deactivated += session.execute(update(Household).where(Household.id.in_(stale[start:start + 500]))
                                           .values(active=False)).rowcount
    return ImportResult(created, updated, deactivated)


def refresh_stale(session: Session, *, version: str, cadences: Sequence[CadenceConfig], roles_of: RolesOf,
                  batch: int = 2000) -> int:
    """Recompute the due dates of every household computed under other rules, in id order."""
    table = Household.__table__
    change = update(table).where(table.c.id == bindparam("hid")).values(
        visit_due_at=bindparam("visit"), contact_due_at=bindparam("contact"), next_due_at=bindparam("next"),
        cadence_version=version)
    done, after = 0, ""
    while True:
        rows = session.execute(select(
            Household.id, Household.tags, Household.linked_person_id, Household.registered_at,
            Household.last_visit_at, Household.last_contact_at,
        ).where(Household.cadence_version != version, Household.id > after)
            .order_by(Household.id).limit(batch)).all()
        if not rows:
            return done
        changes = []
        for row in rows:
            due = cadence.dues(cadence.intervals(row.tags or (), roles_of(row.linked_person_id), cadences),
                               registered_at=row.registered_at, last_visit_at=row.last_visit_at,
                               last_contact_at=row.last_contact_at)
            changes.append({"hid": row.id, "visit": due.visit_due_at, "contact": due.contact_due_at,
                            "next": due.next_due_at})
        session.execute(change, changes)  # executemany
        done += len(rows)
        after = rows[-1].id


def find(session: Session, key: str, *, unit_ids: Iterable[str], person_id: str) -> list[Household]:
    """Households a person may record a visit for, by id (exact, any case) or by the head's
    name (with or without 户): in their units or linked to them."""
    units = list(unit_ids)
    scope = or_(Household.unit_id.in_(units), Household.linked_person_id == person_id)
    by_id = session.execute(select(Household).where(func.lower(Household.id) == key.lower(), Household.active)
                            .with_for_update()).scalars().all()
    if by_id:
        return list(by_id)
    names = {key, key.removesuffix("户"), key.removesuffix("户") + "户"}
    return list(session.execute(select(Household).where(Household.name.in_(names), Household.active, scope)
                                .order_by(Household.id).limit(10).with_for_update()).scalars())


def record_visit(session: Session, household: Household, *, person_id: str, kind: VisitKind, at: datetime,
                 note: str | None, cadences: Sequence[CadenceConfig], roles_of: RolesOf,
                 version: str) -> HouseholdVisit:
    visit = HouseholdVisit(household_id=household.id, person_id=person_id, kind=kind, visited_at=at, note=note)
    session.add(visit)
    if kind == VisitKind.VISIT:
        household.last_visit_at = max(filter(None, (household.last_visit_at, at)))
    household.last_contact_at = max(filter(None, (household.last_contact_at, at)))
    _apply_dues(household, cadences, roles_of, version)
    session.add(household)
    return visit


def due_of(session: Session, person_id: str, unit_ids: Iterable[str], until: datetime,
           limit: int) -> tuple[list[Household], int]:
    """Households linked to a person (or unlinked in their units) due by ``until``, soonest first."""
    where = (Household.active, Household.next_due_at < until,
             or_(Household.linked_person_id == person_id,
                 Household.linked_person_id.is_(None) & Household.unit_id.in_(list(unit_ids))))
    total = session.execute(select(func.count()).select_from(Household).where(*where)).scalar_one()
    rows = list(session.execute(select(Household).where(*where).order_by(Household.next_due_at, Household.id)
                                .limit(limit)).scalars())
    return rows, total


# -- the daily digest ------------------------------------------------------------------
@dataclass(frozen=True)
class Bucket:
    """Due items of one owner (person id, "" when none) in one unit."""

    owner: str
    unit_id: str
    due: int
    overdue: int  # due before today
    for_leader: int  # overdue long enough to tell the leader


def due_buckets(session: Session, *, until: datetime, today: datetime, leader_before: datetime) -> list[Bucket]:
    owner = func.coalesce(Household.linked_person_id, "")
    rows = session.execute(select(
        owner, Household.unit_id, func.count(),
        func.sum(case((Household.next_due_at < today, 1), else_=0)),
        func.sum(case((Household.next_due_at < leader_before, 1), else_=0)),
    ).where(Household.active, Household.next_due_at < until).group_by(owner, Household.unit_id))
    return [Bucket(o, u, int(n), int(late or 0), int(lead or 0)) for o, u, n, late, lead in rows]


def due_items(session: Session, *, until: datetime, per_bucket: int) -> list[Any]:
    """The first ``per_bucket`` due households of every (owner, unit), soonest first, as light
    rows (id, name, owner, unit_id, visit_due_at, next_due_at): bounded by the number of
    buckets, not of households."""
    owner = func.coalesce(Household.linked_person_id, "")
    ranked = select(
        Household.id, Household.name, owner.label("owner"), Household.unit_id, Household.visit_due_at,
        Household.next_due_at,
        func.row_number().over(partition_by=(owner, Household.unit_id),
                               order_by=(Household.next_due_at, Household.id)).label("rank"),
    ).where(Household.active, Household.next_due_at < until).subquery()
    return list(session.execute(select(ranked).where(ranked.c.rank <= per_bucket)))
