"""The workflow table: every (status, action) pair, allowed or refused, and who may act."""

from __future__ import annotations

import itertools

import pytest

from bot.workflow import (AWAITING_ACCEPT, OPEN, TRANSITIONS, WHO_MAY, Action, ActorKind, Status,
                          TransitionRefused, check, next_status)

S, A, K = Status, Action, ActorKind

# The workflow, written out independently of bot/workflow.py:
# new -> accepted -> resolved -> closed; any open state -> escalated (then accepted there);
# resolved -> reopened when the resident is unhappy; new/accepted (and a ticket waiting at a new
# level or person) -> transferred; open -> rejected (leader); closed/rejected may be reopened.
EXPECTED = {
    S.NEW: {A.ACCEPT: S.ACCEPTED, A.ESCALATE: S.ESCALATED, A.WHISTLE: S.ESCALATED, A.TRANSFER: S.TRANSFERRED,
            A.REJECT: S.REJECTED},
    S.ACCEPTED: {A.RESOLVE: S.RESOLVED, A.ESCALATE: S.ESCALATED, A.WHISTLE: S.ESCALATED,
                 A.TRANSFER: S.TRANSFERRED, A.REJECT: S.REJECTED},
    S.ESCALATED: {A.ACCEPT: S.ACCEPTED, A.ESCALATE: S.ESCALATED, A.WHISTLE: S.ESCALATED,
                  A.TRANSFER: S.TRANSFERRED, A.REJECT: S.REJECTED},
    S.TRANSFERRED: {A.ACCEPT: S.ACCEPTED, A.ESCALATE: S.ESCALATED, A.WHISTLE: S.ESCALATED,
                    A.TRANSFER: S.TRANSFERRED, A.REJECT: S.REJECTED},
    S.REOPENED: {A.ACCEPT: S.ACCEPTED, A.ESCALATE: S.ESCALATED, A.WHISTLE: S.ESCALATED,
                 A.TRANSFER: S.TRANSFERRED, A.REJECT: S.REJECTED},
    S.RESOLVED: {A.CLOSE: S.CLOSED, A.REOPEN: S.REOPENED},
    S.CLOSED: {A.REOPEN: S.REOPENED},
    S.REJECTED: {A.REOPEN: S.REOPENED},
}
ALL_KINDS = frozenset(ActorKind)


@pytest.mark.parametrize(("status", "action"), list(itertools.product(Status, Action)))
def test_every_pair_is_allowed_exactly_as_specified(status, action):
    expected = EXPECTED[status].get(action)
    assert next_status(status, action) == expected
    if expected is None:
        with pytest.raises(TransitionRefused) as refused:
            check(status, action, ALL_KINDS)  # even an actor who is everything
        assert refused.value.reason == "state"
    else:
        assert check(status, action, ALL_KINDS) == expected


def test_table_has_no_transition_the_spec_lacks():
    assert {(s, a) for (s, a) in TRANSITIONS} == {(s, a) for s, moves in EXPECTED.items() for a in moves}


def test_open_and_awaiting_sets():
    assert AWAITING_ACCEPT == {S.NEW, S.ESCALATED, S.TRANSFERRED, S.REOPENED}
    assert OPEN == AWAITING_ACCEPT | {S.ACCEPTED}
    # Every open state can be escalated: nothing gets stuck at a level.
    assert all(next_status(s, A.ESCALATE) == S.ESCALATED for s in OPEN)


WHO = {
    A.ACCEPT: {K.ASSIGNEE, K.HANDLING_STAFF},
    A.RESOLVE: {K.ASSIGNEE, K.HANDLING_LEADER},
    A.ESCALATE: {K.ASSIGNEE, K.HANDLING_LEADER, K.SYSTEM},
    A.WHISTLE: {K.TOWN_CENTRE},
    A.TRANSFER: {K.ASSIGNEE, K.HANDLING_LEADER},
    A.REOPEN: {K.REPORTER, K.ASSIGNEE, K.HANDLING_STAFF, K.ORIGIN_STAFF},
    A.REJECT: {K.HANDLING_LEADER},
    A.CLOSE: {K.SYSTEM, K.REPORTER},
}


@pytest.mark.parametrize(("action", "kind"), list(itertools.product(Action, ActorKind)))
def test_each_kind_of_actor_alone(action, kind):
    status = next(s for s, moves in EXPECTED.items() if action in moves)
    if kind in WHO[action]:
        assert check(status, action, {kind}) == EXPECTED[status][action]
    else:
        with pytest.raises(TransitionRefused) as refused:
            check(status, action, {kind})
        assert refused.value.reason == "role"
    assert WHO_MAY[action] == WHO[action]


def test_nobody_is_refused_for_role_nor_unknown_status():
    with pytest.raises(TransitionRefused):
        check(S.NEW, A.ACCEPT, set())
    assert next_status("bogus", A.ACCEPT) is None
    # A resident alone can never move an open ticket.
    for status, action in itertools.product(OPEN, Action):
        if next_status(status, action) is not None:
            with pytest.raises(TransitionRefused):
                check(status, action, {K.REPORTER})
