"""Residents rate a resolved ticket: 满意 / 基本满意 / 不满意 (button, "评价 128 满意", or a bare
"满意" when they have exactly one ticket waiting for a rating in the chat).

不满意 reopens the ticket at once. Otherwise it closes when every reporter has rated
(the worst rating counts), or, without answers, when ``feedback.rating_days`` pass
(the supervision job closes it as 未评价).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..storage import tickets as ticket_store
from ..storage.models import EventKind, Satisfaction
from ..workflow import Status
from . import commands, lifecycle, texts

if TYPE_CHECKING:
    from .command_handler import Invocation

# Worst first: the ticket's satisfaction is the worst rating any reporter gave.
_ORDER = [Satisfaction.DISSATISFIED, Satisfaction.BASICALLY, Satisfaction.SATISFIED]


def rate(inv: "Invocation") -> bool | None:
    ctx, msg = inv.ctx, inv.ctx.message
    rating, comment = commands.rating_of(inv.parsed)
    bare_word = inv.parsed.word in commands.RATING_ANSWERS
    if inv.ticket is None:
        number = None
        if msg.reply_to_message_id:
            number = ticket_store.ticket_of_bot_message(ctx.session, msg.channel, msg.chat_id,
                                                        msg.reply_to_message_id)
        if number is None:
            chat = None if msg.chat_type == "private" else msg.chat_id
            pending = ticket_store.awaiting_rating_of(ctx.session, msg.channel, chat, msg.sender_id)
            if not pending:
                if bare_word:
                    return False  # just a word in the conversation; let the others look at it
                inv.say(texts.RATE_NOTHING)
                return None
            if len(pending) > 1:
                inv.say(texts.RATE_WHICH.format(numbers="、".join(f"#{t.id}" for t in pending),
                                                example=pending[0].id))
                return None
            number = pending[0].id
        inv.ticket = ticket_store.get_for_update(ctx.session, number)
        if inv.ticket is None:
            inv.say(texts.NOT_FOUND.format(number=number))
            return None
    ticket = inv.ticket
    if rating is None:
        inv.say(texts.RATE_HOW.format(number=ticket.id))
        return None
    reporter = ticket_store.reporter(ctx.session, ticket.id, msg.channel, msg.sender_id)
    if reporter is None:
        inv.say(texts.RATE_NOT_REPORTER.format(number=ticket.id))
        return None
    if reporter.rating is not None:
        inv.say(texts.RATE_ALREADY.format(number=ticket.id, rating=texts.SATISFACTION_NAMES[reporter.rating]))
        return None
    if ticket.status != Status.RESOLVED:
        inv.say(texts.RATE_NOT_RESOLVED.format(number=ticket.id,
                                               status=texts.STATUS_NAMES.get(ticket.status, ticket.status)))
        return None
    reporter.rating, reporter.rated_at, reporter.rating_note = rating, ctx.now, comment or None
    ctx.session.add(reporter)
    ticket_store.add_event(ctx.session, ticket, at=ctx.now, actor=inv.actor.key, kind=EventKind.RATED,
                           note=comment or None, data={"rating": rating, "name": reporter.name})
    if rating == Satisfaction.DISSATISFIED:
        lifecycle.reopen(ctx, ticket, inv.actor, comment, by_rating=True)
        return None
    reporters = ticket_store.reporters_of(ctx.session, ticket.id)
    thanks = texts.RATE_THANKS.format(rating=texts.SATISFACTION_NAMES[rating])
    if any(r.rating is None for r in reporters):
        inv.say(thanks + texts.RATE_WAIT_OTHERS.format(number=ticket.id))
        return None
    worst = min((Satisfaction(r.rating) for r in reporters), key=_ORDER.index)
    lifecycle.close(ctx, ticket, inv.actor, worst)
    inv.say(thanks + texts.RATE_CLOSED.format(number=ticket.id))
    return None
