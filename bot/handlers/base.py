"""Handler contexts and router. Handlers see neutral messages and storage, never a platform SDK.

``Context`` is one transaction of work (a job run); ``HandlerContext`` adds the incoming
message being answered. Everything a handler sends goes to the outbox in that transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from ..clock import Clock
from ..config import Config
from ..delivery import PRIORITY_REPLY
from ..messages import IncomingMessage, Segment, segments_to_json
from ..nlp import Classifier
from ..storage import outbox as outbox_store
from ..storage.models import Outbox, OutboxStatus
from ..storage.roster_index import ChatInfo, PersonInfo, RosterIndex
from ..worktime import WorkCalendar

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Services:
    """Long-lived things every handler may use."""

    config: Config
    classifier: Classifier
    clock: Clock
    calendar: WorkCalendar


@dataclass(kw_only=True)
class Context:
    """One unit of work inside one database transaction: an incoming message or a job run."""

    session: Session
    services: Services
    now: datetime
    roster: RosterIndex
    # Channels that got new outbox rows, so their senders can be woken after commit.
    touched_channels: set[str] = field(default_factory=set)

    @property
    def config(self) -> Config:
        return self.services.config

    @property
    def here(self) -> tuple[str, str] | None:
        """The chat being answered, if any (jobs answer nobody)."""
        return None

    def send(self, channel: str, chat_id: str, segments: tuple[Segment, ...], *,
             reply_to: str | None = None, priority: int = PRIORITY_REPLY,
             ticket_id: int | None = None, ref: str | None = None) -> Outbox:
        row = Outbox(channel=channel, chat_id=chat_id, segments=segments_to_json(segments),
                     reply_to_message_id=reply_to, priority=priority, ticket_id=ticket_id, ref=ref,
                     next_attempt_at=self.now, created_at=self.now)
        outbox_store.enqueue(self.session, row)
        self.touched_channels.add(channel)
        return row

    def send_many(self, messages: list[tuple[str, str, tuple[Segment, ...]]], *, priority: int,
                  notice_id: int | None = None, ref: str | None = None) -> None:
        """Queue many messages (channel, chat, segments) in one executemany: digests, broadcasts."""
        if not messages:
            return
        outbox_store.enqueue_many(self.session, [
            {"channel": channel, "chat_id": chat_id, "segments": segments_to_json(segments), "priority": priority,
             "status": OutboxStatus.PENDING, "attempts": 0, "next_attempt_at": self.now, "created_at": self.now,
             "notice_id": notice_id, "ref": ref}
            for channel, chat_id, segments in messages])
        self.touched_channels.update(channel for channel, _, _ in messages)

    def post(self, channel: str, chat_id: str, segments: tuple[Segment, ...], *,
             ticket_id: int | None = None, priority: int = PRIORITY_REPLY) -> Outbox:
        """Send to a chat; in the chat being answered it replies to the message."""
        return self.send(channel, chat_id, segments, ticket_id=ticket_id, priority=priority)


@dataclass(kw_only=True)
class HandlerContext(Context):
    """One incoming message being handled."""

    message: IncomingMessage
    chat: ChatInfo | None
    sender: PersonInfo | None

    @property
    def here(self) -> tuple[str, str] | None:
        return (self.message.channel, self.message.chat_id)

    def reply(self, segments: tuple[Segment, ...], *, ticket_id: int | None = None) -> Outbox:
        # A button press is no message of its own: answer under the message that had the button.
        reply_to = self.message.reply_to_message_id if self.message.is_button else self.message.message_id
        return self.send(self.message.channel, self.message.chat_id, segments, reply_to=reply_to,
                         ticket_id=ticket_id)

    def post(self, channel: str, chat_id: str, segments: tuple[Segment, ...], *,
             ticket_id: int | None = None, priority: int = PRIORITY_REPLY) -> Outbox:
        if (channel, chat_id) == self.here:
            return self.reply(segments, ticket_id=ticket_id)
        return self.send(channel, chat_id, segments, ticket_id=ticket_id, priority=priority)


class Handler(Protocol):
    name: str

    def handle(self, ctx: HandlerContext) -> bool:
        """Return True when this handler took the message (later handlers are skipped)."""


class Router:
    """Handlers in explicit registration order; the first that takes a message wins."""

    def __init__(self) -> None:
        self._handlers: list[Handler] = []

    def add(self, handler: Handler) -> "Router":
        self._handlers.append(handler)
        return self

    @property
    def handlers(self) -> tuple[Handler, ...]:
        return tuple(self._handlers)

    def dispatch(self, ctx: HandlerContext) -> str | None:
        for handler in self._handlers:
            if handler.handle(ctx):
                return handler.name
        return None
