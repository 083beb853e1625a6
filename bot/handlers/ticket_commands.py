"""Staff commands that act on one ticket: accept, resolve, escalate, whistle, transfer,
reopen, reject, comment, set type, follow-up. The ticket is already found and locked.

Each returns nothing; a refused transition raises ``TransitionRefused``, which the
command handler turns into a sentence.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..messages import MessageBuilder
from ..storage import examples as example_store
from ..storage import tickets as ticket_store
from ..storage.models import EventKind
from ..storage.roster_index import PersonInfo
from ..workflow import Action, ActorKind, STAFF_KINDS, TransitionRefused, awaits_acceptance, check, next_status
from . import commands, lifecycle, routing, texts
from .actors import kinds_of
from .notify import mention, type_name

if TYPE_CHECKING:
    from .command_handler import Invocation


def _need_text(inv: "Invocation", what: str) -> bool:
    if inv.parsed.args:
        return True
    inv.say(texts.NEED_TEXT.format(what=what, usage=inv.parsed.spec.usage))
    return False


def accept(inv: "Invocation") -> None:
    lifecycle.accept(inv.ctx, inv.ticket, inv.actor)


def resolve(inv: "Invocation") -> None:
    ticket = inv.ticket
    if next_status(ticket.status, Action.RESOLVE) is None and not awaits_acceptance(ticket.status):
        raise TransitionRefused(ticket.status, Action.RESOLVE, "state")
    if not _need_text(inv, "办理结果"):
        return
    if awaits_acceptance(ticket.status):
        # 小事马上办: resolving on the spot accepts it first (both steps are logged).
        lifecycle.accept(inv.ctx, ticket, inv.actor, announce=False)
    lifecycle.resolve(inv.ctx, ticket, inv.actor, inv.parsed.args)


def escalate(inv: "Invocation") -> None:
    if not _need_text(inv, "上报原因"):
        return
    ctx, ticket = inv.ctx, inv.ticket
    try:
        lifecycle.escalate(ctx, ticket, inv.actor, inv.parsed.args)
    except lifecycle.NoHigherLevel:
        unit = ctx.roster.units.get(ticket.level_unit_id)
        name = unit.name if unit else ticket.level_unit_id
        if routing.departments_under(ctx.roster, ticket.level_unit_id):
            inv.say(texts.NO_HIGHER_LEVEL_WHISTLE.format(number=ticket.id, unit=name, whistles=_whistle_names(ctx)))
        else:
            inv.say(texts.NO_HIGHER_LEVEL.format(number=ticket.id, unit=name))


def _whistle_names(ctx) -> str:  # noqa: ANN001
    return "/".join(w.name for w in ctx.config.whistle_types.values())


def whistle(inv: "Invocation") -> None:
    ctx, ticket, actor = inv.ctx, inv.ticket, inv.actor
    kinds = kinds_of(ctx, actor, ticket)
    if ActorKind.TOWN_CENTRE not in kinds:
        raise TransitionRefused(ticket.status, Action.WHISTLE, "role")
    if next_status(ticket.status, Action.WHISTLE) is None:
        raise TransitionRefused(ticket.status, Action.WHISTLE, "state")
    town = actor.person.unit_id
    departments = routing.departments_under(ctx.roster, town)
    if not departments:
        inv.say(texts.NO_DEPARTMENTS.format(unit=ctx.roster.units[town].name))
        return
    args = inv.parsed.args
    department, args = _match_department(departments, args)
    whistles = {**{w.name: k for k, w in ctx.config.whistle_types.items()},
                **{w.name.removesuffix("哨"): k for k, w in ctx.config.whistle_types.items()},
                **{k: k for k in ctx.config.whistle_types}}
    whistle_key, args = commands.split_word(args, whistles)
    if department is None:
        inv.say(texts.WHICH_DEPARTMENT.format(
            departments="、".join(d.name for d in departments), number=ticket.id, example=departments[0].name,
            whistle=next(iter(ctx.config.whistle_types.values())).name))
        return
    if not args:
        inv.say(texts.NEED_TEXT.format(what="吹哨事由", usage=inv.parsed.spec.usage))
        return
    lifecycle.whistle(ctx, ticket, actor, department, whistle_key or next(iter(ctx.config.whistle_types)), args)


def _match_department(departments, args: str):  # noqa: ANN001, ANN202
    """The department named at the start of the arguments: its full name, its id, or a
    part of its name ("派出所" for "青山派出所"); the longest match wins."""
    head = args.split()[0] if args.split() else ""
    best = None
    for unit in departments:
        for key in (unit.name, unit.id):
            if args.startswith(key) and (best is None or len(key) > best[1]):
                best = (unit, len(key))
        if head and len(head) >= 2 and head in unit.name and (best is None or len(head) > best[1]):
            best = (unit, len(head))
    if best is None:
        return None, args
    return best[0], args[best[1]:].strip(" \t:：,，、")


def transfer(inv: "Invocation") -> None:
    ctx, ticket = inv.ctx, inv.ticket
    check(ticket.status, Action.TRANSFER, kinds_of(ctx, inv.actor, ticket))  # refuse before parsing the target
    args = inv.parsed.args.lstrip("@")
    candidates = [p for p in ctx.roster.people.values()
                  if any(u.id == ticket.level_unit_id for u in ctx.roster.chain(p.unit_id))]
    target: PersonInfo | None = None
    note = args
    for account in ctx.message.mentioned_ids:
        person = ctx.roster.person_by_account(ctx.message.channel, account)
        if person is not None and person in candidates:
            target = person
            name = person.name
            note = args[len(name):] if args.startswith(name) else args
            break
    if target is None:
        if not args:
            inv.say(texts.WHO_TO_TRANSFER.format(number=ticket.id))
            return
        matches = _people_named(candidates, args)
        if not matches:
            inv.say(texts.TRANSFER_NOBODY.format(unit=ctx.roster.units[ticket.level_unit_id].name,
                                                 name=args.split()[0]))
            return
        length = max(len(key) for _, key in matches)
        best = [p for p, key in matches if len(key) == length]
        if len({p.id for p in best}) > 1:
            inv.say(texts.TRANSFER_AMBIGUOUS.format(
                name=best[0].name, number=ticket.id, example=best[0].id,
                choices="、".join(f"{p.id}（{ctx.roster.units[p.unit_id].name}）" for p in best)))
            return
        target = best[0]
        note = args[length:]
    if target.id == ticket.assignee_id:
        inv.say(texts.TRANSFER_SAME.format(name=target.name, number=ticket.id))
        return
    lifecycle.transfer(ctx, ticket, inv.actor, target, note.strip(" \t:：,，、"))


def _people_named(people: list[PersonInfo], args: str) -> list[tuple[PersonInfo, str]]:
    out = []
    for person in people:
        for key in (person.id, person.name):
            if args.startswith(key):
                out.append((person, key))
    return out


def reopen(inv: "Invocation") -> None:
    kinds = kinds_of(inv.ctx, inv.actor, inv.ticket)
    if inv.actor.person is None or not (kinds & STAFF_KINDS):
        inv.say(texts.STAFF_ONLY.format(action="重新办理"))  # residents rate 不满意 instead
        return
    lifecycle.reopen(inv.ctx, inv.ticket, inv.actor, inv.parsed.args)


def reject(inv: "Invocation") -> None:
    ticket = inv.ticket
    check(ticket.status, Action.REJECT, kinds_of(inv.ctx, inv.actor, ticket))  # refuse before asking for a reason
    if not _need_text(inv, "驳回原因"):
        return
    lifecycle.reject(inv.ctx, ticket, inv.actor, inv.parsed.args)


def _require_staff(inv: "Invocation", action: str) -> bool:
    if kinds_of(inv.ctx, inv.actor, inv.ticket) & STAFF_KINDS:
        return True
    inv.say(texts.NOT_IN_SCOPE.format(number=inv.ticket.id, action=action))
    return False


def comment(inv: "Invocation") -> None:
    if not _require_staff(inv, "备注") or not _need_text(inv, "备注内容"):
        return
    ticket = inv.ticket
    ticket_store.add_event(inv.ctx.session, ticket, at=inv.ctx.now, actor=inv.actor.key, kind=EventKind.COMMENTED,
                           note=inv.parsed.args)
    inv.say(texts.COMMENTED.format(number=ticket.id))


def settype(inv: "Invocation") -> None:
    if not _require_staff(inv, "更正类型"):
        return
    ctx, ticket = inv.ctx, inv.ticket
    types = ctx.config.request_types
    wanted = inv.parsed.args.strip("【】[] ")
    key = next((k for k, t in types.items() if wanted in (k, t.name)), None)
    if key is None:
        key = next((k for k, t in types.items() if wanted and (wanted in t.name or t.name in wanted)), None)
    if key is None:
        first = next(iter(types.values())).name
        inv.say(texts.WHICH_TYPE.format(types="、".join(t.name for t in types.values()), number=ticket.id,
                                        example=first))
        return
    if key == ticket.type:
        inv.say(texts.TYPE_SAME.format(number=ticket.id, type_name=types[key].name))
        return
    old = ticket.type
    ticket.type = key
    ticket.updated_at = ctx.now
    ticket_store.add_event(ctx.session, ticket, at=ctx.now, actor=inv.actor.key, kind=EventKind.TYPE_CHANGED,
                           data={"from": old, "to": key, "confidence": ticket.confidence})
    example_store.record(ctx.session, ticket_id=ticket.id, text=ticket.text, label=key,
                         source=example_store.CORRECTION, at=ctx.now)
    reply = MessageBuilder().text(texts.TYPE_CHANGED.format(number=ticket.id, old=type_name(ctx, old), new=types[key].name))
    if ticket.status == "new" and ticket.level_unit_id == ticket.unit_id:
        # Not yet taken: the corrected type's handler gets it (a dispute goes to the mediator).
        person = routing.find_assignee(ctx.session, ctx.roster, ticket.unit_id, key, types[key].handler_role)
        if person is not None and person.id != ticket.assignee_id:
            ticket.assignee_id = person.id
            ticket.origin_assignee_id = person.id
            ticket_store.add_event(ctx.session, ticket, at=ctx.now, actor="system", kind=EventKind.ASSIGNED,
                                   data={"person": person.id, "role": types[key].handler_role})
            mention(ctx, reply.text(texts.TYPE_CHANGED_REROUTED), person, ctx.message.channel)
            reply.text(texts.TYPE_CHANGED_REROUTED_TAIL.format(number=ticket.id))
    ctx.reply(reply.build(), ticket_id=ticket.id)


def followup(inv: "Invocation") -> None:
    if not _require_staff(inv, "回访"):
        return
    ctx, ticket = inv.ctx, inv.ticket
    if ticket.status not in ("resolved", "closed"):
        inv.say(texts.FOLLOWUP_NOT_RESOLVED.format(number=ticket.id))
        return
    satisfaction, note = commands.split_word(inv.parsed.args, commands.RATING_ANSWERS)
    if satisfaction is None:
        inv.say(texts.FOLLOWUP_WHICH.format(number=ticket.id))
        return
    ticket_store.add_followup(ctx.session, ticket, person_id=inv.actor.person.id, at=ctx.now,
                              satisfaction=satisfaction, note=note or None)
    ticket_store.add_event(ctx.session, ticket, at=ctx.now, actor=inv.actor.key, kind=EventKind.FOLLOWUP_RECORDED,
                           note=note or None, data={"satisfaction": satisfaction})
    text = texts.FOLLOWUP_DONE.format(number=ticket.id, satisfaction=texts.SATISFACTION_NAMES[satisfaction])
    if satisfaction == "dissatisfied":
        text += texts.FOLLOWUP_UNHAPPY_HINT.format(number=ticket.id)
    inv.say(text)
