"""Resident requests: classify a group message, open (or add to) a ticket, tell the right worker.

Staff (roster members) chatting in their group do not open tickets unless
they address the bot; in ``mention`` mode only messages that @ the bot or
reply to it are read at all.

A message about a problem that already has an open ticket does not open
another: the same resident repeating it within ``merge_window_minutes`` adds to
their ticket (supplemented); another resident of the same unit reporting the
same type with similar words (``nlp.similarity``) within
``duplicate_window_hours`` is linked to it as a further reporter, and hears the
result like the first one.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from ..messages import MessageBuilder
from ..nlp import Classification, normalize_text, segment
from ..nlp.similarity import DUPLICATE_THRESHOLD, problem_signature, similarity
from ..storage import tickets as ticket_store
from ..storage.models import EventKind, Ticket
from ..storage.roster_index import PersonInfo
from ..workflow import Status
from . import lifecycle, routing, texts
from .base import HandlerContext
from .notify import mention, type_name

log = logging.getLogger(__name__)

# Content-token overlap above which a repeat with another type is still "the same problem".
SAME_PROBLEM_OVERLAP = 0.5


class ResidentIntake:
    name = "intake"

    def handle(self, ctx: HandlerContext) -> bool:
        msg = ctx.message
        if msg.chat_type == "private":
            ctx.reply(MessageBuilder().text(texts.PRIVATE_CHAT).build())
            return True
        if ctx.chat is None:
            log.info("ignored a message from chat %s:%s, which is not in the roster", msg.channel, msg.chat_id)
            return True
        if ctx.config.intake.mode == "mention" and not msg.addressed_to_bot:
            return True
        if ctx.sender is not None and not msg.addressed_to_bot:
            return True  # staff talk in their own group
        result = ctx.services.classifier.classify(msg.text) if msg.text.strip() else None
        if result is None or result.type is None:
            if msg.addressed_to_bot:
                ctx.reply(MessageBuilder().text(texts.PROMPT_DESCRIBE).build())
            return True
        existing = self._same_problem(ctx, result)
        if existing is not None:
            self._add_to(ctx, existing, result)
            return True
        duplicate = self._reported_by_others(ctx, result)
        if duplicate is not None:
            ticket, score = duplicate
            if ticket_store.reporter(ctx.session, ticket.id, msg.channel, msg.sender_id) is not None:
                self._add_to(ctx, ticket, result)
            else:
                self._link(ctx, ticket, result, score)
            return True
        self._open(ctx, result)
        return True

    # -- merging -----------------------------------------------------------
    def _same_problem(self, ctx: HandlerContext, result: Classification) -> Ticket | None:
        """The reporter's open ticket from the window with the same type, or failing
        that with mostly the same words."""
        window = ctx.config.intake.merge_window_minutes
        if window <= 0:
            return None
        msg = ctx.message
        recent = ticket_store.recent_open_tickets_of_reporter(
            ctx.session, channel=msg.channel, chat_id=msg.chat_id, reporter_id=msg.sender_id,
            since=ctx.now - timedelta(minutes=window))
        for ticket in recent:
            if ticket.type == result.type:
                return ticket
        words = _content_tokens(result.tokens)
        if not words:
            return None
        for ticket in recent:
            other = _content_tokens(tuple(segment(normalize_text(ticket.text))))
            if other and len(words & other) / len(words | other) >= SAME_PROBLEM_OVERLAP:
                return ticket
        return None

    def _reported_by_others(self, ctx: HandlerContext, result: Classification) -> tuple[Ticket, float] | None:
        """The open ticket of the same unit and type, reported within the window, whose text
        is most similar to this message, if similar enough to be the same problem."""
        hours = ctx.config.intake.duplicate_window_hours
        if hours <= 0:
            return None
        candidates = ticket_store.open_tickets_like(ctx.session, unit_id=ctx.chat.unit_id, type_key=result.type,
                                                    since=ctx.now - timedelta(hours=hours))
        if not candidates:
            return None
        threshold = ctx.config.intake.duplicate_similarity or DUPLICATE_THRESHOLD
        mine = problem_signature(ctx.message.text)
        best: tuple[Ticket, float] | None = None
        for ticket in candidates:
            score = similarity(mine, problem_signature(ticket.text))
            if score >= threshold and (best is None or score > best[1]):
                best = (ticket, score)
        return best

    def _link(self, ctx: HandlerContext, ticket: Ticket, result: Classification, score: float) -> None:
        msg = ctx.message
        ticket_store.add_reporter(ctx.session, ticket, channel=msg.channel, account_id=msg.sender_id,
                                  name=msg.sender_name, chat_id=msg.chat_id, message_id=msg.message_id, at=ctx.now)
        ticket.last_report_at = ctx.now
        ticket.updated_at = ctx.now
        ticket_store.add_event(ctx.session, ticket, at=ctx.now, actor=_resident_actor(ctx),
                               kind=EventKind.REPORTER_LINKED, note=_stored_text(ctx),
                               data={"message_id": msg.message_id, "name": msg.sender_name[:200],
                                     "similarity": round(score, 3)})
        self._joined(ctx, ticket, result, texts.LINKED, texts.LINKED_TAIL, texts.LINKED_NO_ASSIGNEE)

    def _mark_urgent(self, ctx: HandlerContext, ticket: Ticket, result: Classification) -> bool:
        """A later message can make an open ticket urgent: tighter deadlines from now."""
        if not result.urgent or ticket.urgent:
            return False
        ticket.urgent = True
        due = lifecycle.deadlines(ctx, ticket.type, True)
        ticket.accept_due_at = min(ticket.accept_due_at, due.accept_due)
        ticket.resolve_due_at = min(ticket.resolve_due_at, due.resolve_due)
        if ticket.next_due_at is not None:
            ticket.next_due_at = ticket.accept_due_at if ticket.status != Status.ACCEPTED else ticket.resolve_due_at
        ticket_store.add_event(ctx.session, ticket, at=ctx.now, actor="system", kind=EventKind.MARKED_URGENT,
                               data={"matched": list(result.matched)})
        return True

    def _add_to(self, ctx: HandlerContext, ticket: Ticket, result: Classification) -> None:
        msg = ctx.message
        ticket.last_report_at = ctx.now
        ticket.updated_at = ctx.now
        ticket_store.add_event(ctx.session, ticket, at=ctx.now, actor=_resident_actor(ctx),
                               kind=EventKind.SUPPLEMENTED, note=_stored_text(ctx), data={"message_id": msg.message_id})
        self._joined(ctx, ticket, result, texts.MERGED, texts.MERGED_TAIL, texts.MERGED_NO_ASSIGNEE)

    def _joined(self, ctx: HandlerContext, ticket: Ticket, result: Classification, head: str, tail: str,
                nobody: str) -> None:
        """Tell the resident which ticket their message joined and who handles it; a message
        that makes the ticket urgent also alerts the leader."""
        became_urgent = self._mark_urgent(ctx, ticket, result)
        assignee = ctx.roster.people.get(ticket.assignee_id) if ticket.assignee_id else None
        reply = MessageBuilder().text(head.format(number=ticket.id, type_name=type_name(ctx, ticket.type)))
        if assignee is not None:
            mention(ctx, reply, assignee, ctx.message.channel).text(tail)
        else:
            reply.text(nobody)
        ctx.reply(reply.build(), ticket_id=ticket.id)
        if became_urgent:
            self._urgent_notices(ctx, ticket, assignee, reply_in_group=True)

    # -- opening -------------------------------------------------------------
    def _open(self, ctx: HandlerContext, result: Classification) -> None:
        msg, config = ctx.message, ctx.config
        type_key = result.type
        type_cfg = config.request_types[type_key]
        ticket, assignee, due = lifecycle.open_ticket(
            ctx, type_key=type_key, urgent=result.urgent, confidence=result.confidence, unit_id=ctx.chat.unit_id,
            channel=msg.channel, chat_id=msg.chat_id, reporter_id=msg.sender_id, reporter_name=msg.sender_name,
            text=_stored_text(ctx), message_id=msg.message_id, actor=_resident_actor(ctx),
            data={"matched": list(result.matched)})
        leader = None
        if result.urgent:
            leader = routing.find_leader(ctx.roster, ctx.chat.unit_id, exclude=assignee.id if assignee else None)
        reply = MessageBuilder()
        if result.urgent:
            reply.text(texts.URGENT_PREFIX)
        reply.text(texts.ACK_PREFIX.format(type_name=type_cfg.name, number=ticket.id))
        if assignee is not None:
            mention(ctx, reply.text(texts.ASSIGNED_TO), assignee, msg.channel)
        else:
            reply.text(texts.NO_ASSIGNEE)
        if leader is not None:
            mention(ctx, reply.text(texts.LEADER_TOO), leader, msg.channel)
        reply.text(texts.DEADLINE.format(deadline=texts.deadline_phrase_working(due.accept_hours, due.working_time)))
        ctx.reply(reply.build(), ticket_id=ticket.id)
        if result.urgent:
            if leader is not None:
                ticket_store.add_event(ctx.session, ticket, at=ctx.now, actor="system", kind=EventKind.LEADER_NOTIFIED,
                                       data={"person": leader.id})
            self._urgent_notices(ctx, ticket, assignee, reply_in_group=False)

    def _urgent_notices(self, ctx: HandlerContext, ticket: Ticket, assignee: PersonInfo | None, *,
                        reply_in_group: bool) -> None:
        """Leader in the group (when not already told) and the parent unit's chat."""
        unit_chain = ctx.roster.chain(ticket.unit_id)
        leader = routing.find_leader(ctx.roster, ticket.unit_id, exclude=assignee.id if assignee else None)
        if reply_in_group and leader is not None:
            notice = MessageBuilder().text(texts.URGENT_PREFIX + f"工单 #{ticket.id} 已升级为紧急，请 ")
            mention(ctx, notice, leader, ctx.message.channel).text(" 关注处置。")
            ctx.reply(notice.build(), ticket_id=ticket.id)
        if not ctx.config.urgent.notify_parent_chat or len(unit_chain) < 2:
            return
        parent = unit_chain[1]
        chats = ctx.roster.chats_of(parent.id, ticket.channel)
        if not chats:
            return
        parent_leader = routing.find_leader(ctx.roster, parent.id)
        notified = [p for p in (assignee, leader, parent_leader) if p is not None]
        for chat in chats:
            notice = MessageBuilder().text(texts.PARENT_URGENT.format(
                number=ticket.id, unit_name=unit_chain[0].name, reporter=ticket.reporter_name,
                type_name=type_name(ctx, ticket.type), text=_excerpt(ticket.text)))
            seen: set[str] = set()
            for person in notified:
                if person.id not in seen:
                    seen.add(person.id)
                    mention(ctx, notice, person, ticket.channel).text(" ")
            if not notified:
                notice.text(texts.PARENT_URGENT_NOBODY)
            ctx.send(ticket.channel, chat.chat_id, notice.build(), ticket_id=ticket.id)
        ticket_store.add_event(ctx.session, ticket, at=ctx.now, actor="system", kind=EventKind.PARENT_NOTIFIED,
                               data={"unit": parent.id, "chats": [c.chat_id for c in chats]})


def _resident_actor(ctx: HandlerContext) -> str:
    return f"resident:{ctx.message.channel}:{ctx.message.sender_id}"


def _stored_text(ctx: HandlerContext) -> str:
    text = ctx.message.text.strip()
    limit = ctx.config.intake.max_text_chars
    return text if len(text) <= limit else text[:limit] + "…"


def _excerpt(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _content_tokens(tokens: tuple[str, ...]) -> set[str]:
    return {t for t in tokens if len(t) > 1 and not t.isspace()}
