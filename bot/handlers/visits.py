"""Household visits (联户走访): recording a visit or an online contact, and listing who is due.

"走访 <户号或户主> <情况>" records an in-person visit, "线上走访 …" a phone or online
contact. The household is found by its id or its head's name among the households the
person may visit (in their unit or below, or linked to them). Recording moves the
household's next due date, which stops its reminders in the daily digest.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from ..storage import households as household_store
from ..storage.models import Household, VisitKind
from . import texts
from .digest import cadence_version, roles_of
from .notify import local_date

if TYPE_CHECKING:
    from .command_handler import Invocation

NOTE_CHARS = 2000
LIST_LIMIT = 15
# Households due within this many days are listed in 走访清单.
LIST_AHEAD_DAYS = 7
_KEY = re.compile(r"(\S+?)(?:[\s,，、:：;；]+|$)")


def _visit(inv: "Invocation", kind: VisitKind) -> None:
    ctx, person = inv.ctx, inv.actor.person
    match = _KEY.match(inv.parsed.args)
    if not match:
        inv.say(texts.VISIT_NEED_HOUSEHOLD.format(usage=inv.parsed.spec.usage))
        return
    key, note = match.group(1), inv.parsed.args[match.end():].strip()
    mine = ctx.roster.subtree(person.unit_id)
    found = household_store.find(ctx.session, key, unit_ids=mine, person_id=person.id)
    if not found:
        inv.say(texts.VISIT_NOT_FOUND.format(key=key))
        return
    if len(found) > 1:
        inv.say(texts.VISIT_AMBIGUOUS.format(count=len(found), key=key, choices="、".join(
            f"{h.id}（{h.address or h.name}）" for h in found)))
        return
    household = found[0]
    if household.linked_person_id != person.id and household.unit_id not in mine:
        inv.say(texts.VISIT_NOT_YOURS.format(name=household.name))
        return
    household_store.record_visit(ctx.session, household, person_id=person.id, kind=kind, at=ctx.now,
                                 note=note[:NOTE_CHARS] or None, cadences=ctx.config.visits.cadences,
                                 roles_of=roles_of(ctx), version=cadence_version(ctx))
    what = texts.DIGEST_VISIT_IN_PERSON if kind == VisitKind.VISIT else texts.DIGEST_VISIT_CONTACT
    text = texts.VISIT_DONE.format(name=household.name, what=what, date=local_date(ctx, ctx.now))
    upcoming = [(due, name) for due, name in ((household.visit_due_at, texts.DIGEST_VISIT_IN_PERSON),
                                              (household.contact_due_at, texts.DIGEST_VISIT_CONTACT)) if due]
    if upcoming:
        due, name = min(upcoming)
        text += texts.VISIT_NEXT.format(what=name, due=local_date(ctx, due))
    inv.say(text)


def visit(inv: "Invocation") -> None:
    _visit(inv, VisitKind.VISIT)


def contact(inv: "Invocation") -> None:
    _visit(inv, VisitKind.CONTACT)


def due_households(inv: "Invocation", ahead_days: int, limit: int) -> tuple[list[Household], int]:
    ctx, person = inv.ctx, inv.actor.person
    local = ctx.now.astimezone(ctx.config.tz)
    until = datetime.combine(local.date(), time(0), ctx.config.tz) + timedelta(days=ahead_days + 1)
    return household_store.due_of(ctx.session, person.id, [person.unit_id], until, limit)


def list_due(inv: "Invocation") -> None:
    """走访清单: households of mine due within a week, soonest first (每月一走访工作任务清单)."""
    ctx = inv.ctx
    rows, total = due_households(inv, LIST_AHEAD_DAYS, LIST_LIMIT)
    if not rows:
        inv.say(texts.VISIT_LIST_EMPTY)
        return
    today = ctx.now.astimezone(ctx.config.tz).date()
    text = texts.VISIT_LIST_HEAD.format(count=total)
    for h in rows:
        due_day = h.next_due_at.astimezone(ctx.config.tz).date()
        what = texts.DIGEST_VISIT_IN_PERSON if h.visit_due_at == h.next_due_at else texts.DIGEST_VISIT_CONTACT
        if due_day < today:
            when = texts.DIGEST_OVERDUE_DAYS.format(days=(today - due_day).days)
        elif due_day == today:
            when = texts.DIGEST_DUE_TODAY
        else:
            when = texts.VISIT_DUE_ON.format(date=local_date(ctx, h.next_due_at))
        text += texts.VISIT_LIST_LINE.format(name=h.name, id=h.id, what=what, when=when)
    if total > len(rows):
        text += texts.TALK_LIST_MORE.format(more=total - len(rows))
    inv.say(text)
