"""Who handles a ticket: the routing table from request type to a person in the roster.

Rule: 1. people with the type's ``handler_role``, nearest unit first, walking
up the hierarchy (those whose ``handles`` list the type go first, then the one
with the fewest open tickets, then by id); 2. otherwise a ``grid_worker``,
nearest first; 3. otherwise a ``grid_leader``.
The leader of a ticket's grid is the nearest ``grid_leader`` up the tree.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..storage import tickets as ticket_store
from ..storage.roster_index import PersonInfo, RosterIndex

FALLBACK_ROLES = ("grid_worker", "grid_leader")


def _pick(session: Session, candidates: list[PersonInfo], type_key: str) -> PersonInfo:
    preferred = [p for p in candidates if type_key in p.handles]
    pool = preferred or candidates
    if len(pool) == 1:
        return pool[0]
    load = ticket_store.open_ticket_counts(session, [p.id for p in pool])
    return min(pool, key=lambda p: (load.get(p.id, 0), p.id))


def find_assignee(session: Session, roster: RosterIndex, unit_id: str, type_key: str,
                  handler_role: str) -> PersonInfo | None:
    # The type's own role anywhere up the tree first (a village mediator beats a grid worker),
    # then the fallbacks, each nearest unit first.
    roles = (handler_role, *[r for r in FALLBACK_ROLES if r != handler_role])
    chain = roster.chain(unit_id)
    for role in roles:
        for unit in chain:
            candidates = [p for p in roster.people_of(unit.id) if p.has_role(role)]
            if candidates:
                return _pick(session, candidates, type_key)
    return None


def find_leader(roster: RosterIndex, unit_id: str, *, exclude: str | None = None) -> PersonInfo | None:
    for unit in roster.chain(unit_id):
        for person in roster.people_of(unit.id):
            if person.has_role("grid_leader") and person.id != exclude:
                return person
    return None
