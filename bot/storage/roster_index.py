"""An in-memory index of the roster, rebuilt whenever the stored roster changes.

The roster changes only on import, but every message needs it (chat -> unit,
sender -> person, unit chain, people of a unit, platform accounts). The index
is a read-only copy tagged with the database's roster revision; each batch
checks the revision (one query) and reloads after an import by any process.
Tickets and deliveries are never cached.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Chat, Person, PersonAccount, RosterRevision, Unit


@dataclass(frozen=True)
class UnitInfo:
    id: str
    name: str
    level: str
    parent_id: str | None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class PersonInfo:
    id: str
    name: str
    unit_id: str
    roles: tuple[str, ...]
    handles: tuple[str, ...]

    def has_role(self, role: str) -> bool:
        return role in self.roles


@dataclass(frozen=True)
class ChatInfo:
    channel: str
    chat_id: str
    unit_id: str
    title: str | None


@dataclass(frozen=True)
class RosterIndex:
    revision: int
    units: dict[str, UnitInfo] = field(default_factory=dict)
    people: dict[str, PersonInfo] = field(default_factory=dict)
    chats: dict[tuple[str, str], ChatInfo] = field(default_factory=dict)
    chats_by_unit: dict[tuple[str, str], tuple[ChatInfo, ...]] = field(default_factory=dict)
    people_by_unit: dict[str, tuple[PersonInfo, ...]] = field(default_factory=dict)
    accounts: dict[tuple[str, str], str] = field(default_factory=dict)  # (person, channel) -> account
    account_owner: dict[tuple[str, str], str] = field(default_factory=dict)  # (channel, account) -> person

    def chat(self, channel: str, chat_id: str) -> ChatInfo | None:
        return self.chats.get((channel, chat_id))

    def chats_of(self, unit_id: str, channel: str) -> tuple[ChatInfo, ...]:
        return self.chats_by_unit.get((unit_id, channel), ())

    def person_by_account(self, channel: str, account_id: str) -> PersonInfo | None:
        person_id = self.account_owner.get((channel, account_id))
        return self.people.get(person_id) if person_id else None

    def account_of(self, person_id: str, channel: str) -> str | None:
        return self.accounts.get((person_id, channel))

    def people_of(self, unit_id: str) -> tuple[PersonInfo, ...]:
        return self.people_by_unit.get(unit_id, ())

    def chain(self, unit_id: str) -> list[UnitInfo]:
        """The unit and its ancestors, nearest first."""
        chain: list[UnitInfo] = []
        current = self.units.get(unit_id)
        while current is not None and current not in chain:
            chain.append(current)
            current = self.units.get(current.parent_id) if current.parent_id else None
        return chain

    @cached_property
    def _children(self) -> dict[str, tuple[str, ...]]:
        children: dict[str, list[str]] = {}
        for unit in self.units.values():
            if unit.parent_id:
                children.setdefault(unit.parent_id, []).append(unit.id)
        return {parent: tuple(sorted(ids)) for parent, ids in children.items()}

    def subtree(self, unit_id: str) -> list[str]:
        """The unit and every unit below it, top down."""
        out, seen, at = [unit_id], {unit_id}, 0
        while at < len(out):
            for child in self._children.get(out[at], ()):
                if child not in seen:
                    seen.add(child)
                    out.append(child)
            at += 1
        return out

    def path(self, unit_id: str) -> str:
        return " / ".join(u.name for u in reversed(self.chain(unit_id)))


def current_revision(session: Session) -> int:
    return session.execute(select(RosterRevision.revision).where(RosterRevision.id == 1)).scalar_one_or_none() or 0


def load_index(session: Session) -> RosterIndex:
    """Active units and people only; deactivated ones are gone from routing."""
    revision = current_revision(session)
    units = {u.id: UnitInfo(u.id, u.name, u.level, u.parent_id, tuple(u.tags or ()))
             for u in session.execute(select(Unit).where(Unit.active.is_(True))).scalars()}
    people = {p.id: PersonInfo(p.id, p.name, p.unit_id, tuple(p.roles or ()), tuple(p.handles or ()))
              for p in session.execute(select(Person).where(Person.active.is_(True)).order_by(Person.id)).scalars()
              if p.unit_id in units}
    chats: dict[tuple[str, str], ChatInfo] = {}
    by_unit: dict[tuple[str, str], list[ChatInfo]] = {}
    for c in session.execute(select(Chat).order_by(Chat.id)).scalars():
        if c.unit_id in units:
            info = ChatInfo(c.channel, c.chat_id, c.unit_id, c.title)
            chats[(c.channel, c.chat_id)] = info
            by_unit.setdefault((c.unit_id, c.channel), []).append(info)
    people_by_unit: dict[str, list[PersonInfo]] = {}
    for person in people.values():
        people_by_unit.setdefault(person.unit_id, []).append(person)
    accounts: dict[tuple[str, str], str] = {}
    owners: dict[tuple[str, str], str] = {}
    for a in session.execute(select(PersonAccount)).scalars():
        if a.person_id in people:
            accounts[(a.person_id, a.channel)] = a.account_id
            owners[(a.channel, a.account_id)] = a.person_id
    return RosterIndex(
        revision=revision, units=units, people=people, chats=chats,
        chats_by_unit={k: tuple(v) for k, v in by_unit.items()},
        people_by_unit={k: tuple(v) for k, v in people_by_unit.items()},
        accounts=accounts, account_owner=owners,
    )


class RosterCache:
    """Holds the newest index; ``get`` reloads it when the stored revision moved."""

    def __init__(self) -> None:
        self._index: RosterIndex | None = None
        self._lock = threading.Lock()

    def get(self, session: Session) -> RosterIndex:
        revision = current_revision(session)
        with self._lock:
            if self._index is None or self._index.revision != revision:
                self._index = load_index(session)
            return self._index
