"""Who handles a ticket: the routing table from request type to a person in the roster.

Rule: 1. people with the type's ``handler_role``, nearest unit first, walking
up the hierarchy (those whose ``handles`` list the type go first, then the one
with the fewest open tickets, then by id); 2. otherwise a ``grid_worker``,
nearest first; 3. otherwise a ``grid_leader``.
The leader of a ticket's grid is the nearest ``grid_leader`` up the tree.

Escalation (上报) moves a ticket to the unit above; there it goes to
``responsible_at`` that unit. The town centre's whistle (吹哨) sends it to a
department below the town.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..storage import tickets as ticket_store
from ..storage.roster_index import ChatInfo, PersonInfo, RosterIndex, UnitInfo

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


def responsible_at(session: Session, roster: RosterIndex, unit_id: str, type_key: str, handler_role: str,
                   *, leader_roles: tuple[str, ...] | list[str],
                   department_roles: tuple[str, ...] | list[str]) -> PersonInfo | None:
    """Who answers for a ticket that arrives at a unit (escalation, whistle): someone of the
    unit itself with the type's role, else its leader, else its department contact, else
    anyone there. Nobody from other units: the level is the point of escalating."""
    people = roster.people_of(unit_id)
    for roles in ((handler_role,), tuple(leader_roles), tuple(department_roles)):
        candidates = [p for p in people if any(p.has_role(r) for r in roles)]
        if candidates:
            return _pick(session, candidates, type_key)
    return people[0] if people else None


def next_level(roster: RosterIndex, unit_id: str) -> UnitInfo | None:
    """The unit above, where an escalated ticket goes (grid -> village -> town -> ...)."""
    chain = roster.chain(unit_id)
    return chain[1] if len(chain) > 1 else None


def departments_under(roster: RosterIndex, unit_id: str) -> list[UnitInfo]:
    """Department units anywhere below a unit (the town's 线办、所、队 and 部门)."""
    return [u for u in roster.units.values()
            if u.level == "department" and u.id != unit_id
            and any(a.id == unit_id for a in roster.chain(u.id)[1:])]


def nearest_chats(roster: RosterIndex, unit_id: str, channel: str) -> tuple[UnitInfo | None, tuple[ChatInfo, ...]]:
    """The unit's own chats on a channel, or those of the nearest unit above that has any
    (a department without a group of its own is reached in the town centre's group)."""
    for unit in roster.chain(unit_id):
        chats = roster.chats_of(unit.id, channel)
        if chats:
            return unit, chats
    return None, ()
