"""Broadcast notices (居民通知): one command to the groups of a unit and everything below it.

"通知 <text>" goes to the groups of the unit whose group it is typed in (or the sender's own
unit, in private chat) and of every unit below; "通知到 <units> <text>" to chosen units
(ids or names) and ``#tags``, comma-separated. Only ``notices.sender_roles`` may broadcast,
and only within their own unit's subtree.

The fan-out writes one outbox row per (notice, chat) in the transaction that records the
notice (a unique index makes a second row impossible); the channel senders deliver them
behind interactive replies, through each platform's rate limiter. When every row is sent or
has failed, the ``notices`` job tells the sender: how many groups, delivered, failed and why.
Residents' "收到" in reply to a notice are counted per group.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import TYPE_CHECKING

from ..delivery import PRIORITY_NOTICE
from ..messages import MessageBuilder
from ..storage import notices as notice_store
from ..storage import outbox as outbox_store
from ..storage.models import Notice, NoticeStatus
from ..storage.roster_index import PersonInfo, RosterIndex, UnitInfo
from . import texts
from .base import Context, HandlerContext
from .notify import excerpt, local_time, person_chat, unit_chats, unit_name

if TYPE_CHECKING:
    from .command_handler import Invocation

log = logging.getLogger(__name__)

FAILED_LINES = 20
_SPLIT = re.compile(r"[,，、;；]+")
_NUMBER = re.compile(r"#?\s*(\d{1,9})(?!\d)")


# -- choosing the groups ---------------------------------------------------------------
class TargetError(ValueError):
    """A target the sender may not use or that does not exist; the message is for users."""


def may_send(config, person: PersonInfo) -> bool:  # noqa: ANN001
    return any(person.has_role(role) for role in config.notices.sender_roles)


def resolve_targets(roster: RosterIndex, items: list[str], *, within: str | None) -> list[str]:
    """Unit ids (each with every unit below it) named by ``items``: unit ids, unit names or
    ``#tag``. With ``within``, everything must lie in that unit's subtree."""
    allowed = set(roster.subtree(within)) if within else None
    by_name: dict[str, UnitInfo] = {u.name: u for u in roster.units.values()}
    chosen: dict[str, None] = {}  # ordered set
    for raw in items:
        item = raw.strip()
        if not item:
            continue
        if item.startswith("#"):
            tagged = [u.id for u in roster.units.values() if item[1:] in u.tags
                      and (allowed is None or u.id in allowed)]
            if not tagged:
                raise TargetError(texts.NOTICE_TARGET_UNKNOWN.format(item=item))
            roots = tagged
        else:
            unit = roster.units.get(item) or by_name.get(item)
            if unit is None:
                raise TargetError(texts.NOTICE_TARGET_UNKNOWN.format(item=item))
            if allowed is not None and unit.id not in allowed:
                raise TargetError(texts.NOTICE_TARGET_OUTSIDE.format(unit=unit.name))
            roots = [unit.id]
        for root in roots:
            chosen.update(dict.fromkeys(roster.subtree(root)))
    return list(chosen)


def notice_text(ctx: Context, notice: Notice) -> MessageBuilder:
    msg = MessageBuilder().text(texts.NOTICE_HEAD + notice.text)
    sender = ctx.roster.people.get(notice.sender_id) if notice.sender_id else None
    if sender is not None:
        msg.text(texts.NOTICE_TAIL.format(sender=sender.name, unit=unit_name(ctx, sender.unit_id)))
    return msg


def fan_out(ctx: Context, notice: Notice) -> int:
    """One outbox row per group, written with the notice's change of state."""
    segments = notice_text(ctx, notice).build()
    targets = unit_chats(ctx, notice.unit_ids)
    ctx.send_many([(channel, chat_id, segments) for channel, chat_id, _ in targets], priority=PRIORITY_NOTICE,
                  notice_id=notice.id, ref=f"notice:{notice.id}")
    notice.status, notice.fanned_out_at, notice.chats = NoticeStatus.SENDING, ctx.now, len(targets)
    ctx.session.add(notice)
    return len(targets)


def create(ctx: Context, *, text: str, unit_ids: list[str], targets: list[str], sender: PersonInfo | None,
           origin: tuple[str, str] | None, at: datetime | None = None) -> Notice:
    """Record a notice; fan it out now unless it is scheduled for later."""
    notice = Notice(text=text, sender_id=sender.id if sender else None, origin_channel=origin[0] if origin else None,
                    origin_chat_id=origin[1] if origin else None, targets=targets, unit_ids=unit_ids,
                    status=NoticeStatus.SCHEDULED, scheduled_at=at or ctx.now, created_at=ctx.now)
    ctx.session.add(notice)
    ctx.session.flush()
    if notice.scheduled_at <= ctx.now:
        fan_out(ctx, notice)
    return notice


# -- commands ------------------------------------------------------------------------------
def _send(inv: "Invocation", items: list[str], text: str) -> None:
    ctx, person = inv.ctx, inv.actor.person
    if not may_send(ctx.config, person):
        inv.say(texts.NOTICE_NOT_ALLOWED)
        return
    text = text.strip()
    if not text:
        inv.say(texts.NOTICE_EMPTY.format(usage=inv.parsed.spec.usage))
        return
    if len(text) > ctx.config.notices.max_chars:
        inv.say(texts.NOTICE_TOO_LONG.format(chars=len(text), limit=ctx.config.notices.max_chars))
        return
    try:
        unit_ids = resolve_targets(ctx.roster, items, within=person.unit_id)
    except TargetError as exc:
        inv.say(str(exc))
        return
    if not unit_chats(ctx, unit_ids):
        inv.say(texts.NOTICE_TARGET_EMPTY)
        return
    notice = create(ctx, text=text, unit_ids=unit_ids, targets=items, sender=person, origin=ctx.here)
    named = "、".join(unit_name(ctx, u) for u in unit_ids[:3]) + ("等" if len(unit_ids) > 3 else "")
    inv.say(texts.NOTICE_QUEUED.format(id=notice.id, chats=notice.chats, units=named))


def notice(inv: "Invocation") -> None:
    """通知 <text>: to this group's unit and everything below (private chat: the sender's unit)."""
    ctx, person = inv.ctx, inv.actor.person
    here = ctx.chat.unit_id if ctx.chat is not None else person.unit_id
    if here not in ctx.roster.subtree(person.unit_id):
        here = person.unit_id
    _send(inv, [here], inv.parsed.args)


def notice_to(inv: "Invocation") -> None:
    """通知到 <units,#tags> <text>."""
    head, _, text = inv.parsed.args.strip().partition(" ")
    if not text.strip():
        head, _, text = inv.parsed.args.strip().partition("\n")
    _send(inv, [item for item in _SPLIT.split(head) if item], text)


def receipt(inv: "Invocation") -> None:
    """通知回执 [N]: progress and acknowledgements of a notice (default: my latest)."""
    ctx, person = inv.ctx, inv.actor.person
    match = _NUMBER.match(inv.parsed.args.strip())
    if match:
        notice_row = ctx.session.get(Notice, int(match.group(1)))
        if notice_row is None:
            inv.say(texts.NOTICE_NOT_FOUND.format(id=match.group(1)))
            return
    else:
        notice_row = notice_store.latest_of(ctx.session, person.id)
        if notice_row is None:
            inv.say(texts.NOTICE_NONE_YET)
            return
    mine = set(ctx.roster.subtree(person.unit_id))
    if notice_row.sender_id != person.id and not set(notice_row.unit_ids) <= mine:
        inv.say(texts.NOTICE_NOT_YOURS)
        return
    short = excerpt(notice_row.text, 20)
    if notice_row.status == NoticeStatus.SCHEDULED:
        inv.say(texts.NOTICE_STATUS_SCHEDULED.format(id=notice_row.id, excerpt=short,
                                                     at=local_time(ctx, notice_row.scheduled_at)))
        return
    counts = notice_store.progress(ctx.session, notice_row.id)
    text = texts.NOTICE_STATUS.format(id=notice_row.id, excerpt=short, total=notice_row.chats, **counts)
    chat_units = {(c, chat): unit for c, chat, unit in unit_chats(ctx, notice_row.unit_ids)}
    for channel, chat_id, n in notice_store.acks_by_chat(ctx.session, notice_row.id, 10):
        text += texts.NOTICE_STATUS_GROUP.format(unit=unit_name(ctx, chat_units.get((channel, chat_id), chat_id)),
                                                 acks=n)
    inv.say(text)


# -- acknowledgements ----------------------------------------------------------------------
class NoticeAcks:
    """A reply "收到" to a notice is counted (once per resident), without an answer in the group."""

    name = "notice_acks"

    def handle(self, ctx: HandlerContext) -> bool:
        msg = ctx.message
        if not msg.reply_to_message_id or msg.is_button or ctx.chat is None:
            return False
        words = msg.text.strip()
        if not any(words.startswith(w) for w in ctx.config.notices.ack_words) or len(words) > 20:
            return False
        ref = outbox_store.ref_of_bot_message(ctx.session, msg.channel, msg.chat_id, msg.reply_to_message_id)
        if not ref or not ref.startswith("notice:"):
            return False
        notice_store.add_ack(ctx.session, int(ref.split(":", 1)[1]), channel=msg.channel, chat_id=msg.chat_id,
                             account_id=msg.sender_id, at=ctx.now)
        return True


# -- the job ---------------------------------------------------------------------------------
def fan_out_scheduled(ctx: Context, limit: int) -> int:
    """Scheduled notices whose time has come go out (the state change and the rows commit together)."""
    due = notice_store.due_scheduled(ctx.session, ctx.now, limit)
    for row in due:
        fan_out(ctx, row)
    return len(due)


def _reason(error: str | None) -> str:
    detail = (error or "").strip()
    lowered = detail.lower()
    if any(w in lowered for w in ("kicked", "forbidden", "not found", "deactivated", "removed", "not a member")):
        return texts.NOTICE_REASON_GONE
    return texts.NOTICE_REASON_OTHER.format(detail=detail[:80])


def report_finished(ctx: Context, limit: int) -> int:
    """Notices with nothing left to send: the sender hears how it went, once."""
    done = notice_store.finished_sending(ctx.session, limit)
    for row in done:
        row.status, row.reported_at = NoticeStatus.DONE, ctx.now
        ctx.session.add(row)
        where = (row.origin_channel, row.origin_chat_id) if row.origin_chat_id else None
        if where is None and row.sender_id in ctx.roster.people:
            where = person_chat(ctx, ctx.roster.people[row.sender_id])
        if where is None:
            continue  # sent from the command line: `gridbot notice status` shows it
        counts = notice_store.progress(ctx.session, row.id)
        text = texts.NOTICE_REPORT.format(id=row.id, excerpt=excerpt(row.text, 20), total=row.chats,
                                          sent=counts["sent"], failed=counts["failed"])
        failures = notice_store.failures(ctx.session, row.id, FAILED_LINES)
        units = {(c, chat): unit for c, chat, unit in unit_chats(ctx, row.unit_ids)}
        for channel, chat_id, error in failures:
            text += texts.NOTICE_FAILED_LINE.format(unit=unit_name(ctx, units.get((channel, chat_id), chat_id)),
                                                    channel=channel, reason=_reason(error))
        if counts["failed"] > len(failures):
            text += texts.NOTICE_FAILED_MORE.format(more=counts["failed"] - len(failures))
        if counts["acks"]:
            text += texts.NOTICE_ACKS.format(acks=counts["acks"])
        ctx.send(where[0], where[1], MessageBuilder().text(text).build())
    return len(done)


STEPS = (fan_out_scheduled, report_finished)
