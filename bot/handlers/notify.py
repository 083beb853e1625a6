"""Composing what the bot says about tickets: mentions, times, and notices to several chats.

``Notices`` collects lines per chat while a handler works and sends one message per
chat at the end, so a step that concerns the residents' group, the next level's group
and the chat of the command never posts twice into the same chat.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from ..config import Config
from ..delivery import PRIORITY_REPLY
from ..messages import Button, Buttons, MessageBuilder, Segment
from ..storage.models import Ticket, TicketReporter
from ..storage.roster_index import PersonInfo
from . import routing, texts
from .base import Context

log = logging.getLogger(__name__)


def mention(ctx: Context, builder: MessageBuilder, person: PersonInfo, channel: str) -> MessageBuilder:
    """A real platform mention when the person has an account on this channel, else their name."""
    account = ctx.roster.account_of(person.id, channel)
    if account is None:
        log.warning("%s has no %s account in the roster; named without a mention", person.id, channel)
        return builder.text(person.name)
    return builder.mention(account, person.name)


def mention_id(ctx: Context, builder: MessageBuilder, person_id: str | None, channel: str,
               fallback: str = "") -> MessageBuilder:
    person = ctx.roster.people.get(person_id) if person_id else None
    if person is None:
        return builder.text(fallback)
    return mention(ctx, builder, person, channel)


def mention_reporters(builder: MessageBuilder, reporters: Iterable[TicketReporter]) -> MessageBuilder:
    """Mention residents (they have no roster entry: their account is on the reporter row)."""
    for i, reporter in enumerate(reporters):
        builder.text(" " if i else "").mention(reporter.account_id, reporter.name)
    return builder


def reporter_chats(reporters: Iterable[TicketReporter]) -> list[tuple[tuple[str, str], list[TicketReporter]]]:
    """The chats the reporters wrote in, each with its reporters, the first reporter's chat
    first: every resident hears the result where they asked, on their own platform."""
    chats: dict[tuple[str, str], list[TicketReporter]] = {}
    for reporter in reporters:
        chats.setdefault((reporter.channel, reporter.chat_id), []).append(reporter)
    return list(chats.items())


def person_name(ctx: Context, person_id: str | None, default: str = "（未指派）") -> str:
    person = ctx.roster.people.get(person_id) if person_id else None
    if person is not None:
        return person.name
    return default if person_id is None else person_id


def type_name(ctx: Context, type_key: str) -> str:
    type_cfg = ctx.config.request_types.get(type_key)
    return type_cfg.name if type_cfg else type_key


def unit_name(ctx: Context, unit_id: str) -> str:
    unit = ctx.roster.units.get(unit_id)
    return unit.name if unit else unit_id


def local_time(ctx: Context, value: datetime) -> str:
    """A short local time for chat: 11月23日 17:30."""
    local = value.astimezone(ctx.config.tz)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def duration(seconds: float) -> str:
    """How long, in words: 45 分钟, 3 小时, 2 天 5 小时."""
    minutes = max(1, round(abs(seconds) / 60))
    if minutes < 60:
        return f"{minutes} 分钟"
    hours = minutes // 60
    if hours < 24:
        return f"{hours} 小时"
    days, rest = divmod(hours, 24)
    return f"{days} 天" + (f" {rest} 小时" if rest else "")


def excerpt(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def rating_buttons(ticket_id: int) -> tuple[Button, ...]:
    from . import texts

    return tuple(Button(label, f"评价 {ticket_id} {label}") for label in texts.RATING_WORDS)


@dataclass
class Notices:
    """Messages for several chats, merged per chat and sent in the order first addressed."""

    ticket_id: int | None = None
    # Scheduled digests use PRIORITY_NOTICE so they never hold up a reply to someone waiting.
    priority: int = PRIORITY_REPLY
    _order: list[tuple[str, str]] = field(default_factory=list)
    _parts: dict[tuple[str, str], list[MessageBuilder]] = field(default_factory=dict)

    def to(self, channel: str, chat_id: str) -> MessageBuilder:
        """A new paragraph for a chat (a fresh builder; paragraphs are joined by a line break)."""
        key = (channel, chat_id)
        if key not in self._parts:
            self._order.append(key)
            self._parts[key] = []
        builder = MessageBuilder()
        self._parts[key].append(builder)
        return builder

    def has(self, channel: str, chat_id: str) -> bool:
        return (channel, chat_id) in self._parts

    def flush(self, ctx: Context) -> None:
        for key in self._order:
            merged = MessageBuilder()
            buttons: list[Segment] = []
            for builder in self._parts[key]:
                if builder.empty:
                    continue
                if not merged.empty:
                    merged.text("\n")
                for seg in builder.build():
                    if isinstance(seg, Buttons):
                        buttons.append(seg)  # keyboards go under the whole message
                    else:
                        merged.add(seg)
            for seg in buttons:
                merged.add(seg)
            if not merged.empty:
                ctx.post(key[0], key[1], merged.build(), ticket_id=self.ticket_id, priority=self.priority)
        self._order.clear()
        self._parts.clear()


def enabled_channels(config: Config) -> tuple[str, ...]:
    """Channels switched on in config, in config order."""
    return tuple(name for name in type(config.channels).model_fields
                 if getattr(getattr(config.channels, name), "enabled", False))


def person_chat(ctx: Context, person: PersonInfo) -> tuple[str, str] | None:
    """Where to address a person in a group: their unit's (or the nearest unit above's) group on
    the first enabled channel of ``reminders.channel_order`` where they can be @-mentioned; failing
    that, the first such group at all."""
    channels = [c for c in ctx.config.reminders.channel_order if c in enabled_channels(ctx.config)]
    fallback = None
    for channel in channels:
        _, chats = routing.nearest_chats(ctx.roster, person.unit_id, channel)
        if not chats:
            continue
        if ctx.roster.account_of(person.id, channel) is not None:
            return channel, chats[0].chat_id
        fallback = fallback or (channel, chats[0].chat_id)
    return fallback


def unit_chats(ctx: Context, unit_ids: list[str]) -> list[tuple[str, str, str]]:
    """(channel, chat, unit) of every group of these units on every enabled channel, once each."""
    channels = enabled_channels(ctx.config)
    seen: set[tuple[str, str]] = set()
    out = []
    for unit_id in unit_ids:
        for channel in channels:
            for chat in ctx.roster.chats_of(unit_id, channel):
                if (channel, chat.chat_id) not in seen:
                    seen.add((channel, chat.chat_id))
                    out.append((channel, chat.chat_id, unit_id))
    return out


def subtree_chats(ctx: Context, unit_id: str) -> list[tuple[str, str]]:
    """Every group of a unit and of the units below it, on every enabled channel."""
    return [(channel, chat_id) for channel, chat_id, _ in unit_chats(ctx, ctx.roster.subtree(unit_id))]


def local_date(ctx: Context, value: datetime) -> str:
    local = value.astimezone(ctx.config.tz)
    return f"{local.month}月{local.day}日（{texts.WEEKDAYS[local.weekday()]}）"


def origin_chat(ticket: Ticket) -> tuple[str, str]:
    return ticket.channel, ticket.chat_id
