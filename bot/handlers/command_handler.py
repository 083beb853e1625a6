"""Runs bot commands: who may use them, which ticket they mean, and what to say when refused.

Commands come from any group the bot is in and from private chats. The ticket
is the number given, or the ticket of the bot message being replied to. A
refused command changes nothing and gets one polite sentence saying why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from ..messages import MessageBuilder
from ..storage import tickets as ticket_store
from ..storage.models import Ticket
from ..workflow import Action, TransitionRefused
from . import commands, notices, queries, rating, talk_day, texts, ticket_commands, visits
from .actors import Actor, actor_of, kinds_of
from .base import HandlerContext
from .commands import ParsedCommand
from .notify import person_name

log = logging.getLogger(__name__)


@dataclass
class Invocation:
    """One command being run: what was typed, by whom, about which ticket (locked)."""

    ctx: HandlerContext
    parsed: ParsedCommand
    actor: Actor
    ticket: Ticket | None = None

    def say(self, text: str) -> None:
        self.ctx.reply(MessageBuilder().text(text).build(), ticket_id=self.ticket.id if self.ticket else None)


Run = Callable[[Invocation], bool | None]

RUNNERS: dict[str, Run] = {
    "accept": ticket_commands.accept,
    "resolve": ticket_commands.resolve,
    "escalate": ticket_commands.escalate,
    "whistle": ticket_commands.whistle,
    "transfer": ticket_commands.transfer,
    "reopen": ticket_commands.reopen,
    "reject": ticket_commands.reject,
    "comment": ticket_commands.comment,
    "settype": ticket_commands.settype,
    "followup": ticket_commands.followup,
    "todo": queries.todo,
    "ticket": queries.details,
    "mine": queries.mine,
    "rate": rating.rate,
    "topic": talk_day.submit,
    "topics": talk_day.list_topics,
    "topic_outcome": talk_day.record_outcome,
    "topic_ticket": talk_day.to_ticket,
    "visit": visits.visit,
    "contact": visits.contact,
    "visits": visits.list_due,
    "notice": notices.notice,
    "notice_to": notices.notice_to,
    "receipt": notices.receipt,
}


class CommandHandler:
    name = "commands"

    def handle(self, ctx: HandlerContext) -> bool:
        parsed = commands.parse(ctx.message.text)
        if parsed is None:
            return False
        actor = actor_of(ctx)
        in_known_place = ctx.chat is not None or ctx.message.chat_type == "private"
        if parsed.spec.staff and actor.person is None:
            # A resident's "上报：路灯坏了" is a report, not a command: only a clear command
            # naming a ticket number gets the refusal.
            if parsed.number is None:
                return False
            if in_known_place:
                ctx.reply(MessageBuilder().text(texts.STAFF_ONLY.format(
                    action=texts.ACTION_NAMES.get(parsed.spec.name, parsed.word))).build())
            return True
        if actor.person is None and not in_known_place:
            return True  # a group that is not in the roster: stay silent
        inv = Invocation(ctx=ctx, parsed=parsed, actor=actor)
        if parsed.spec.ticket == "required" or (parsed.spec.ticket == "optional" and parsed.number is not None):
            if not _find_ticket(inv):
                return True
        try:
            handled = RUNNERS[parsed.spec.name](inv)
        except TransitionRefused as refused:
            inv.say(refusal(inv, refused))
            return True
        return handled is not False


def _find_ticket(inv: Invocation) -> bool:
    ctx, parsed = inv.ctx, inv.parsed
    number = parsed.number
    if number is None and parsed.number_error == "missing" and ctx.message.reply_to_message_id:
        number = ticket_store.ticket_of_bot_message(ctx.session, ctx.message.channel, ctx.message.chat_id,
                                                    ctx.message.reply_to_message_id)
    if number is None:
        template = texts.NOT_A_NUMBER if parsed.number_error == "not_a_number" else texts.NEED_NUMBER
        inv.say(template.format(usage=parsed.spec.usage))
        return False
    ticket = ticket_store.get_for_update(ctx.session, number)
    if ticket is None:
        inv.say(texts.NOT_FOUND.format(number=number))
        return False
    inv.ticket = ticket
    if parsed.spec.name != "rate" and not kinds_of(ctx, inv.actor, ticket):  # rating checks its own
        if inv.actor.person is None:
            inv.say(texts.NOT_YOURS.format(number=number))
        else:
            inv.say(texts.NOT_IN_SCOPE.format(number=number, action=_action_word(parsed.spec.name)))
        inv.ticket = None
        return False
    return True


def _action_word(command: str) -> str:
    return texts.ACTION_NAMES.get(command, {"comment": "备注", "settype": "更正类型", "followup": "回访",
                                            "ticket": "查看", "rate": "评价"}.get(command, "操作"))


def refusal(inv: Invocation, refused: TransitionRefused) -> str:
    ticket = inv.ticket
    assert ticket is not None
    action = texts.ACTION_NAMES[refused.action]
    if refused.reason == "state":
        if refused.action == Action.ACCEPT and ticket.status == "accepted" and ticket.assignee_id:
            if inv.actor.person and inv.actor.person.id == ticket.assignee_id:
                return texts.ALREADY_ACCEPTED_BY_YOU.format(number=ticket.id)
            return texts.ALREADY_ACCEPTED.format(number=ticket.id, who=person_name(inv.ctx, ticket.assignee_id))
        return texts.REFUSED_STATE.format(number=ticket.id, status=texts.STATUS_NAMES.get(ticket.status,
                                                                                          ticket.status),
                                          action=action)
    if refused.action == Action.REJECT:
        return texts.REFUSED_REJECT
    if refused.action == Action.WHISTLE:
        return texts.REFUSED_WHISTLE
    return texts.REFUSED_ROLE.format(number=ticket.id, action=action)
