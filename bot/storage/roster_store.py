"""Roster in the database: import a validated roster, look people and chats up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ..roster import Roster
from .models import Chat, Person, PersonAccount, RosterRevision, Unit
from .roster_index import load_index

# Every unit gets a built-in web chat group whose id is the unit id, and every
# person a web chat account equal to their person id, so the demo needs no setup.
WEBCHAT = "webchat"


@dataclass(frozen=True)
class ImportResult:
    units: int
    people: int
    chats: int
    deactivated_units: int
    deactivated_people: int


def import_roster(session: Session, roster: Roster) -> ImportResult:
    """Make the database match the roster. Absent units and people are
    deactivated, not deleted, because tickets refer to them."""
    unit_ids = {u.id for u in roster.units}
    person_ids = {p.id for p in roster.people}

    existing_units = {u.id: u for u in session.execute(select(Unit)).scalars()}
    # Insert parents before children (roster order is a pre-order walk).
    for entry in roster.units:
        unit = existing_units.get(entry.id) or Unit(id=entry.id, name=entry.name, level=entry.level)
        unit.name, unit.level, unit.parent_id, unit.active = entry.name, entry.level, entry.parent_id, True
        unit.tags = list(entry.tags)
        session.add(unit)
        session.flush()
    gone_units = [uid for uid in existing_units if uid not in unit_ids]
    if gone_units:
        session.execute(update(Unit).where(Unit.id.in_(gone_units)).values(active=False))

    session.execute(delete(Chat))
    chats = 0
    for entry in roster.units:
        chat_map = dict(entry.chats)
        chat_map.setdefault(WEBCHAT, [entry.id])
        for channel, ids in chat_map.items():
            for chat_id in ids:
                session.add(Chat(channel=channel, chat_id=chat_id, unit_id=entry.id, title=entry.name))
                chats += 1

    existing_people = {p.id: p for p in session.execute(select(Person)).scalars()}
    session.execute(delete(PersonAccount))
    session.flush()
    for entry in roster.people:
        person = existing_people.get(entry.id) or Person(id=entry.id, name=entry.name, unit_id=entry.unit)
        person.name, person.unit_id, person.active = entry.name, entry.unit, True
        person.roles, person.handles, person.phone = list(entry.roles), list(entry.handles), entry.phone
        session.add(person)
        accounts = dict(entry.accounts)
        accounts.setdefault(WEBCHAT, entry.id)
        for channel, account in accounts.items():
            session.add(PersonAccount(person_id=entry.id, channel=channel, account_id=account))
    gone_people = [pid for pid in existing_people if pid not in person_ids]
    if gone_people:
        session.execute(update(Person).where(Person.id.in_(gone_people)).values(active=False))
    revision = session.get(RosterRevision, 1) or RosterRevision(id=1)
    revision.revision += 1
    revision.imported_at = datetime.now(timezone.utc)
    session.add(revision)
    session.flush()
    return ImportResult(len(roster.units), len(roster.people), chats, len(gone_units), len(gone_people))


def directory(session: Session, channel: str) -> dict:
    """Groups and people on one channel, for pickers such as the web chat's."""
    index = load_index(session)
    groups = [
        {"chat_id": c.chat_id, "unit_id": c.unit_id, "name": c.title or index.units[c.unit_id].name,
         "level": index.units[c.unit_id].level, "path": index.path(c.unit_id)}
        for (ch, _chat_id), c in index.chats.items() if ch == channel
    ]
    people = [
        {"id": index.accounts[(p.id, channel)], "person_id": p.id, "name": p.name, "roles": list(p.roles),
         "unit_id": p.unit_id, "unit_name": index.units[p.unit_id].name}
        for p in index.people.values() if (p.id, channel) in index.accounts
    ]
    return {"groups": groups, "people": people}
