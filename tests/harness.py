"""Drive a real GridBot without a platform: messages go into the inbox, the real handlers run
on a real database, and what the bot would send is read back from the outbox.

The people of examples/roster.yaml talk under their web chat accounts (= person ids);
residents are any other ids. Each unit's web chat group id is the unit id. The clock is
frozen and moved by hand, so deadlines and jobs need no sleeping.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from bot.app import GridBot
from bot.clock import FrozenClock
from bot.messages import IncomingMessage, Mention, OutgoingMessage, segments_from_json
from bot.storage import inbox as inbox_store
from bot.storage.models import Outbox, OutboxStatus, Ticket, TicketEvent, TicketReporter

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Monday 2026-11-23 09:00 in Shanghai.
START = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Sent:
    """A message the bot queued, as the channel would get it."""

    chat_id: str
    text: str
    mentions: tuple[str, ...]
    buttons: tuple[tuple[str, str], ...]  # (label, command)
    ticket_id: int | None
    reply_to: str | None
    platform_id: str

    def mentions_person(self, person_id: str) -> bool:
        return person_id in self.mentions


class Harness:
    def __init__(self, bot: GridBot) -> None:
        self.bot = bot
        self._seq = itertools.count(1)
        self._seen = 0
        self.sent: list[Sent] = []

    @property
    def clock(self) -> FrozenClock:
        assert isinstance(self.bot.clock, FrozenClock)
        return self.bot.clock

    def say(self, chat: str, who: str, text: str, *, name: str | None = None, reply_to: str | None = None,
            private: bool = False, button: bool = False, mentioned: tuple[str, ...] = (),
            channel: str = "webchat") -> list[Sent]:
        """``who`` writes ``text`` in the group ``chat`` (on the web chat: a unit id); returns what the
        bot sent."""
        n = next(self._seq)
        message = IncomingMessage(
            channel=channel, chat_id=who if private else chat, message_id=f"u{n}", sender_id=who,
            sender_name=name or who, text=text, chat_type="private" if private else "group",
            reply_to_bot=reply_to is not None, reply_to_message_id=reply_to, is_button=button,
            mentioned_ids=mentioned, sent_at=self.clock.now())
        self.bot.db.run_sync(inbox_store.store_inbound_many, channel, [(f"k{n}", message.to_json())],
                             self.clock.now())
        self.bot.process_pending()
        return self.collect()

    def run_jobs(self) -> list[Sent]:
        self.bot.run_job_sync("supervision")
        return self.collect()

    def run_job(self, name: str) -> list[Sent]:
        """Run one scheduled job as of the clock's time; what it sent."""
        self.bot.run_job_sync(name)
        return self.collect()

    def at(self, local: str) -> "Harness":
        """Move the clock to a Shanghai wall time ("2026-12-07 09:00")."""
        moment = datetime.fromisoformat(local).replace(tzinfo=SHANGHAI)
        self.clock.advance(seconds=(moment - self.clock.now()).total_seconds())
        return self

    def collect(self) -> list[Sent]:
        """New outbox rows since the last look, marked sent with a platform id (w<row id>)
        so that replies to them can be looked up like on a real channel."""
        rows = self.bot.db.run_sync(lambda s: list(s.execute(
            select(Outbox).where(Outbox.id > self._seen).order_by(Outbox.id)).scalars()))
        out = []
        for row in rows:
            message = OutgoingMessage(channel=row.channel, chat_id=row.chat_id,
                                      segments=segments_from_json(row.segments))
            out.append(Sent(chat_id=row.chat_id, text=message.plain_text,
                            mentions=tuple(s.user_id for s in message.segments if isinstance(s, Mention)),
                            buttons=tuple((b.label, b.command) for r in message.buttons for b in r),
                            ticket_id=row.ticket_id, reply_to=row.reply_to_message_id, platform_id=f"w{row.id}"))
            self._seen = row.id

        def mark(s):  # noqa: ANN001, ANN202
            for row in rows:
                s.execute(update(Outbox).where(Outbox.id == row.id).values(
                    status=OutboxStatus.SENT, platform_message_id=f"w{row.id}"))
        if rows:
            self.bot.db.run_sync(mark)
        self.sent.extend(out)
        return out

    # -- reading the database -------------------------------------------------------------
    def ticket(self, number: int) -> Ticket:
        return self.bot.db.run_sync(lambda s: s.get(Ticket, number))

    def tickets(self) -> list[Ticket]:
        return self.bot.db.run_sync(lambda s: list(s.execute(select(Ticket).order_by(Ticket.id)).scalars()))

    def events(self, number: int) -> list[TicketEvent]:
        return self.bot.db.run_sync(lambda s: list(s.execute(
            select(TicketEvent).where(TicketEvent.ticket_id == number).order_by(TicketEvent.id)).scalars()))

    def kinds(self, number: int) -> list[str]:
        return [e.kind for e in self.events(number)]

    def reporters(self, number: int) -> list[TicketReporter]:
        return self.bot.db.run_sync(lambda s: list(s.execute(
            select(TicketReporter).where(TicketReporter.ticket_id == number).order_by(TicketReporter.id)).scalars()))


def make_harness(make_config, database_url: str | None = None, *, start: datetime = START,  # noqa: ANN001
                 **overrides) -> Harness:
    config = make_config(database_url, **overrides)
    bot = GridBot(config, clock=FrozenClock(start), channels=[], run_jobs=False)
    bot.prepare_database()
    return Harness(bot)


def only(messages: list[Sent], chat: str) -> Sent:
    """The one message sent to a chat."""
    found = [m for m in messages if m.chat_id == chat]
    assert len(found) == 1, f"expected one message to {chat}, got {[(m.chat_id, m.text) for m in messages]}"
    return found[0]
