"""Household visit cadences (联户走访): how often each household must be visited or contacted.

Each rule in ``visits.cadences`` applies to households with any of its tags (no tags:
every household) whose linked person has one of its roles (no roles: anyone). Per kind
the strictest matching rule counts. An in-person visit also counts as a contact. A
household never visited counts from the day it was registered.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .config import CadenceConfig


@dataclass(frozen=True)
class Intervals:
    visit_days: float | None
    contact_days: float | None


def intervals(tags: Sequence[str], linked_roles: Sequence[str], cadences: Sequence[CadenceConfig]) -> Intervals:
    best: dict[str, float] = {}
    tag_set, role_set = set(tags), set(linked_roles)
    for rule in cadences:
        if rule.tags and not tag_set.intersection(rule.tags):
            continue
        if rule.linked_roles and not role_set.intersection(rule.linked_roles):
            continue
        best[rule.kind] = min(best.get(rule.kind, rule.every_days), rule.every_days)
    visit = best.get("visit")
    contact = best.get("contact")
    if contact is not None and visit is not None and visit <= contact:
        contact = None  # visiting that often already keeps in contact
    return Intervals(visit, contact)


@dataclass(frozen=True)
class Dues:
    visit_due_at: datetime | None
    contact_due_at: datetime | None

    @property
    def next_due_at(self) -> datetime | None:
        dues = [d for d in (self.visit_due_at, self.contact_due_at) if d is not None]
        return min(dues) if dues else None


def dues(every: Intervals, *, registered_at: datetime, last_visit_at: datetime | None,
         last_contact_at: datetime | None) -> Dues:
    visit_base = last_visit_at or registered_at
    contact_base = max([d for d in (last_visit_at, last_contact_at) if d is not None], default=registered_at)
    return Dues(
        visit_due_at=visit_base + timedelta(days=every.visit_days) if every.visit_days else None,
        contact_due_at=contact_base + timedelta(days=every.contact_days) if every.contact_days else None,
    )


def version(cadences: Sequence[CadenceConfig], people_roles: Mapping[str, Sequence[str]]) -> str:
    """Fingerprint of what the stored due dates were computed from: the rules and, when rules
    look at the linked person's roles, who holds those roles."""
    data = [rule.model_dump() for rule in cadences]
    watched = {role for rule in cadences for role in rule.linked_roles}
    holders = sorted((person, sorted(watched.intersection(roles))) for person, roles in people_roles.items()
                     if watched.intersection(roles))
    raw = json.dumps([data, holders], sort_keys=True, ensure_ascii=False)
    return hashlib.sha1(raw.encode()).hexdigest()[:16]
