"""The ticket workflow (发现—上报—处置—反馈) as one explicit table.

``TRANSITIONS`` lists every move a ticket may make: (status, action) -> new
status. Anything not in it is refused. ``WHO_MAY`` says which kinds of actor may
take each action; the handlers work out the kinds an actor has for a ticket
from the roster (``ActorKind``). Both tables are pure data, tested
exhaustively in tests/test_workflow.py.

Lifecycle::

    new ─accept─▶ accepted ─resolve─▶ resolved ─close (rated / no answer)─▶ closed
     │              │                    │
     │              │                    └─reopen (不满意)─▶ reopened ─accept─▶ accepted …
     ├─escalate / whistle─▶ escalated ─accept (next level)─▶ accepted …
     ├─transfer─▶ transferred ─accept─▶ accepted …
     └─reject (leader, with a reason)─▶ rejected

"Awaiting acceptance" states (new, escalated, transferred, reopened) are
measured against the accept deadline, ``accepted`` against the resolve
deadline.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    NEW = "new"  # 待受理
    ACCEPTED = "accepted"  # 处置中
    ESCALATED = "escalated"  # 已上报，待上级受理
    TRANSFERRED = "transferred"  # 已转派，待受理
    REOPENED = "reopened"  # 重新办理，待受理
    RESOLVED = "resolved"  # 已办结，待评价
    CLOSED = "closed"  # 已关闭
    REJECTED = "rejected"  # 不予受理


class Action(StrEnum):
    ACCEPT = "accept"
    RESOLVE = "resolve"
    ESCALATE = "escalate"  # to the next level up the roster tree
    WHISTLE = "whistle"  # 吹哨: the town centre sends it to a department
    TRANSFER = "transfer"  # reassign within the handling unit
    REOPEN = "reopen"
    REJECT = "reject"
    CLOSE = "close"


class ActorKind(StrEnum):
    """What an actor is with respect to one ticket (an actor may be several)."""

    SYSTEM = "system"  # scheduled jobs (SLA supervision, rating timeout)
    REPORTER = "reporter"  # a resident who reported it (or was linked to it)
    ASSIGNEE = "assignee"
    HANDLING_STAFF = "handling_staff"  # roster member of the handling unit or a unit above it
    HANDLING_LEADER = "handling_leader"  # ... with a leader role
    ORIGIN_STAFF = "origin_staff"  # roster member of the reporting unit or a unit above it
    TOWN_CENTRE = "town_centre"  # whistle role at a town (or city) unit above the ticket


S, A, K = Status, Action, ActorKind

AWAITING_ACCEPT: frozenset[Status] = frozenset({S.NEW, S.ESCALATED, S.TRANSFERRED, S.REOPENED})
OPEN: frozenset[Status] = AWAITING_ACCEPT | {S.ACCEPTED}
FINAL: frozenset[Status] = frozenset({S.CLOSED, S.REJECTED})

_MOVE_ON = {A.ESCALATE: S.ESCALATED, A.WHISTLE: S.ESCALATED, A.TRANSFER: S.TRANSFERRED, A.REJECT: S.REJECTED}

TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (S.NEW, A.ACCEPT): S.ACCEPTED,
    **{(S.NEW, a): s for a, s in _MOVE_ON.items()},
    (S.ACCEPTED, A.RESOLVE): S.RESOLVED,
    **{(S.ACCEPTED, a): s for a, s in _MOVE_ON.items()},
    (S.ESCALATED, A.ACCEPT): S.ACCEPTED,
    **{(S.ESCALATED, a): s for a, s in _MOVE_ON.items()},
    (S.TRANSFERRED, A.ACCEPT): S.ACCEPTED,
    **{(S.TRANSFERRED, a): s for a, s in _MOVE_ON.items()},
    (S.REOPENED, A.ACCEPT): S.ACCEPTED,
    **{(S.REOPENED, a): s for a, s in _MOVE_ON.items()},
    (S.RESOLVED, A.CLOSE): S.CLOSED,
    (S.RESOLVED, A.REOPEN): S.REOPENED,
    (S.CLOSED, A.REOPEN): S.REOPENED,
    (S.REJECTED, A.REOPEN): S.REOPENED,
}

WHO_MAY: dict[Action, frozenset[ActorKind]] = {
    # Anyone working at the handling level may take the ticket (抢单); the first one wins.
    A.ACCEPT: frozenset({K.ASSIGNEE, K.HANDLING_STAFF}),
    A.RESOLVE: frozenset({K.ASSIGNEE, K.HANDLING_LEADER}),
    A.ESCALATE: frozenset({K.ASSIGNEE, K.HANDLING_LEADER, K.SYSTEM}),
    A.WHISTLE: frozenset({K.TOWN_CENTRE}),
    A.TRANSFER: frozenset({K.ASSIGNEE, K.HANDLING_LEADER}),
    # Residents reopen by rating 不满意; staff after a follow-up visit or a complaint.
    A.REOPEN: frozenset({K.REPORTER, K.ASSIGNEE, K.HANDLING_STAFF, K.ORIGIN_STAFF}),
    A.REJECT: frozenset({K.HANDLING_LEADER}),
    A.CLOSE: frozenset({K.SYSTEM, K.REPORTER}),
}

# Everything else staff do to a ticket without moving it (comment, set type, follow-up, view).
STAFF_KINDS: frozenset[ActorKind] = frozenset({K.ASSIGNEE, K.HANDLING_STAFF, K.ORIGIN_STAFF, K.TOWN_CENTRE})


class TransitionRefused(Exception):
    """The action is not allowed; ``reason`` says why ("state" or "role")."""

    def __init__(self, status: Status, action: Action, reason: str) -> None:
        super().__init__(f"{action} not allowed from {status} ({reason})")
        self.status = status
        self.action = action
        self.reason = reason


def next_status(status: str, action: Action) -> Status | None:
    """The status the action leads to, or None when the table does not allow it."""
    try:
        return TRANSITIONS.get((Status(status), action))
    except ValueError:
        return None


def check(status: str, action: Action, kinds: set[ActorKind] | frozenset[ActorKind]) -> Status:
    """The new status; raises TransitionRefused when the state or the actor does not allow it."""
    target = next_status(status, action)
    if target is None:
        raise TransitionRefused(Status(status), action, "state")
    if not (WHO_MAY[action] & set(kinds)):
        raise TransitionRefused(Status(status), action, "role")
    return target


def is_open(status: str) -> bool:
    return status in OPEN


def awaits_acceptance(status: str) -> bool:
    return status in AWAITING_ACCEPT
