"""支部说事日 (branch talk day): notices before it, topics from residents, the morning
reminder with the topic list for the host, and outcomes or tickets after it.

Scheduled steps (job ``talk_day``) send each notice once per unit and month: the key
(job, unit, month) is claimed in the transaction that queues the messages. A notice
whose time passed while the bot was down still goes out within ``reminders.grace_hours``
(and never after the day has begun).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from ..delivery import PRIORITY_NOTICE
from ..messages import MessageBuilder
from ..storage import outbox as outbox_store
from ..storage import reminders, talk_topics
from ..storage.models import TalkTopic, TopicStatus
from ..talk_calendar import (TalkDay, around, holding_unit, host_of, latest_talk_day, next_talk_day,
                             talk_day_units)
from . import lifecycle, texts
from .actors import is_leader
from .base import Context, HandlerContext
from .intake import ResidentIntake
from .notify import excerpt, local_date, mention, person_chat, subtree_chats, type_name, unit_name

if TYPE_CHECKING:
    from .command_handler import Invocation

log = logging.getLogger(__name__)

NOTICE_JOB = "talk_notice"
REMINDER_JOB = "talk_reminder"
# Topics listed to the host in the morning message and in 说事清单.
TOPIC_LINES = 30
TOPIC_CHARS = 500
# A reply to a notice that the classifier calls "not a request" this surely is chit-chat.
ACK_CONFIDENCE = 0.9
_TOPIC_NUMBER = re.compile(r"#?\s*(\d{1,9})(?!\d)\s*")


def _clock(ctx: Context, value: datetime) -> str:
    return value.astimezone(ctx.config.tz).strftime("%H:%M")


def _end_of_day(day: TalkDay) -> datetime:
    return datetime.combine(day.held_at.date() + timedelta(days=1), time(0), day.held_at.tzinfo)


def _host_name(day: TalkDay) -> str:
    return day.host.name if day.host else texts.TALK_NO_HOST


def _due_days(ctx: Context, limit: int, job: str, when: Callable[[TalkDay], datetime],
              too_late: Callable[[TalkDay], datetime]) -> tuple[list[TalkDay], int]:
    """Talk days whose ``when`` has come (within the grace, and before ``too_late``) and whose
    message is not sent yet: up to ``limit`` tried, those claimed for this transaction (another
    replica may have got some), and how many were tried."""
    grace = timedelta(hours=ctx.config.reminders.grace_hours)
    due: list[TalkDay] = []
    for unit in talk_day_units(ctx.config, ctx.roster):
        for day in around(ctx.config, ctx.roster, ctx.services.calendar, unit, ctx.now):
            if when(day) <= ctx.now <= min(when(day) + grace, too_late(day)):
                due.append(day)
    if not due:
        return [], 0
    by_key: dict[tuple[str, str], TalkDay] = {}
    for day in due:
        by_key[(day.unit.id, day.month)] = day
    claimed: list[TalkDay] = []
    tried = 0
    # Claimed per month (the key's period) in unit order, a chunk at a time.
    for month in sorted({m for _, m in by_key}):
        units = sorted(u for u, m in by_key if m == month)
        done = reminders.sent_targets(ctx.session, job, month, units)
        todo = [u for u in units if u not in done][: limit - tried]
        tried += len(todo)
        got = reminders.claim(ctx.session, job, month, {u: 1 for u in todo}, ctx.now)
        claimed.extend(by_key[(u, month)] for u in todo if u in got)
        if tried >= limit:
            break
    return claimed, tried


def send_notices(ctx: Context, limit: int) -> int:
    """N days before: announce the day in every group of the unit and invite topics."""
    # An announcement after the day has begun would only confuse.
    days, tried = _due_days(ctx, limit, NOTICE_JOB, lambda d: d.notice_at, lambda d: d.held_at)
    for day in days:
        shifted = texts.TALK_SHIFTED.format(nominal=local_date(ctx, datetime.combine(
            day.shifted_from, day.held_at.timetz()))) if day.shifted_from else ""
        text = texts.TALK_NOTICE.format(unit=day.unit.name, month=int(day.month[5:]), date=local_date(ctx, day.held_at),
                                        time=_clock(ctx, day.held_at), place=day.place, host=_host_name(day),
                                        shifted=shifted)
        chats = subtree_chats(ctx, day.unit.id)
        if not chats:
            log.warning("talk day of %s: no group to announce it in", day.unit.id)
        for channel, chat_id in chats:
            ctx.send(channel, chat_id, MessageBuilder().text(text).build(), priority=PRIORITY_NOTICE, ref=day.ref)
    return tried


def send_reminders(ctx: Context, limit: int) -> int:
    """The morning of the day: remind the groups, and give the host the topics, urgent first."""
    # Late (after a restart) the host still wants the list during the meeting: until the day ends.
    days, tried = _due_days(ctx, limit, REMINDER_JOB, lambda d: d.reminder_at, _end_of_day)
    for day in days:
        topics, total, urgent, _ = talk_topics.of_day(ctx.session, day.unit.id, day.month, TOPIC_LINES)
        text = texts.TALK_TODAY.format(time=_clock(ctx, day.held_at), place=day.place, host=_host_name(day),
                                       count=total)
        for channel, chat_id in subtree_chats(ctx, day.unit.id):
            ctx.send(channel, chat_id, MessageBuilder().text(text).build(), priority=PRIORITY_NOTICE, ref=day.ref)
        if day.host is None:
            log.warning("talk day of %s has no host (role %s) to give the topics to", day.unit.id,
                        ctx.config.talk_day.host_role)
            continue
        where = person_chat(ctx, day.host)
        if where is None:
            log.warning("talk day of %s: no group to reach host %s in", day.unit.id, day.host.id)
            continue
        channel, chat_id = where
        msg = mention(ctx, MessageBuilder().text(texts.TALK_TOPICS_HEAD), day.host, channel)
        if total:
            msg.text(texts.TALK_TOPICS_BODY.format(time=_clock(ctx, day.held_at), count=total, urgent=urgent))
            msg.text(_topic_lines(ctx, topics, texts.TALK_TOPIC_LINE))
            if total > len(topics):
                msg.text(texts.TALK_TOPICS_MORE.format(more=total - len(topics)))
            msg.text(texts.TALK_TOPICS_TAIL)
        else:
            msg.text(texts.TALK_TOPICS_NONE.format(time=_clock(ctx, day.held_at)))
        ctx.send(channel, chat_id, msg.build(), priority=PRIORITY_NOTICE)  # the host's replies are no topics
    return tried


STEPS = (send_notices, send_reminders)


def _topic_lines(ctx: Context, topics: list[TalkTopic], template: str) -> str:
    return "".join(template.format(i=i, id=topic.id, urgent="〔急〕" if topic.urgent else "",
                                 text=excerpt(topic.text, 60), resident=topic.resident_name,
                                 grid=unit_name(ctx, topic.grid_unit_id),
                                 status=texts.TALK_STATUS.get(topic.status, topic.status))
                   for i, topic in enumerate(topics, 1))


# -- residents' topics ----------------------------------------------------------------
def _record_topic(ctx: HandlerContext, text: str, day: TalkDay | None = None) -> None:
    msg = ctx.message
    if day is None:
        unit = holding_unit(ctx.config, ctx.roster, ctx.chat.unit_id)
        if unit is None:
            ctx.reply(MessageBuilder().text(texts.TALK_NO_UNIT).build())
            return
        day = next_talk_day(ctx.config, ctx.roster, ctx.services.calendar, unit, ctx.now)
    text = text.strip()
    result = ctx.services.classifier.classify(text)
    if result.urgent and ctx.sender is None:
        ResidentIntake().handle(ctx)  # an emergency cannot wait for the talk day: an urgent ticket now
        return
    pressing = any(word in text for word in ctx.config.talk_day.pressing_words)
    topic = talk_topics.add(ctx.session, TalkTopic(
        unit_id=day.unit.id, month=day.month, grid_unit_id=ctx.chat.unit_id, channel=msg.channel,
        chat_id=msg.chat_id, account_id=msg.sender_id, resident_name=msg.sender_name[:200],
        message_id=msg.message_id, text=text if len(text) <= TOPIC_CHARS else text[:TOPIC_CHARS] + "…",
        type=result.type, urgent=pressing, created_at=ctx.now))
    ctx.reply(MessageBuilder().text(texts.TALK_TOPIC_ACK.format(
        id=topic.id, date=local_date(ctx, day.held_at), time=_clock(ctx, day.held_at), place=day.place,
        host=_host_name(day))).build())


def submit(inv: "Invocation") -> None:
    """说事 <topic>: a topic for the next talk day of the group's village or community."""
    ctx = inv.ctx
    if ctx.message.chat_type == "private" or ctx.chat is None:
        inv.say(texts.TALK_PRIVATE)
        return
    if not inv.parsed.args.strip():
        inv.say(texts.TALK_TOPIC_EMPTY)
        return
    _record_topic(ctx, inv.parsed.args)


class TalkDayReplies:
    """A reply to one of the talk day notices is a topic for that day (before it begins)."""

    name = "talk_day_replies"

    def handle(self, ctx: HandlerContext) -> bool:
        msg = ctx.message
        if not msg.reply_to_message_id or msg.is_button or ctx.chat is None or not msg.text.strip():
            return False
        ref = outbox_store.ref_of_bot_message(ctx.session, msg.channel, msg.chat_id, msg.reply_to_message_id)
        if not ref or not ref.startswith("talk_day:"):
            return False
        _, unit_id, _month = ref.split(":", 2)
        unit = ctx.roster.units.get(unit_id)
        if unit is None:
            return False
        result = ctx.services.classifier.classify(msg.text)
        if result.type is None and result.confidence >= ACK_CONFIDENCE:
            return True  # "收到", "谢谢书记，一定参加": an acknowledgement; no topic, no answer
        # A late reply to last month's notice goes to the next day still to come.
        _record_topic(ctx, msg.text, next_talk_day(ctx.config, ctx.roster, ctx.services.calendar, unit, ctx.now))
        return True


# -- the host's commands ----------------------------------------------------------------
def _staff_unit(inv: "Invocation"):  # noqa: ANN202
    ctx = inv.ctx
    unit_id = ctx.chat.unit_id if ctx.chat is not None else inv.actor.person.unit_id
    return holding_unit(ctx.config, ctx.roster, unit_id) or holding_unit(ctx.config, ctx.roster,
                                                                          inv.actor.person.unit_id)


def list_topics(inv: "Invocation") -> None:
    """说事清单: the topics of the latest talk day (begun, else the next) of this unit."""
    ctx = inv.ctx
    unit = _staff_unit(inv)
    if unit is None:
        inv.say(texts.TALK_NO_UNIT)
        return
    day = latest_talk_day(ctx.config, ctx.roster, ctx.services.calendar, unit, ctx.now)
    topics, total, _, still_open = talk_topics.of_day(ctx.session, unit.id, day.month, TOPIC_LINES)
    if total:
        text = texts.TALK_LIST_HEAD.format(unit=unit.name, date=local_date(ctx, day.held_at), count=total,
                                           open=still_open) + _topic_lines(ctx, topics, texts.TALK_LIST_LINE)
        if total > len(topics):
            text += texts.TALK_LIST_MORE.format(more=total - len(topics))
    else:
        text = texts.TALK_LIST_EMPTY.format(unit=unit.name, date=local_date(ctx, day.held_at))
    if day.held_at <= ctx.now:
        upcoming = next_talk_day(ctx.config, ctx.roster, ctx.services.calendar, unit, ctx.now)
        _, count, _, _ = talk_topics.of_day(ctx.session, unit.id, upcoming.month, 0)
        if count:
            text += texts.TALK_LIST_NEXT.format(date=local_date(ctx, upcoming.held_at), count=count)
    inv.say(text)


def _topic(inv: "Invocation") -> tuple[TalkTopic, str] | None:
    """The topic a host command names (locked), and the rest of its arguments; or None after
    saying what is wrong."""
    ctx, args = inv.ctx, inv.parsed.args
    match = _TOPIC_NUMBER.match(args)
    if not match:
        inv.say(texts.TALK_NEED_TOPIC_NUMBER.format(usage=inv.parsed.spec.usage))
        return None
    topic = talk_topics.get_for_update(ctx.session, int(match.group(1)))
    if topic is None:
        inv.say(texts.TALK_TOPIC_NOT_FOUND.format(id=match.group(1)))
        return None
    person = inv.actor.person
    unit = ctx.roster.units.get(topic.unit_id)
    host = host_of(ctx.config, ctx.roster, unit) if unit is not None else None
    in_line = any(u.id == person.unit_id for u in ctx.roster.chain(topic.unit_id))
    if not ((host is not None and host.id == person.id) or (in_line and is_leader(ctx, person))):
        inv.say(texts.TALK_NOT_HOST.format(id=topic.id, unit=unit_name(ctx, topic.unit_id)))
        return None
    if topic.status == TopicStatus.TICKET:
        inv.say(texts.TALK_ALREADY_TICKET.format(id=topic.id, number=topic.ticket_id))
        return None
    return topic, args[match.end():].strip()


def _tell_resident(ctx: Context, topic: TalkTopic, head: str, body: MessageBuilder) -> None:
    msg = MessageBuilder().text(head).mention(topic.account_id, topic.resident_name)
    for segment in body.build():
        msg.add(segment)
    ctx.post(topic.channel, topic.chat_id, msg.build())


def record_outcome(inv: "Invocation") -> None:
    """说事结果 <no> <outcome>: the answer given on the day, told to the resident."""
    found = _topic(inv)
    if found is None:
        return
    topic, outcome = found
    if not outcome:
        inv.say(texts.TALK_NEED_OUTCOME.format(usage=inv.parsed.spec.usage))
        return
    ctx, person = inv.ctx, inv.actor.person
    topic.status, topic.outcome = TopicStatus.ANSWERED, outcome[:lifecycle.STORED_NOTE_CHARS]
    topic.outcome_by, topic.outcome_at = person.id, ctx.now
    _tell_resident(ctx, topic, texts.TALK_OUTCOME_TELL, MessageBuilder().text(texts.TALK_OUTCOME_TELL_BODY.format(
        text=excerpt(topic.text, 40), outcome=outcome[:lifecycle.NOTE_CHARS], who=person.name)))
    if (topic.channel, topic.chat_id) != ctx.here:
        inv.say(texts.TALK_OUTCOME_DONE.format(id=topic.id, resident=topic.resident_name))


def to_ticket(inv: "Invocation") -> None:
    """说事转办 <no> [type] [note]: a topic that needs action becomes a ticket in the resident's grid,
    with the resident as reporter (they hear the result and rate it like any report)."""
    found = _topic(inv)
    if found is None:
        return
    topic, rest = found
    ctx = inv.ctx
    names = {cfg.name: key for key, cfg in ctx.config.request_types.items()}
    type_key = next((names[n] for n in sorted(names, key=len, reverse=True) if rest.startswith(n)), None)
    if type_key is not None:
        rest = rest[len(ctx.config.request_types[type_key].name):].strip()
    type_key = type_key or topic.type or ("suggestion" if "suggestion" in ctx.config.request_types
                                          else next(iter(ctx.config.request_types)))
    text = topic.text + (f"\n（{inv.actor.person.name}：{rest}）" if rest else "")
    ticket, assignee, _ = lifecycle.open_ticket(
        ctx, type_key=type_key, urgent=topic.urgent, confidence=1.0, unit_id=topic.grid_unit_id,
        channel=topic.channel, chat_id=topic.chat_id, reporter_id=topic.account_id,
        reporter_name=topic.resident_name, text=text, message_id=topic.message_id, actor=inv.actor.key,
        data={"talk_topic": topic.id})
    topic.status, topic.ticket_id = TopicStatus.TICKET, ticket.id
    topic.outcome_by, topic.outcome_at = inv.actor.person.id, ctx.now
    body = MessageBuilder().text(texts.TALK_TICKET_TELL_BODY.format(
        text=excerpt(topic.text, 40), number=ticket.id, type_name=type_name(ctx, type_key)))
    if assignee is not None:
        mention(ctx, body.text("由 "), assignee, topic.channel).text(texts.TALK_TICKET_TELL_TAIL)
    else:
        body.text(texts.TALK_TICKET_NOBODY)
    _tell_resident(ctx, topic, texts.TALK_TICKET_TELL, body)
    if (topic.channel, topic.chat_id) != ctx.here:
        inv.say(texts.TALK_TICKET_DONE.format(id=topic.id, number=ticket.id, type_name=type_name(ctx, type_key)))
