"""The daily digest: each worker's follow-up visits (回访) and household visits (走访) that are
overdue or due today, in one message with an @ per person; items overdue
``reminders.tell_leader_after_days`` or more are listed to the grid leader as well.

Everything is derived from the database (due dates on tickets and households). The plan
comes from counts grouped by (owner, unit) and the listed items from one ranked query per
kind (at most ``LINES`` per owner and unit), so memory grows with the roster, not with the
number of tickets and households. Each person's digest is claimed once per day under the
key (digest, person, date) in the transaction that queues it, so a re-run, a restart or a
second replica sends nobody a second digest. A digest missed while the bot was down goes
out on start-up within ``reminders.grace_hours`` of ``reminders.digest_time``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from .. import cadence
from ..config import clock_time
from ..delivery import PRIORITY_NOTICE
from ..messages import MessageBuilder
from ..storage import households as household_store
from ..storage import reminders
from ..storage import tickets as ticket_store
from ..storage.households import Bucket
from ..storage.roster_index import PersonInfo, RosterIndex
from . import routing, texts
from .base import Context
from .notify import excerpt, mention, person_chat, type_name

log = logging.getLogger(__name__)

JOB = "digest"
# Lines per section; the rest are counted.
LINES = 10
# People whose keys and messages are written per statement.
BATCH = 1000


def roles_of(ctx: Context):  # noqa: ANN201
    people = ctx.roster.people
    return lambda person_id: people[person_id].roles if person_id in people else ()


_versions: dict[tuple[int, int], str] = {}


def cadence_version(ctx: Context) -> str:
    """The cadence fingerprint, once per roster revision and config (it reads every person)."""
    key = (ctx.roster.revision, id(ctx.config.visits))
    if key not in _versions:
        _versions.clear()
        _versions[key] = cadence.version(ctx.config.visits.cadences,
                                         {p.id: p.roles for p in ctx.roster.people.values()})
    return _versions[key]


def refresh_household_dues(ctx: Context, limit: int) -> int:
    """Due dates computed under other rules (config or roster changed) are recomputed first,
    all in this call (batched inside)."""
    return household_store.refresh_stale(ctx.session, version=cadence_version(ctx), cadences=ctx.config.visits.cadences,
                                         roles_of=roles_of(ctx))


def visitor_of(roster: RosterIndex, owner: str, unit_id: str) -> PersonInfo | None:
    """Who a due item falls to: its owner, or for an unowned one (no linked person, or someone
    no longer in the roster) the nearest grid worker, else the leader."""
    if owner and owner in roster.people:
        return roster.people[owner]
    for role in routing.FALLBACK_ROLES:
        for unit in roster.chain(unit_id):
            for person in roster.people_of(unit.id):
                if person.has_role(role):
                    return person
    return None


@dataclass
class _Plan:
    followups: list[Bucket] = field(default_factory=list)
    visits: list[Bucket] = field(default_factory=list)
    # Buckets overdue long enough, with the person they fall to.
    lead_followups: list[tuple[Bucket, PersonInfo]] = field(default_factory=list)
    lead_visits: list[tuple[Bucket, PersonInfo]] = field(default_factory=list)

    @property
    def items(self) -> int:
        return (sum(b.due for b in self.followups) + sum(b.due for b in self.visits)
                + sum(b.for_leader for b, _ in self.lead_followups) + sum(b.for_leader for b, _ in self.lead_visits))


@dataclass(frozen=True)
class _Day:
    period: str
    start: datetime  # local midnight
    until: datetime  # next midnight
    leader_before: datetime


def _today(ctx: Context) -> _Day | None:
    """Today's digest window, or None when it is not (or no longer) time to send."""
    settings = ctx.config.reminders
    local = ctx.now.astimezone(ctx.config.tz)
    at = datetime.combine(local.date(), clock_time(settings.digest_time), ctx.config.tz)
    if not at <= ctx.now <= at + timedelta(hours=settings.grace_hours):
        return None
    start = datetime.combine(local.date(), time(0), ctx.config.tz)
    return _Day(period=local.date().isoformat(), start=start, until=start + timedelta(days=1),
                leader_before=start - timedelta(days=settings.tell_leader_after_days - 1))


def send_digest(ctx: Context, limit: int) -> int:
    """Everyone's digest for today in one transaction: the plan (who hears of what) is built
    once from grouped counts, the listed items come from one ranked query per kind, and the
    keys, then the messages, are written a batch of people at a time."""
    day = _today(ctx)
    if day is None:
        return 0
    session, roster = ctx.session, ctx.roster
    visitors: dict[tuple[str, str], PersonInfo | None] = {}
    leaders: dict[tuple[str, str], PersonInfo | None] = {}
    plans: dict[str, _Plan] = {}
    for kind, buckets in (
        ("followups", ticket_store.followup_buckets(session, until=day.until, today=day.start,
                                                    leader_before=day.leader_before)),
        ("visits", household_store.due_buckets(session, until=day.until, today=day.start,
                                               leader_before=day.leader_before)),
    ):
        for bucket in buckets:
            key = (bucket.owner, bucket.unit_id)
            if key not in visitors:
                visitors[key] = visitor_of(roster, bucket.owner, bucket.unit_id)
            person = visitors[key]
            if person is None:
                log.warning("%d %s due in %s and nobody in the roster to remind", bucket.due, kind, bucket.unit_id)
                continue
            getattr(plans.setdefault(person.id, _Plan()), kind).append(bucket)
            if bucket.for_leader:
                lead_key = (bucket.unit_id, person.id)
                if lead_key not in leaders:
                    leaders[lead_key] = routing.find_leader(roster, bucket.unit_id, exclude=person.id)
                leader = leaders[lead_key]
                if leader is not None:
                    getattr(plans.setdefault(leader.id, _Plan()), "lead_" + kind).append((bucket, person))
    sent = reminders.sent_targets(session, JOB, day.period)
    todo: list[tuple[PersonInfo, tuple[str, str]]] = []
    for person_id in sorted(p for p in plans if p not in sent):
        where = person_chat(ctx, roster.people[person_id])
        if where is None:
            log.warning("daily digest for %s: no group to reach them in", person_id)
            continue
        todo.append((roster.people[person_id], where))
    if not todo:
        return 0
    followups = _by_bucket(ticket_store.followup_items(session, until=day.until, per_bucket=LINES))
    visits = _by_bucket(household_store.due_items(session, until=day.until, per_bucket=LINES))
    for start in range(0, len(todo), BATCH):
        batch = todo[start:start + BATCH]
        claimed = reminders.claim(session, JOB, day.period, {p.id: plans[p.id].items for p, _ in batch}, ctx.now)
        ctx.send_many([(channel, chat_id, _compose(ctx, day, person, channel, plans[person.id], followups, visits))
                       for person, (channel, chat_id) in batch if person.id in claimed], priority=PRIORITY_NOTICE)
    return len(todo)


STEPS = (refresh_household_dues, send_digest)


def _when(ctx: Context, day: _Day, due: datetime) -> str:
    days = (day.start.date() - due.astimezone(ctx.config.tz).date()).days
    return texts.DIGEST_DUE_TODAY if days <= 0 else texts.DIGEST_OVERDUE_DAYS.format(days=days)


def _visit_what(household, day: _Day) -> str:  # noqa: ANN001
    if household.visit_due_at is not None and household.visit_due_at < day.until:
        return texts.DIGEST_VISIT_IN_PERSON
    return texts.DIGEST_VISIT_CONTACT


def _by_bucket(rows: list) -> dict[tuple[str, str], list]:
    """Ranked item rows grouped by (owner, unit), soonest due first."""
    out: dict[tuple[str, str], list] = {}
    for row in sorted(rows, key=lambda r: (r.owner, r.unit_id, r.rank)):
        out.setdefault((row.owner, row.unit_id), []).append(row)
    return out


def _section(buckets: list[Bucket], items: dict, head: str, due, line) -> str:  # noqa: ANN001
    """A section's head with its counts, then its first lines, soonest due first."""
    total = sum(b.due for b in buckets)
    overdue = sum(b.overdue for b in buckets)
    rows = sorted((row for b in buckets for row in items.get((b.owner, b.unit_id), [])),
                  key=lambda row: (due(row), row.id))
    text = head.format(count=total, overdue=texts.DIGEST_OVERDUE_COUNT.format(count=overdue) if overdue else "")
    text += "".join(line(row) for row in rows[:LINES])
    if total > min(len(rows), LINES):
        text += texts.DIGEST_MORE.format(more=total - min(len(rows), LINES))
    return text


def _compose(ctx: Context, day: _Day, person: PersonInfo, channel: str, plan: _Plan, followups: dict,
             visits: dict) -> tuple:
    msg = mention(ctx, MessageBuilder().text(texts.DIGEST_HEAD), person, channel)
    own = plan.followups or plan.visits
    if own:
        local = day.start
        msg.text(texts.DIGEST_INTRO.format(date=f"{local.month}月{local.day}日"))
    if plan.followups:
        msg.text(_section(plan.followups, followups, texts.DIGEST_FOLLOWUPS, lambda r: r.followup_due_at,
                          lambda r: texts.DIGEST_FOLLOWUP_LINE.format(
                              number=r.id, type_name=type_name(ctx, r.type), text=excerpt(r.text, 24),
                              when=_when(ctx, day, r.followup_due_at))))
    if plan.visits:
        msg.text(_section(plan.visits, visits, texts.DIGEST_VISITS, lambda h: h.next_due_at,
                          lambda h: texts.DIGEST_VISIT_LINE.format(
                              name=h.name, id=h.id, what=_visit_what(h, day), when=_when(ctx, day, h.next_due_at))))
    if own:
        msg.text(texts.DIGEST_HOW)
    if plan.lead_followups or plan.lead_visits:
        lines = []
        for bucket, worker in plan.lead_followups:
            for row in followups.get((bucket.owner, bucket.unit_id), []):
                if row.followup_due_at >= day.leader_before:
                    break  # rows are soonest due first
                lines.append((row.followup_due_at, texts.DIGEST_LEADER_LINE.format(
                    who=worker.name, what=texts.DIGEST_LEADER_FOLLOWUP.format(
                        number=row.id, when=_when(ctx, day, row.followup_due_at)))))
        for bucket, worker in plan.lead_visits:
            for row in visits.get((bucket.owner, bucket.unit_id), []):
                if row.next_due_at >= day.leader_before:
                    break
                lines.append((row.next_due_at, texts.DIGEST_LEADER_LINE.format(
                    who=worker.name, what=texts.DIGEST_LEADER_VISIT.format(
                        name=row.name, when=_when(ctx, day, row.next_due_at)))))
        lines.sort(key=lambda item: item[0])
        total = sum(b.for_leader for b, _ in plan.lead_followups) + sum(b.for_leader for b, _ in plan.lead_visits)
        head = texts.DIGEST_LEADER.format(days=ctx.config.reminders.tell_leader_after_days)
        msg.text(head if own else " " + head.lstrip())
        msg.text("".join(text for _, text in lines[:LINES]))
        if total > min(len(lines), LINES):
            msg.text(texts.DIGEST_MORE.format(more=total - min(len(lines), LINES)))
    return msg.build()
