"""Resident requests: classify a group message, open (or add to) a ticket, tell the right worker.

Staff (roster members) chatting in their group do not open tickets unless
they address the bot; in ``mention`` mode only messages that @ the bot or
reply to it are read at all.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from ..messages import MessageBuilder
from ..nlp import Classification, normalize_text, segment
from ..storage import tickets as ticket_store
from ..storage.models import Ticket, TicketStatus
from ..storage.roster_index import PersonInfo
from . import routing, texts
from .base import HandlerContext

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
        else:
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

    def _add_to(self, ctx: HandlerContext, ticket: Ticket, result: Classification) -> None:
        msg = ctx.message
        ticket.last_report_at = ctx.now
        ticket.updated_at = ctx.now
        ticket_store.add_event(ctx.session, ticket, at=ctx.now, actor=_resident_actor(ctx), kind="supplemented",
                               note=_stored_text(ctx), data={"message_id": msg.message_id})
        became_urgent = result.urgent and not ticket.urgent
        if became_urgent:
            ticket.urgent = True
            ticket.accept_due_at = min(ticket.accept_due_at,
                                       ctx.now + timedelta(hours=ctx.config.urgent.accept_hours))
            ticket_store.add_event(ctx.session, ticket, at=ctx.now, actor="system", kind="marked_urgent",
                                   data={"matched": list(result.matched)})
        ctx.session.add(ticket)
        type_name = self._type_name(ctx, ticket.type)
        assignee = ctx.roster.people.get(ticket.assignee_id) if ticket.assignee_id else None
        reply = MessageBuilder().text(texts.MERGED.format(number=ticket.id, type_name=type_name))
        if assignee is not None:
            _mention(ctx, reply, assignee).text(texts.MERGED_TAIL)
        else:
            reply.text(texts.MERGED_NO_ASSIGNEE)
        ctx.reply(reply.build(), ticket_id=ticket.id)
        if became_urgent:
            self._urgent_notices(ctx, ticket, assignee, reply_in_group=True)

    # -- opening -------------------------------------------------------------
    def _open(self, ctx: HandlerContext, result: Classification) -> None:
        msg, config = ctx.message, ctx.config
        type_key = result.type
        type_cfg = config.request_types[type_key]
        hours = config.urgent.accept_hours if result.urgent else type_cfg.accept_hours
        assignee = routing.find_assignee(ctx.session, ctx.roster, ctx.chat.unit_id, type_key,
                                         type_cfg.handler_role)
        ticket = Ticket(
            type=type_key, status=TicketStatus.NEW, urgent=result.urgent, confidence=round(result.confidence, 4),
            unit_id=ctx.chat.unit_id, channel=msg.channel, chat_id=msg.chat_id,
            source_message_id=msg.message_id, reporter_id=msg.sender_id, reporter_name=msg.sender_name[:200],
            assignee_id=assignee.id if assignee else None, text=_stored_text(ctx),
            created_at=ctx.now, updated_at=ctx.now, last_report_at=ctx.now,
            accept_due_at=ctx.now + timedelta(hours=hours),
        )
        ticket_store.create_ticket(ctx.session, ticket, actor=_resident_actor(ctx), data={
            "confidence": ticket.confidence, "urgent": result.urgent, "matched": list(result.matched),
            "message_id": msg.message_id,
        })
        if assignee is not None:
            ticket_store.add_event(ctx.session, ticket, at=ctx.now, actor="system", kind="assigned",
                                   data={"person": assignee.id, "role": type_cfg.handler_role})
        leader = None
        if result.urgent:
            leader = routing.find_leader(ctx.roster, ctx.chat.unit_id, exclude=assignee.id if assignee else None)
        reply = MessageBuilder()
        if result.urgent:
            reply.text(texts.URGENT_PREFIX)
        reply.text(texts.ACK_PREFIX.format(type_name=type_cfg.name, number=ticket.id))
        if assignee is not None:
            _mention(ctx, reply.text(texts.ASSIGNED_TO), assignee)
        else:
            reply.text(texts.NO_ASSIGNEE)
        if leader is not None:
            _mention(ctx, reply.text(texts.LEADER_TOO), leader)
        reply.text(texts.DEADLINE.format(deadline=texts.deadline_phrase(hours)))
        ctx.reply(reply.build(), ticket_id=ticket.id)
        if result.urgent:
            if leader is not None:
                ticket_store.add_event(ctx.session, ticket, at=ctx.now, actor="system", kind="leader_notified",
                                       data={"person": leader.id})
            self._urgent_notices(ctx, ticket, assignee, reply_in_group=False)

    def _urgent_notices(self, ctx: HandlerContext, ticket: Ticket, assignee: PersonInfo | None, *,
                        reply_in_group: bool) -> None:
        """Leader in the group (when not already told) and the parent unit's chat."""
        unit_chain = ctx.roster.chain(ticket.unit_id)
        leader = routing.find_leader(ctx.roster, ticket.unit_id, exclude=assignee.id if assignee else None)
        if reply_in_group and leader is not None:
            notice = MessageBuilder().text(texts.URGENT_PREFIX + f"工单 #{ticket.id} 已升级为紧急，请 ")
            _mention(ctx, notice, leader).text(" 关注处置。")
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
                type_name=self._type_name(ctx, ticket.type), text=_excerpt(ticket.text)))
            seen: set[str] = set()
            for person in notified:
                if person.id not in seen:
                    seen.add(person.id)
                    _mention(ctx, notice, person).text(" ")
            if not notified:
                notice.text(texts.PARENT_URGENT_NOBODY)
            ctx.send(ticket.channel, chat.chat_id, notice.build(), ticket_id=ticket.id)
        ticket_store.add_event(ctx.session, ticket, at=ctx.now, actor="system", kind="parent_notified",
                               data={"unit": parent.id, "chats": [c.chat_id for c in chats]})

    @staticmethod
    def _type_name(ctx: HandlerContext, type_key: str) -> str:
        type_cfg = ctx.config.request_types.get(type_key)
        return type_cfg.name if type_cfg else type_key


def _mention(ctx: HandlerContext, builder: MessageBuilder, person: PersonInfo) -> MessageBuilder:
    """A real platform mention when the person has an account on this channel, else their name."""
    account = ctx.roster.account_of(person.id, ctx.message.channel)
    if account is None:
        log.warning("%s has no %s account in the roster; named without a mention", person.id, ctx.message.channel)
        return builder.text(person.name)
    return builder.mention(account, person.name)


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
