"""Daily digest benchmark: the "digest" job over large household and ticket tables.

Issue: "The daily digest over 100,000 households and 100,000 tickets: time and peak
memory, SQLite and PostgreSQL. Target under 2 s, memory flat in the number of rows."

Modelled on benchmarks/sla_check.py, whose roster, ticket generator, database and
measuring helpers it imports. For each database and each size (H households, T tickets)
the script

* migrates a fresh database (SQLite file in a temporary directory; PostgreSQL: a fresh
  schema via ``?options=-csearch_path%3D<schema>``, dropped afterwards),
* imports a generated town roster with the real roster code: sla_check's town (1 town with
  4 departments, 30 villages x 10 grids, grid workers, village leaders, mediators, police)
  plus the people households are linked to (联户): party members (``party_member``) in every
  grid, one per ``--per-person`` households (12: a few thousand people at 100,000
  households), 2 village cadres (``village_cadre``) per village and one grid instructor
  (``grid_instructor``) per village at the town,
* bulk-inserts T tickets with SQLAlchemy Core exactly as sla_check does (10 % open and
  overdue, ...; assignees as routing picks them: mostly grid workers, disputes to the village
  mediator, security to the village police), but with the follow-up visits (回访) reset:
  ``--followup-share`` of T resolved/closed tickets have their follow-up due by tonight and
  not done (owner: ``origin_assignee_id``), follow-ups not yet due stay open, the rest are done,
* bulk-inserts H households spread evenly over the 300 grids: 2 % key households linked to a
  village cadre or the village's grid instructor (weekly visits under the default cadences),
  3 % unlinked (they fall to the grid worker), the rest linked to a party member of their
  grid; 20 % key households in all (低保户, 独居老人, ...); registered 200-400 days ago, 1 %
  never visited; last visit and contact drawn so that about ``--due-share`` are due by tonight
  or overdue. Due dates and ``cadence_version`` are computed with bot.cadence, so the
  refresh step has nothing to do in the ``digest`` scenario,
* runs ``GridBot.run_job_sync("digest")`` on a FrozenClock, after a warm-up run at 07:00
  local (before the digest time: loads the roster cache, nothing sent) on Tuesday 2026-11-24:

  1. ``digest``: 08:30 local, every digest goes out (one per person with something due, or
     with long-overdue items of their grids to hear about as the leader);
  2. ``repeat``: a minute later, nothing left to send (exactly-once keys in reminder_sent);
  3. ``refresh``: 15:00 local (past digest time + grace, so send_digest does nothing) on a
     second GridBot whose config differs in one cadence (联户每季走访 every 90 days instead of
     91): the refresh step recomputes every household's due dates, the one-off cost after a
     config change.

Each scenario is timed (wall time, wall time per step and chunks, statements sent, outbox and
reminder_sent rows written, RSS high-water growth via /proc/self/clear_refs + VmHWM), then,
on the same database, run again under tracemalloc (peak of Python allocations; its timings
are not reported): for ``digest`` after deleting the reminder_sent and outbox rows the timed
run wrote; for ``refresh`` with the original config, which makes every household stale again.
So each size is seeded once per database. ``--profile`` adds a cProfile run of the same kind
for the largest size and prints the top functions. Figures only: nothing is asserted. The
default run (both databases, 100,000 households and tickets) takes about 3-4 minutes, most of
it seeding.

    .venv/bin/python benchmarks/digest.py                                  # 100,000 each, both databases
    .venv/bin/python benchmarks/digest.py --rows 10000 50000 100000       # flatness in the number of rows
    .venv/bin/python benchmarks/digest.py --households 100000 --tickets 20000 --sqlite-only
    .venv/bin/python benchmarks/digest.py --sqlite-only --profile         # + cProfile of the slow runs
    .venv/bin/python benchmarks/digest.py --postgres postgresql+psycopg://user@host/db --postgres-only
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import logging
import math
import random
import sys
import time
import tracemalloc
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import delete, func, insert, select, text

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))  # sla_check, also when run from elsewhere or imported

import sla_check as sla  # noqa: E402  (its import puts REPO on sys.path as well)

from bot import cadence  # noqa: E402
from bot.app import GridBot  # noqa: E402
from bot.clock import FrozenClock  # noqa: E402
from bot.config import Config, parse_config  # noqa: E402
from bot.nlp import Classifier  # noqa: E402
from bot.roster import parse_roster  # noqa: E402
from bot.storage import roster_store  # noqa: E402
from bot.storage.models import Household, Outbox, ReminderSent, Ticket, TicketReporter  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")  # config.yaml's timezone (checked in main)
DAY = datetime(2026, 11, 24, tzinfo=TZ)  # a Tuesday; local midnight
WARM_AT = DAY.replace(hour=7)  # before the digest time: the job sends nothing
DIGEST_AT = DAY.replace(hour=8, minute=30)  # reminders.digest_time (default 08:30)
REFRESH_AT = DAY.replace(hour=15)  # past digest time + grace_hours (default 6 h)
UNTIL = DAY + timedelta(days=1)  # what the digest lists: due before tonight's midnight
NOW = DIGEST_AT.astimezone(timezone.utc)
BATCH = sla.BATCH
JOB = "digest"

KEY_TAGS = ["低保户", "独居老人", "留守儿童户", "孤寡老人", "残疾户", "边缘监测户", "生活困难户"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "秀英桂英玉兰建国建华志强春梅海燕国庆明华德福金凤丽华红梅文斌永红淑珍振华宝山凤英"
SHARE_CADRE = 0.02  # households linked to a village cadre or grid instructor (all key households)
SHARE_UNLINKED = 0.03  # households with no linked person
SHARE_KEY = 0.20  # key households in all
SHARE_NEVER = 0.01  # never visited nor contacted: due since registration


def grids() -> list[str]:
    return [f"v{v:02d}-g{g}" for v in range(sla.VILLAGES) for g in range(sla.GRIDS_PER_VILLAGE)]


# -- roster --------------------------------------------------------------------------------------
@dataclass
class Linked:
    """Who households are linked to, per grid and per village."""

    party: dict[str, list[str]] = field(default_factory=dict)  # grid -> party members
    cadres: dict[str, list[str]] = field(default_factory=dict)  # village -> cadres + grid instructor

    @property
    def people(self) -> int:
        return sum(map(len, self.party.values())) + sum(map(len, self.cadres.values()))


def digest_roster(households: int, per_person: int) -> tuple[dict[str, Any], Linked]:
    """sla_check's town plus party members in every grid and cadres per village."""
    roster = sla.town_roster()
    people, linked = roster["people"], Linked()
    per_grid = households / len(grids()) * (1 - SHARE_CADRE - SHARE_UNLINKED)
    members = max(1, round(per_grid / per_person))
    for v in range(sla.VILLAGES):
        vid = f"v{v:02d}"
        linked.cadres[vid] = []
        for c in range(2):
            pid = f"{vid}-cadre{c}"
            people.append({"id": pid, "name": f"第{v + 1}村干部{c + 1}", "unit": vid, "roles": ["village_cadre"]})
            linked.cadres[vid].append(pid)
        pid = f"town-instructor-{vid}"
        people.append({"id": pid, "name": f"第{v + 1}村网格指导员", "unit": "town", "roles": ["grid_instructor"]})
        linked.cadres[vid].append(pid)
        for g in range(sla.GRIDS_PER_VILLAGE):
            gid = f"{vid}-g{g}"
            linked.party[gid] = []
            for m in range(members):
                pid = f"{gid}-pm{m}"
                people.append({"id": pid, "name": f"党员{v + 1}-{g + 1}-{m + 1}", "unit": gid,
                               "roles": ["party_member"]})
                linked.party[gid].append(pid)
    return roster, linked


# -- households ----------------------------------------------------------------------------------
def household_rows(config: Config, n: int, linked: Linked, roles: dict[str, list[str]], version: str,
                   due_share: float, rng: random.Random):
    """Batches of household rows. Per cadence kind a household has, its last visit (contact)
    lies uniformly within interval / (1 - p) days back, so it is due with probability p;
    p is chosen so that about ``due_share`` of the households are due (two kinds: 1 - sqrt)."""
    cadences = config.visits.cadences
    all_grids = grids()
    p_one = due_share
    p_two = 1 - math.sqrt(1 - due_share)
    rows: list[dict] = []
    for i in range(n):
        grid = all_grids[i * len(all_grids) // n]
        village = grid.split("-")[0]
        r = rng.random()
        if r < SHARE_CADRE:
            person, key = rng.choice(linked.cadres[village]), True
        elif r < SHARE_CADRE + SHARE_UNLINKED:
            person, key = None, rng.random() < SHARE_KEY
        else:
            members = linked.party[grid]
            person = members[i % len(members)]
            key = rng.random() < (SHARE_KEY - SHARE_CADRE) / (1 - SHARE_CADRE)
        tags = rng.sample(KEY_TAGS, 1 + (rng.random() < 0.2)) if key else []
        registered = NOW - timedelta(days=rng.uniform(200, 400))
        every = cadence.intervals(tags, roles.get(person, []) if person else [], cadences)
        if rng.random() < SHARE_NEVER:
            last_visit = last_contact = None
        else:
            p = p_two if every.visit_days and every.contact_days else p_one
            last_visit = NOW - timedelta(days=rng.uniform(0, (every.visit_days or 91) / (1 - p)))
            last_contact = None
            if every.contact_days:
                last_contact = NOW - timedelta(days=rng.uniform(0, every.contact_days / (1 - p)))
                last_contact = max(last_contact, last_visit)  # a visit is also a contact
        due = cadence.dues(every, registered_at=registered, last_visit_at=last_visit, last_contact_at=last_contact)
        rows.append({
            "id": f"H{i + 1:07d}", "name": f"{rng.choice(SURNAMES)}{rng.choice(GIVEN[::2])}{rng.choice(GIVEN)}户",
            "unit_id": grid, "address": f"{grid} {rng.randrange(1, 40)}号", "tags": tags,
            "linked_person_id": person, "phone": None, "note": None, "active": True,
            "registered_at": registered, "last_visit_at": last_visit, "last_contact_at": last_contact,
            "visit_due_at": due.visit_due_at, "contact_due_at": due.contact_due_at,
            "next_due_at": due.next_due_at, "cadence_version": version,
        })
        if len(rows) >= BATCH:
            yield rows
            rows = []
    if rows:
        yield rows


# -- tickets -------------------------------------------------------------------------------------
def followup_rows(config: Config, n: int, share: float, rng: random.Random):
    """sla_check's tickets (generated as of the digest time) with follow-ups reset: about
    ``share`` x n due by tonight and not done, the ones due later open, the rest done. Two
    passes over the same random stream: the first counts the follow-ups due by tonight."""
    sla.NOW = NOW  # sla_check's generator reads its module's NOW: the tickets' "now" is ours
    layout = sla.plan(config, n, sla.Mix.of(n, 0.1), rng)
    state = rng.getstate()
    due = sum(1 for tickets, _ in sla.ticket_rows(config, layout, rng)
              for t in tickets if t["followup_due_at"] is not None and t["followup_due_at"] < UNTIL)
    rng.setstate(state)
    keep_open = min(1.0, share * n / due) if due else 0.0
    pick = random.Random(rng.random())
    for tickets, reporters in sla.ticket_rows(config, layout, rng):
        for t in tickets:
            t["followup_done_at"] = None
            if t["followup_due_at"] is not None and t["followup_due_at"] < UNTIL and pick.random() >= keep_open:
                t["followup_done_at"] = min(t["followup_due_at"] + timedelta(hours=pick.uniform(1, 72)), NOW)
        yield tickets, reporters


# -- seeding -------------------------------------------------------------------------------------
@dataclass
class Seeded:
    households: int
    tickets: int
    people: int  # in the roster
    linked_people: int
    households_due: int = 0
    households_overdue: int = 0  # due before today
    followups_due: int = 0
    followups_overdue: int = 0
    seconds: float = 0.0


def seed(bot: GridBot, households: int, tickets: int, per_person: int, due_share: float,
         followup_share: float) -> tuple[Seeded, str]:
    t0 = time.perf_counter()
    roster_data, linked = digest_roster(households, per_person)
    roster = parse_roster(roster_data, source="generated town", request_types=set(bot.config.request_types))
    bot.db.run_sync(roster_store.import_roster, roster)
    roles = {p["id"]: list(p["roles"]) for p in roster_data["people"]}
    version = cadence.version(bot.config.visits.cadences, roles)
    rng = random.Random(20261124 + households * 7 + tickets)
    with bot.engine.begin() as conn:
        for rows, reporters in followup_rows(bot.config, tickets, followup_share, rng):
            conn.execute(insert(Ticket.__table__), rows)
            conn.execute(insert(TicketReporter.__table__), reporters)
        if conn.dialect.name == "postgresql":  # ids given explicitly: move the sequence past them
            conn.execute(text("SELECT setval(pg_get_serial_sequence('ticket', 'id'), :n)"), {"n": max(tickets, 1)})
        for rows in household_rows(bot.config, households, linked, roles, version, due_share, rng):
            conn.execute(insert(Household.__table__), rows)
    if bot.engine.dialect.name == "postgresql":  # planner statistics, as autovacuum keeps them (see sla_check)
        with bot.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    facts = Seeded(households, tickets, len(roster_data["people"]), linked.people)
    with bot.engine.connect() as conn:
        facts.households_due, facts.households_overdue = conn.execute(select(
            func.count(), func.count().filter(Household.next_due_at < DAY))
            .where(Household.active, Household.next_due_at < UNTIL)).one()
        facts.followups_due, facts.followups_overdue = conn.execute(select(
            func.count(), func.count().filter(Ticket.followup_due_at < DAY)).where(
            Ticket.followup_due_at < UNTIL, Ticket.followup_done_at.is_(None),
            Ticket.status.in_(("resolved", "closed")))).one()
    facts.seconds = time.perf_counter() - t0
    return facts, version


# -- measuring -----------------------------------------------------------------------------------
class StepTimer:
    """Wall time and chunks (transactions) per step, around GridBot._job_chunk."""

    def __init__(self, bot: GridBot) -> None:
        self.seconds: dict[str, float] = {}
        self.chunks: dict[str, int] = {}
        inner = bot._job_chunk  # noqa: SLF001

        def timed(session, step, chunk):  # noqa: ANN001, ANN202
            t0 = time.perf_counter()
            try:
                return inner(session, step, chunk)
            finally:
                self.seconds[step.__name__] = self.seconds.get(step.__name__, 0.0) + time.perf_counter() - t0
                self.chunks[step.__name__] = self.chunks.get(step.__name__, 0) + 1
        bot._job_chunk = timed  # noqa: SLF001  (instance attribute: bot code unchanged)

    def reset(self) -> None:
        self.seconds, self.chunks = {}, {}


@dataclass
class Result:
    database: str
    seeded: Seeded
    scenario: str
    counts: dict[str, int]
    seconds: float = 0.0
    step_seconds: dict[str, float] = field(default_factory=dict)
    step_chunks: dict[str, int] = field(default_factory=dict)
    statements: int = 0
    outbox: int = 0
    reminders: int = 0
    rss_growth_mib: float | None = None
    peak_mib: float | None = None


class Instrumented:
    """A bot with its statement counter and step timer."""

    def __init__(self, bot: GridBot) -> None:
        self.bot = bot
        self.counter = sla.StatementCounter()
        self.counter.attach(bot.engine)
        self.steps = StepTimer(bot)


def max_id(bot: GridBot, model: Any) -> int:
    with bot.engine.connect() as conn:
        return conn.execute(select(func.coalesce(func.max(model.id), 0))).scalar_one()


def _malloc_trim() -> None:
    """Hand freed heap memory back to the OS (glibc), so the RSS high-water growth measures the
    run, not whether it fits in memory the seeding left free in the process."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def run_digest(database: str, seeded: Seeded, scenario: str, it: Instrumented, *, trace: bool = False,
               profile: cProfile.Profile | None = None) -> Result:
    bot = it.bot
    outbox0, sent0 = max_id(bot, Outbox), max_id(bot, ReminderSent)
    it.steps.reset()
    gc.collect()
    _malloc_trim()
    statements = it.counter.count
    hwm_ok = sla._reset_hwm()  # noqa: SLF001
    rss_before = sla._proc_kib("VmRSS")  # noqa: SLF001
    if trace:
        tracemalloc.start()
    if profile is not None:
        profile.enable()
    t0 = time.perf_counter()
    counts = bot.run_job_sync(JOB)
    seconds = time.perf_counter() - t0
    if profile is not None:
        profile.disable()
    peak = None
    if trace:
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    hwm = sla._proc_kib("VmHWM") if hwm_ok else None  # noqa: SLF001
    growth = max(0.0, (hwm - rss_before) / 1024) if hwm is not None and rss_before is not None else None
    with bot.engine.connect() as conn:
        outbox = conn.execute(select(func.count()).select_from(Outbox).where(Outbox.id > outbox0)).scalar_one()
        reminders = conn.execute(select(func.count()).select_from(ReminderSent)
                                 .where(ReminderSent.id > sent0)).scalar_one()
    return Result(database, seeded, scenario, counts, seconds, dict(it.steps.seconds), dict(it.steps.chunks),
                  it.counter.count - statements, outbox, reminders, growth, peak)


def undo_digest(bot: GridBot) -> None:
    """Delete the digest's reminder_sent keys and the outbox (only digests are in it), so the
    next run sends everything again."""
    with bot.engine.begin() as conn:
        conn.execute(delete(ReminderSent).where(ReminderSent.job == JOB))
        conn.execute(delete(Outbox))


def set_clock(clock: FrozenClock, at: datetime) -> None:
    clock.advance(seconds=(at - clock.now()).total_seconds())


def other_cadences(config_data: dict) -> dict:
    """The same config with 联户每季走访 every 90 days instead of 91 (defaults if config.yaml has none)."""
    from bot.config import VisitsConfig

    visits = config_data.get("visits") or VisitsConfig().model_dump()
    cadences = [dict(rule) for rule in visits["cadences"]]
    quarterly = max(range(len(cadences)), key=lambda i: (cadences[i].get("kind", "visit") == "visit",
                                                          cadences[i]["every_days"]))
    cadences[quarterly]["every_days"] = cadences[quarterly]["every_days"] - 1
    return {**config_data, "visits": {**visits, "cadences": cadences}}


def scenarios(database: str, url: str, config_data: dict, classifier: Classifier, households: int, tickets: int,
              args: argparse.Namespace, *, profile: dict[str, cProfile.Profile] | None) -> list[Result]:
    def make_bot(data: dict, clock: FrozenClock) -> GridBot:
        config = parse_config({**data, "database_url": url}, source="benchmark-config", base_dir=REPO, environ={})
        return GridBot(config, clock=clock, channels=[], classifier=classifier, run_jobs=False)

    clock = FrozenClock(WARM_AT)
    bot = make_bot(config_data, clock)
    changed: GridBot | None = None
    try:
        bot.prepare_database()
        seeded, version = seed(bot, households, tickets, args.per_person, args.due_share, args.followup_share)
        print(f"  {database}: {households:,} households, {tickets:,} tickets, {seeded.people:,} people "
              f"seeded in {seeded.seconds:.1f} s", file=sys.stderr, flush=True)
        it = Instrumented(bot)
        warm = bot.run_job_sync(JOB)  # before digest time: loads the roster cache, compiles queries
        if sum(warm.values()):
            print(f"  warning: warm-up run handled {warm}", file=sys.stderr)
        results: list[Result] = []

        # 1. digest: everything goes out.
        set_clock(clock, DIGEST_AT)
        first = run_digest(database, seeded, "digest", it)
        results.append(first)
        extra = [("memory", None)] if not args.no_memory_pass else []
        if profile is not None:
            extra.append(("profile", profile.setdefault(f"{database} {households:,}/{tickets:,} digest",
                                                         cProfile.Profile())))
        for kind, prof in extra:
            undo_digest(bot)
            again = run_digest(database, seeded, "digest", it, trace=kind == "memory", profile=prof)
            if kind == "memory":
                first.peak_mib = again.peak_mib
            if again.counts != first.counts or again.outbox != first.outbox:
                print(f"  note: {kind} run handled {again.counts} ({again.outbox} messages), "
                      f"timed run {first.counts} ({first.outbox})", file=sys.stderr)

        # 2. repeat: a minute later nothing is left to send.
        clock.advance(minutes=1)
        repeat = run_digest(database, seeded, "repeat", it)
        results.append(repeat)
        if not args.no_memory_pass:
            repeat.peak_mib = run_digest(database, seeded, "repeat", it, trace=True).peak_mib

        # 3. refresh: another cadence config on the same database recomputes every household.
        set_clock(clock, REFRESH_AT)
        changed = make_bot(other_cadences(config_data), clock)
        changed.prepare_database()  # nothing to do: already migrated, no roster file
        changed_it = Instrumented(changed)
        changed.db.run_sync(changed.roster_cache.get)  # as in a running bot: roster cache loaded
        refresh = run_digest(database, seeded, "refresh", changed_it)
        results.append(refresh)
        # Memory (and profile) runs: alternate configs, so each run finds every household stale.
        runs = [] if args.no_memory_pass else [("memory", it, None)]
        if profile is not None:
            runs.append(("profile", changed_it if runs else it,
                         profile.setdefault(f"{database} {households:,}/{tickets:,} refresh", cProfile.Profile())))
        for kind, runner, prof in runs:
            again = run_digest(database, seeded, "refresh", runner, trace=kind == "memory", profile=prof)
            if kind == "memory":
                refresh.peak_mib = again.peak_mib
            if again.counts.get("refresh_household_dues") != refresh.counts.get("refresh_household_dues"):
                print(f"  note: {kind} refresh run handled {again.counts}, timed run {refresh.counts}",
                      file=sys.stderr)
        if first.counts.get("refresh_household_dues"):
            print(f"  warning: the digest run refreshed {first.counts['refresh_household_dues']} households "
                  f"(seeded cadence_version {version} is stale)", file=sys.stderr)
        return results
    finally:
        if changed is not None:
            changed.engine.dispose()
        bot.engine.dispose()


# -- output --------------------------------------------------------------------------------------
SHORT = {"refresh_household_dues": "refresh", "send_digest": "send"}


def fmt_steps(r: Result) -> str:
    parts = []
    for key, value in r.counts.items():
        took, chunks = r.step_seconds.get(key), r.step_chunks.get(key, 0)
        parts.append(f"{SHORT.get(key, key)}={value:,}" + (f" ({took:.2f} s, {chunks} tx)" if took is not None else ""))
    return " ".join(parts) or "-"


def print_data(seeded: list[tuple[str, Seeded]]) -> None:
    head = (f"{'database':10} {'households':>10} {'due':>7} {'overdue':>7} {'tickets':>8} {'follow-ups due':>14} "
            f"{'overdue':>7} {'people':>6} {'linked':>6} {'seeded s':>8}")
    print(head)
    print("-" * len(head))
    for database, s in seeded:
        print(f"{database:10} {s.households:10,} {s.households_due:7,} {s.households_overdue:7,} {s.tickets:8,} "
              f"{s.followups_due:14,} {s.followups_overdue:7,} {s.people:6,} {s.linked_people:6,} {s.seconds:8.1f}")


def print_table(rows: list[Result]) -> None:
    head = (f"{'database':10} {'households':>10} {'tickets':>8} {'scenario':8} {'seconds':>8} {'SQL stmts':>9} "
            f"{'outbox':>6} {'reminders':>9} {'peak MiB':>8} {'RSS+ MiB':>8}  per step: handled (wall time, transactions)")
    print(head)
    print("-" * len(head))
    for r in rows:
        peak = f"{r.peak_mib:8.1f}" if r.peak_mib is not None else f"{'n/a':>8}"
        rss = f"{r.rss_growth_mib:8.1f}" if r.rss_growth_mib is not None else f"{'n/a':>8}"
        print(f"{r.database:10} {r.seeded.households:10,} {r.seeded.tickets:8,} {r.scenario:8} {r.seconds:8.3f} "
              f"{r.statements:9,} {r.outbox:6,} {r.reminders:9,} {peak} {rss}  {fmt_steps(r)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", metavar="N",
                        help="sizes to run, N households and N tickets each (default 100000)")
    parser.add_argument("--households", type=int, nargs="+", metavar="N", help="household counts (with --tickets)")
    parser.add_argument("--tickets", type=int, nargs="+", metavar="N",
                        help="ticket counts, paired with --households (one value applies to every size)")
    parser.add_argument("--per-person", type=int, default=12, help="households per linked party member (联户)")
    parser.add_argument("--due-share", type=float, default=0.15, help="share of households due by tonight")
    parser.add_argument("--followup-share", type=float, default=0.10,
                        help="follow-ups due by tonight and not done, as a share of the tickets")
    parser.add_argument("--postgres", default=sla.DEFAULT_PG, metavar="URL", help="PostgreSQL server (a fresh "
                        "schema is created per run and dropped afterwards)")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--sqlite-only", action="store_true")
    only.add_argument("--postgres-only", action="store_true")
    parser.add_argument("--no-memory-pass", action="store_true", help="skip the tracemalloc runs")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the digest and refresh runs of the largest size (an extra run each)")
    parser.add_argument("--profile-top", type=int, default=25)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    if args.rows and (args.households or args.tickets):
        parser.error("--rows or --households/--tickets, not both")
    if args.rows:
        sizes = [(n, n) for n in args.rows]
    else:
        hs = args.households or [100_000]
        ts = args.tickets or [100_000]
        if len(ts) == 1:
            ts = ts * len(hs)
        elif len(hs) == 1:
            hs = hs * len(ts)
        if len(hs) != len(ts):
            parser.error("--households and --tickets need the same number of values (or one of them a single value)")
        sizes = list(zip(hs, ts))

    config_data = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    config_data = {**config_data, "roster": None, "http": {"host": "127.0.0.1", "port": 0}}
    base = parse_config(config_data, source="config.yaml", base_dir=REPO, environ={})
    if base.timezone != "Asia/Shanghai":
        raise SystemExit(f"the benchmark's day is set in Asia/Shanghai; config.yaml says {base.timezone}")
    reminders = base.reminders
    classifier = Classifier.from_config(base)
    databases = [] if args.postgres_only else ["sqlite"]
    databases += [] if args.sqlite_only else ["postgresql"]
    dbs = sla.Databases(args.postgres)
    rows: list[Result] = []
    seeded: list[tuple[str, Seeded]] = []
    profiles: dict[str, cProfile.Profile] = {}
    largest = max(sizes, key=lambda s: s[0] + s[1])
    started = time.perf_counter()
    try:
        for database in databases:
            for households, tickets in sizes:
                url = dbs.sqlite() if database == "sqlite" else dbs.postgres()
                try:
                    result = scenarios(database, url, config_data, classifier, households, tickets, args,
                                       profile=profiles if args.profile and (households, tickets) == largest else None)
                finally:
                    dbs.drop(url)
                rows += result
                seeded.append((database, result[0].seeded))
    finally:
        dbs.close()

    print(f"\nDaily digest (job \"digest\"), Tuesday {DAY:%Y-%m-%d}, {base.timezone}; digest_time "
          f"{reminders.digest_time}, grace {reminders.grace_hours:g} h, leader told after "
          f"{reminders.tell_leader_after_days} days; roster: sla_check's town ({sla.VILLAGES} villages, "
          f"{sla.VILLAGES * sla.GRIDS_PER_VILLAGE} grids) + party members (1 per {args.per_person} households), "
          f"village cadres, grid instructors; each step in one transaction, batched inside\n")
    print_data(seeded)
    print("\ndue / follow-ups due: due by tonight, not done (overdue: due before today). people: roster size; "
          "linked: party members, cadres and instructors households are linked to.\n")
    print("digest = 08:30, every digest sent; repeat = a minute later, nothing to send; refresh = 15:00 on a bot "
          "whose config has one cadence changed (91 -> 90 days): every household's due dates recomputed\n")
    print_table(rows)
    print("\nsend=N: people whose digest was claimed (reminder_sent rows); outbox: messages queued (one per person "
          "reached). peak MiB: tracemalloc peak\nof Python allocations (separate run on the same data). RSS+ MiB: "
          "growth of the process RSS high-water mark during the timed run.")
    print("target: < 2 s per digest; memory flat in the number of rows.")
    worst = max((r for r in rows if r.scenario != "refresh"), key=lambda r: r.seconds, default=None)
    if worst is not None:
        print(f"slowest digest run: {worst.database} {worst.seeded.households:,} households / "
              f"{worst.seeded.tickets:,} tickets, {worst.scenario}: {worst.seconds:.2f} s")
    print(f"(total run time {time.perf_counter() - started:.0f} s)")
    if profiles:
        sla.print_profiles(profiles, args.profile_top)


if __name__ == "__main__":
    main()
