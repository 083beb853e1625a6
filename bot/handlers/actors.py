"""Who is acting on a ticket, and what they are to it (``workflow.ActorKind``).

Kinds come from the roster tree: the *handling* chain is the unit now handling
the ticket and every unit above it; the *origin* chain is the unit it was
reported in and every unit above. The residents who reported it are
``REPORTER``; scheduled jobs are ``SYSTEM``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..storage import tickets as ticket_store
from ..storage.models import Ticket
from ..storage.roster_index import PersonInfo
from ..workflow import ActorKind
from .base import Context, HandlerContext

TOP_LEVELS = ("town", "city")


@dataclass(frozen=True)
class Actor:
    kind: Literal["person", "resident", "system"]
    name: str
    person: PersonInfo | None = None
    channel: str | None = None
    account_id: str | None = None

    @property
    def key(self) -> str:
        """How the event log names the actor."""
        if self.person is not None:
            return f"person:{self.person.id}"
        if self.kind == "resident":
            return f"resident:{self.channel}:{self.account_id}"
        return "system"


SYSTEM = Actor(kind="system", name="系统")


def actor_of(ctx: HandlerContext) -> Actor:
    msg = ctx.message
    if ctx.sender is not None:
        return Actor(kind="person", name=ctx.sender.name, person=ctx.sender, channel=msg.channel,
                     account_id=msg.sender_id)
    return Actor(kind="resident", name=msg.sender_name, channel=msg.channel, account_id=msg.sender_id)


def is_leader(ctx: Context, person: PersonInfo) -> bool:
    return any(person.has_role(r) for r in ctx.config.workflow.leader_roles)


def kinds_of(ctx: Context, actor: Actor, ticket: Ticket) -> set[ActorKind]:
    if actor.kind == "system":
        return {ActorKind.SYSTEM}
    kinds: set[ActorKind] = set()
    if actor.channel and actor.account_id and ticket_store.reporter(ctx.session, ticket.id, actor.channel,
                                                                    actor.account_id):
        kinds.add(ActorKind.REPORTER)
    person = actor.person
    if person is None:
        return kinds
    if ticket.assignee_id == person.id:
        kinds.add(ActorKind.ASSIGNEE)
    handling = {u.id for u in ctx.roster.chain(ticket.level_unit_id)}
    origin = ctx.roster.chain(ticket.unit_id)
    if person.unit_id in handling:
        kinds.add(ActorKind.HANDLING_STAFF)
        if is_leader(ctx, person):
            kinds.add(ActorKind.HANDLING_LEADER)
    if any(u.id == person.unit_id for u in origin):
        kinds.add(ActorKind.ORIGIN_STAFF)
        unit = ctx.roster.units.get(person.unit_id)
        if unit is not None and unit.level in TOP_LEVELS and any(
                person.has_role(r) for r in ctx.config.workflow.whistle_roles):
            kinds.add(ActorKind.TOWN_CENTRE)
    return kinds
