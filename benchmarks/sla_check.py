"""SLA check benchmark: the supervision job (督办) over a large ticket table.

Issue: "the SLA check over 100,000 tickets (10% overdue) in SQLite and
PostgreSQL: time per check and peak memory. Target: under 1 s per check,
memory flat in the number of tickets."

For each database and each ticket count N the script

* migrates a fresh database (SQLite file in a temporary directory; PostgreSQL:
  a fresh schema via ``?options=-csearch_path%3D<schema>``, dropped afterwards),
* imports a generated town roster with the real roster code (1 town with 4
  departments, 30 villages x 10 grids = 300 grids; every unit has its web chat
  group; 1-2 grid workers per grid; a leader, a mediator and a police officer
  per village; leaders at the town),
* bulk-inserts N tickets with SQLAlchemy Core (not through the handlers), one
  ``ticket_reporter`` row each. Mix: ``--overdue-share`` open and past their
  current deadline with ``sla_stage = 0``; 5 % open with deadlines more than
  6 h ahead; 1 % resolved with an expired rating deadline; 4 % resolved and
  waiting for a rating; 1 % rejected; the rest closed. Created over the last 60
  days, ids in creation order, assignees chosen as the routing rule would
  (handler role nearest up the tree: grid workers, village mediators/police/leaders),
* runs ``GridBot.run_job_sync("supervision")`` on a FrozenClock, after a
  warm-up run at a time when nothing is due (loads the roster cache, as in a
  running bot):

  1. ``first``: every overdue ticket gets its reminder (and the 1 % expired
     ratings close as unrated);
  2. ``steady``: right after, nothing left to do;
  3. ``escalation``: the clock moved 5 h (past the 4 h grace), every reminded
     ticket goes up one level.

Each scenario runs on freshly seeded databases twice: a timed pass (wall time,
wall time per step, statements sent, outbox and ticket_event rows written, RSS
high-water growth via /proc/self/clear_refs + VmHWM) and a memory pass under
tracemalloc (peak of Python allocations during the check; tracemalloc slows
Python down, so its timings are not reported). ``--profile`` adds a third pass
for the largest N under cProfile and prints the top functions. Figures only:
nothing is asserted. The default run (both databases, 100,000 tickets) takes about
4 minutes, half of it seeding; ``--no-memory-pass`` halves that.

    .venv/bin/python benchmarks/sla_check.py                                # 100,000 tickets, both databases
    .venv/bin/python benchmarks/sla_check.py --tickets 10000 50000 100000  # flatness in N
    .venv/bin/python benchmarks/sla_check.py --sqlite-only --profile       # + cProfile of the slow checks
    .venv/bin/python benchmarks/sla_check.py --postgres postgresql+psycopg://user@host/db --postgres-only
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import logging
import pstats
import random
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import create_engine, event, func, insert, select, text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.app import GridBot  # noqa: E402
from bot.clock import FrozenClock  # noqa: E402
from bot.config import Config, parse_config  # noqa: E402
from bot.nlp import Classifier  # noqa: E402
from bot.roster import parse_roster  # noqa: E402
from bot.storage import roster_store  # noqa: E402
from bot.storage.models import Outbox, Ticket, TicketEvent, TicketReporter  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# Monday 2026-11-23 10:00 in Shanghai.
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
GRACE_PLUS = 5.0  # hours the clock moves before the escalation check (default grace: 4 h)
CHANNEL = "webchat"  # every unit's built-in group: chat id = unit id
BATCH = 5000  # rows per Core executemany

VILLAGES = 30
GRIDS_PER_VILLAGE = 10
DEPARTMENTS = [("police", "派出所"), ("chengguan", "城管中队"), ("market", "市场监管所"), ("justice", "司法所")]

# (type key, weight, texts) - weights roughly as a town's tickets spread.
PROBLEMS: dict[str, tuple[int, list[str]]] = {
    "repair": (30, ["的路灯坏了一个多星期了，晚上黑灯瞎火的", "下水道堵了，污水往外冒", "井盖丢了，小孩子走路很危险",
                    "水管爆了，水漫了一地", "楼道灯不亮，老人上下楼不方便"]),
    "environment": (25, ["垃圾堆了好几天没人清运，臭得不行", "有人往河道里乱倒建筑垃圾", "公厕好久没人打扫了"]),
    "safety": (10, ["有人私拉电线给电动车充电，太危险了", "广告牌松了，风一吹晃得厉害", "消防通道被杂物堵死了"]),
    "security": (8, ["最近老有陌生人晚上转悠，电动车被偷了两辆", "广场舞音响声音太大，晚上十点还在跳"]),
    "dispute": (10, ["两家人因为宅基地吵起来了", "楼上漏水漏到我家，邻居不管"]),
    "assistance": (7, ["的独居老人好几天没出门了，家里也没人照顾", "低保户家里房子漏雨，过冬困难"]),
    "inquiry": (7, ["请问城乡居民医保今年怎么交，在哪里办理", "高龄补贴需要什么材料"]),
    "suggestion": (3, ["建议在路口装个减速带，车开得太快", "希望村里增设几个垃圾桶"]),
}
PLACES = ["3号楼", "村口", "老街菜市场旁", "小区东门", "5组", "锦园小区2栋", "学校门口", "河堤边", "我家楼下", "村委会后面"]
SATISFACTION = ["satisfied"] * 6 + ["basically_satisfied"] * 2 + ["dissatisfied", "unrated"]


# -- roster --------------------------------------------------------------------------------------
def town_roster() -> dict[str, Any]:
    """A dict shaped like examples/roster.yaml: one town, departments, 30 villages x 10 grids."""
    people: list[dict[str, Any]] = [
        {"id": "town-leader", "name": "镇网格中心主任", "unit": "town", "roles": ["grid_leader", "centre_staff"]},
        {"id": "town-staff", "name": "镇网格中心干事", "unit": "town", "roles": ["centre_staff"]},
    ]
    children: list[dict[str, Any]] = []
    for key, name in DEPARTMENTS:
        children.append({"id": f"dept-{key}", "name": name, "level": "department"})
        people.append({"id": f"dept-{key}-contact", "name": f"{name}联络员", "unit": f"dept-{key}",
                       "roles": ["department_contact"]})
    for v in range(VILLAGES):
        vid = f"v{v:02d}"
        grids = []
        for g in range(GRIDS_PER_VILLAGE):
            gid = f"{vid}-g{g}"
            grids.append({"id": gid, "name": f"第{v + 1}村第{g + 1}网格", "level": "grid"})
            for w in range(2 if g % 3 == 0 else 1):  # every third grid has two workers
                people.append({"id": f"{gid}-w{w}", "name": f"网格员{v + 1}-{g + 1}-{w + 1}", "unit": gid,
                               "roles": ["grid_worker"]})
        children.append({"id": vid, "name": f"第{v + 1}村", "level": "village", "children": grids})
        people += [
            {"id": f"{vid}-leader", "name": f"第{v + 1}村书记", "unit": vid, "roles": ["grid_leader", "branch_secretary"]},
            {"id": f"{vid}-mediator", "name": f"第{v + 1}村调解员", "unit": vid, "roles": ["mediator"]},
            {"id": f"{vid}-police", "name": f"第{v + 1}村警务员", "unit": vid, "roles": ["police"]},
        ]
    return {"units": [{"id": "town", "name": "青山镇网格化综合服务中心", "level": "town", "children": children}],
            "people": people}


def grid_assignees(config: Config) -> dict[tuple[str, str], list[str]]:
    """(grid, type) -> candidate assignees: the type's handler role nearest up the tree, as routing picks."""
    out: dict[tuple[str, str], list[str]] = {}
    for v in range(VILLAGES):
        vid = f"v{v:02d}"
        village_role = {"mediator": [f"{vid}-mediator"], "police": [f"{vid}-police"],
                        "grid_leader": [f"{vid}-leader"]}
        for g in range(GRIDS_PER_VILLAGE):
            gid = f"{vid}-g{g}"
            workers = [f"{gid}-w{w}" for w in range(2 if g % 3 == 0 else 1)]
            for key, spec in config.request_types.items():
                out[(gid, key)] = workers if spec.handler_role == "grid_worker" else \
                    village_role.get(spec.handler_role, workers)
    return out


# -- tickets -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Mix:
    overdue: int
    open_future: int
    rating_expired: int
    resolved: int
    rejected: int
    closed: int

    @classmethod
    def of(cls, n: int, overdue_share: float) -> "Mix":
        overdue = round(n * overdue_share)
        open_future, rating_expired = round(n * 0.05), round(n * 0.01)
        resolved, rejected = round(n * 0.04), round(n * 0.01)
        closed = n - overdue - open_future - rating_expired - resolved - rejected
        if closed < 0:
            raise SystemExit(f"--overdue-share {overdue_share} leaves no room for the other 11 % of tickets")
        return cls(overdue, open_future, rating_expired, resolved, rejected, closed)


def _hours(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(hours=rng.uniform(low, high))


def plan(config: Config, n: int, mix: Mix, rng: random.Random) -> list[tuple[datetime, str, str, bool]]:
    """(created_at, category, type, urgent) per ticket, in creation order (ticket numbers follow
    creation). Creation times follow each type's configured deadlines, so exactly ``mix.overdue``
    tickets are past their current deadline now and the other open ones stay on time beyond the
    escalation check (clock + 5 h)."""
    types = [k for k in PROBLEMS if k in config.request_types] or list(config.request_types)
    weights = [PROBLEMS[k][0] if k in PROBLEMS else 1 for k in types]
    rating_h = config.feedback.rating_days * 24
    margin = GRACE_PLUS + 1  # hours a "future" deadline stays ahead of NOW

    def deadlines_h(type_key: str, urgent: bool) -> tuple[float, float]:
        if urgent:
            return config.urgent.accept_hours, config.urgent.resolve_days * 24
        spec = config.request_types[type_key]
        return spec.accept_hours, spec.resolve_days * 24

    def ago(low_h: float, high_h: float) -> datetime:  # between low and high hours before NOW
        return NOW - timedelta(hours=rng.uniform(low_h, max(low_h, high_h)))

    categories = (["overdue"] * mix.overdue + ["future"] * mix.open_future
                  + ["rating_expired"] * mix.rating_expired + ["resolved"] * mix.resolved
                  + ["rejected"] * mix.rejected + ["closed"] * mix.closed)
    rows: list[tuple[datetime, str, str, bool]] = []
    for category in categories:
        urgent = category in ("overdue", "closed") and rng.random() < 0.01
        type_key = config.urgent.default_type if urgent else rng.choices(types, weights)[0]
        accept_h, resolve_h = deadlines_h(type_key, urgent)
        if category == "overdue":
            if rng.random() < 0.5:  # waiting for acceptance, accept deadline passed
                category, created = "overdue_accept", ago(accept_h + 1, accept_h + 14 * 24)
            else:  # accepted, resolve deadline passed
                category, created = "overdue_resolve", ago(resolve_h + 1, resolve_h + 21 * 24)
        elif category == "future":
            if rng.random() < 0.4 and accept_h > margin + 0.2:  # new, accept deadline ahead
                category, created = "future_accept", ago(0.1, accept_h - margin)
            else:  # accepted, resolve deadline ahead
                category, created = "future_resolve", ago(0.5, resolve_h - margin)
        elif category == "rating_expired":  # resolved more than rating_days ago
            created = ago(rating_h + 6 * 24 + 2, rating_h + 26 * 24)
        elif category == "resolved":  # resolved recently: rating deadline ahead
            created = ago(1.5, 8 * 24)
        elif category == "rejected":
            created = ago(24, 60 * 24)
        else:
            created = ago(rating_h + 3 * 24 + 2, 60 * 24)
        rows.append((created, category, type_key, urgent))
    rows.sort(key=lambda r: r[0])
    return rows


def ticket_rows(config: Config, layout: list[tuple[datetime, str, str, bool]], rng: random.Random
                ) -> Iterator[tuple[list[dict], list[dict]]]:
    """Batches of (ticket rows, ticket_reporter rows) for Core executemany."""
    grids = [f"v{v:02d}-g{g}" for v in range(VILLAGES) for g in range(GRIDS_PER_VILLAGE)]
    candidates = grid_assignees(config)
    tickets: list[dict] = []
    reporters: list[dict] = []
    for number, (created, category, type_key, urgent) in enumerate(layout, start=1):
        grid = rng.choice(grids)
        texts = PROBLEMS.get(type_key, (0, ["有个问题需要处理"]))[1]
        assignee = rng.choice(candidates[(grid, type_key)])
        accept_due = created + (timedelta(hours=config.urgent.accept_hours) if urgent
                                else timedelta(hours=config.request_types[type_key].accept_hours))
        resolve_due = created + (timedelta(days=config.urgent.resolve_days) if urgent
                                 else timedelta(days=config.request_types[type_key].resolve_days))
        resident = f"resident-{grid}-{rng.randrange(60)}"
        row = {
            "id": number, "type": type_key, "status": "new", "urgent": urgent,
            "confidence": round(rng.uniform(0.4, 0.98), 3), "unit_id": grid, "channel": CHANNEL, "chat_id": grid,
            "source_message_id": f"m{number}", "reporter_id": resident, "reporter_name": f"居民{resident[-2:]}",
            "assignee_id": assignee, "text": f"{rng.choice(PLACES)}{rng.choice(texts)}",
            "created_at": created, "updated_at": created, "last_report_at": created,
            "accept_due_at": accept_due, "resolve_due_at": resolve_due, "next_due_at": None, "sla_stage": 0,
            "sla_escalate_at": None, "level_unit_id": grid, "origin_assignee_id": assignee, "whistle": None,
            "escalation_count": 0, "reopen_count": 0, "reporter_count": 1, "accepted_at": None,
            "resolved_at": None, "closed_at": None, "result_note": None, "rating_due_at": None,
            "satisfaction": None, "followup_due_at": None, "followup_done_at": None,
        }
        rating = rated_at = None
        if category in ("overdue_accept", "future_accept"):
            row["status"] = rng.choices(["new", "transferred", "reopened"], [90, 5, 5])[0]
            row["reopen_count"] = int(row["status"] == "reopened")
            row["next_due_at"] = accept_due
        else:
            accepted = min(created + _hours(rng, 0.2, 6), NOW - timedelta(minutes=5))
            row.update(status="accepted", accepted_at=accepted, updated_at=accepted)
            if category in ("overdue_resolve", "future_resolve"):
                row["next_due_at"] = resolve_due
            elif category == "rejected":
                row.update(status="rejected", accepted_at=None, closed_at=accepted, updated_at=accepted,
                           result_note="不属于网格受理范围，已告知居民拨打12345")
            else:  # resolved at some point
                if category == "rating_expired":
                    resolved = created + _hours(rng, 2, 4 * 24)
                    resolved = min(resolved, NOW - timedelta(days=config.feedback.rating_days, hours=1))
                elif category == "resolved":  # rating deadline still more than 6 h ahead
                    resolved = max(min(created + _hours(rng, 1, 3 * 24), NOW - timedelta(minutes=30)),
                                   NOW - timedelta(days=config.feedback.rating_days) + timedelta(hours=7))
                    resolved = min(resolved, NOW - timedelta(minutes=1))
                else:
                    resolved = min(created + _hours(rng, 1, 3 * 24), NOW - timedelta(days=3))
                accepted = max(created, min(accepted, resolved - timedelta(minutes=10)))
                row.update(status="resolved", accepted_at=accepted, resolved_at=resolved, updated_at=resolved,
                           result_note="已安排人员处理完毕",
                           rating_due_at=resolved + timedelta(days=config.feedback.rating_days),
                           followup_due_at=resolved + timedelta(days=config.feedback.followup_days))
                if category == "closed":
                    closed = min(resolved + _hours(rng, 1, 72), NOW - timedelta(hours=1))
                    satisfaction = rng.choice(SATISFACTION)
                    row.update(status="closed", closed_at=closed, updated_at=closed, rating_due_at=None,
                               satisfaction=satisfaction)
                    if satisfaction != "unrated":
                        rating, rated_at = satisfaction, closed
                    if row["followup_due_at"] <= NOW and rng.random() < 0.8:
                        row["followup_done_at"] = row["followup_due_at"]
        tickets.append(row)
        reporters.append({"ticket_id": number, "channel": CHANNEL, "account_id": resident,
                          "name": row["reporter_name"], "chat_id": grid, "message_id": f"m{number}", "first": True,
                          "reported_at": created, "rating": rating, "rating_note": None, "rated_at": rated_at})
        if len(tickets) >= BATCH:
            yield tickets, reporters
            tickets, reporters = [], []
    if tickets:
        yield tickets, reporters


def seed(bot: GridBot, n: int, overdue_share: float) -> Mix:
    rng = random.Random(20261123 + n)
    mix = Mix.of(n, overdue_share)
    layout = plan(bot.config, n, mix, rng)
    ticket_table, reporter_table = Ticket.__table__, TicketReporter.__table__
    with bot.engine.begin() as conn:
        for tickets, reporters in ticket_rows(bot.config, layout, rng):
            conn.execute(insert(ticket_table), tickets)
            conn.execute(insert(reporter_table), reporters)
        if conn.dialect.name == "postgresql":  # ids given explicitly: move the sequence past them
            conn.execute(text("SELECT setval(pg_get_serial_sequence('ticket', 'id'), :n)"), {"n": n})
    if bot.engine.dialect.name == "postgresql":
        # Planner statistics, as autovacuum keeps them on a live server. SQLite gets none, as the
        # bot never runs ANALYZE there. (With sqlite_stat1 present, SQLite plans the escalation query
        # as a scan of ix_ticket_level_unit_id, ~0.2 s per check at 100,000 tickets even when
        # nothing is due.)
        with bot.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    return mix


# -- measuring ----------------------------------------------------------------------------------
def _proc_kib(key: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_hwm() -> bool:
    """Reset the RSS high-water mark (Linux >= 4.0)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


@dataclass
class Result:
    database: str
    tickets: int
    overdue: int
    check: str
    counts: dict[str, int]
    seconds: float = 0.0
    step_seconds: dict[str, float] | None = None
    statements: int = 0
    outbox: int = 0
    events: int = 0
    rss_growth_mib: float | None = None
    peak_mib: float | None = None

    @property
    def handled(self) -> int:
        return sum(self.counts.values())


@dataclass
class StatementCounter:
    """Statements sent to the database (each executemany batch counts once)."""

    count: int = 0

    def attach(self, engine) -> None:  # noqa: ANN001
        def before(*_args: Any) -> None:
            self.count += 1
        event.listen(engine, "before_cursor_execute", before)


class StepTimer:
    """Wall time per supervision step, measured around GridBot._job_chunk (one transaction each)."""

    def __init__(self, bot: GridBot) -> None:
        self.seconds: dict[str, float] = {}
        inner = bot._job_chunk  # noqa: SLF001

        def timed(session, step, chunk):  # noqa: ANN001, ANN202
            t0 = time.perf_counter()
            try:
                return inner(session, step, chunk)
            finally:
                self.seconds[step.__name__] = self.seconds.get(step.__name__, 0.0) + time.perf_counter() - t0
        bot._job_chunk = timed  # noqa: SLF001  (instance attribute: bot code unchanged)


def overdue_now(bot: GridBot) -> int:
    """Open tickets past their current deadline that nobody was reminded of (what ``first`` must handle)."""
    from bot.storage.models import OPEN_STATUSES

    with bot.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Ticket.__table__).where(
            Ticket.sla_stage == 0, Ticket.next_due_at <= NOW, Ticket.status.in_(sorted(OPEN_STATUSES)))).scalar_one()


def table_count(bot: GridBot, model: Any) -> int:
    with bot.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model.__table__)).scalar_one()


def run_check(bot: GridBot, counter: StatementCounter, *, trace: bool, profile: cProfile.Profile | None
              ) -> tuple[dict[str, int], float, int, float | None, float | None]:
    gc.collect()
    statements = counter.count
    hwm_ok = _reset_hwm()
    rss_before = _proc_kib("VmRSS")
    if trace:
        tracemalloc.start()
    if profile is not None:
        profile.enable()
    t0 = time.perf_counter()
    counts = bot.run_job_sync("supervision")
    seconds = time.perf_counter() - t0
    if profile is not None:
        profile.disable()
    peak = None
    if trace:
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    hwm = _proc_kib("VmHWM") if hwm_ok else None
    # Kernel RSS counters are approximate (per-thread caches): clamp tiny negative differences.
    growth = max(0.0, (hwm - rss_before) / 1024) if hwm is not None and rss_before is not None else None
    return counts, seconds, counter.count - statements, growth, peak


def scenario(database: str, url: str, config_data: dict, classifier: Classifier, n: int, share: float, *,
             trace: bool, profile: dict[str, cProfile.Profile] | None, quiet: bool = False) -> list[Result]:
    config = parse_config({**config_data, "database_url": url}, source="benchmark-config", base_dir=REPO,
                          environ={})
    clock = FrozenClock(NOW - timedelta(days=90))  # warm-up run: before any ticket exists
    bot = GridBot(config, clock=clock, channels=[], classifier=classifier, run_jobs=False)
    try:
        bot.prepare_database()
        roster = parse_roster(town_roster(), source="generated town", request_types=set(config.request_types))
        bot.db.run_sync(roster_store.import_roster, roster)
        t0 = time.perf_counter()
        mix = seed(bot, n, share)
        seed_s = time.perf_counter() - t0
        if not quiet:
            print(f"  {database}: {n:,} tickets seeded in {seed_s:.1f} s", file=sys.stderr, flush=True)
        actual = overdue_now(bot)
        if actual != mix.overdue:
            print(f"  note: {actual} tickets overdue, {mix.overdue} planned", file=sys.stderr)
        counter = StatementCounter()
        counter.attach(bot.engine)
        steps = StepTimer(bot)
        warm = bot.run_job_sync("supervision")  # nothing due; loads the roster cache and compiles queries
        if sum(warm.values()):
            print(f"  warning: warm-up run handled {warm}", file=sys.stderr)
        clock.advance(days=90)
        results = []
        for check in ("first", "steady", "escalation"):
            if check == "escalation":
                clock.advance(hours=GRACE_PLUS)
            outbox0, events0 = table_count(bot, Outbox), table_count(bot, TicketEvent)
            prof = profile.get(check) if profile is not None else None
            steps.seconds = {}
            counts, seconds, statements, growth, peak = run_check(bot, counter, trace=trace, profile=prof)
            results.append(Result(database, n, actual, check, counts, seconds, dict(steps.seconds), statements,
                                  table_count(bot, Outbox) - outbox0, table_count(bot, TicketEvent) - events0,
                                  growth, peak))
        return results
    finally:
        bot.engine.dispose()


class Databases:
    """Fresh database URLs: SQLite files in a temporary directory, PostgreSQL schemas."""

    def __init__(self, pg_url: str) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="sla-bench-")
        self.pg_url = pg_url
        self._admin = None
        self._schemas: list[str] = []

    def sqlite(self) -> str:
        return f"sqlite:///{Path(self.tmp.name) / f'{uuid.uuid4().hex[:8]}.db'}"

    def postgres(self) -> str:
        if self._admin is None:
            self._admin = create_engine(self.pg_url, connect_args={"connect_timeout": 5})
        schema = f"bench_{uuid.uuid4().hex[:12]}"
        with self._admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        self._schemas.append(schema)
        sep = "&" if "?" in self.pg_url else "?"
        return f"{self.pg_url}{sep}options=-csearch_path%3D{schema}"

    def drop(self, url: str) -> None:
        if url.startswith("sqlite:///"):
            for suffix in ("", "-wal", "-shm"):
                Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
            return
        schema = url.rsplit("%3D", 1)[1]
        with self._admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        self._schemas.remove(schema)

    def close(self) -> None:
        if self._admin is not None:
            for schema in list(self._schemas):
                with self._admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            self._admin.dispose()
        self.tmp.cleanup()


# -- output -------------------------------------------------------------------------------------
def fmt_counts(counts: dict[str, int], seconds: dict[str, float] | None) -> str:
    """Tickets handled per step, with the step's wall time."""
    short = {"remind_overdue": "remind", "escalate_overdue": "escalate", "close_unrated": "close"}
    parts = []
    for key, value in counts.items():
        took = (seconds or {}).get(key)
        if value:
            parts.append(f"{short.get(key, key)}={value}" + (f" ({took:.2f} s)" if took is not None else ""))
    return " ".join(parts) or "-"


def print_table(rows: list[Result]) -> None:
    head = (f"{'database':10} {'tickets':>8} {'overdue':>7} {'check':10} {'handled':>7} {'seconds':>8} "
            f"{'us/handled':>10} {'SQL stmts':>9} {'outbox':>6} {'events':>6} {'peak MiB':>8} {'RSS+ MiB':>8}  "
            f"handled per step (wall time)")
    print(head)
    print("-" * len(head))
    for r in rows:
        per = f"{r.seconds / r.handled * 1e6:10.0f}" if r.handled else f"{'-':>10}"
        peak = f"{r.peak_mib:8.1f}" if r.peak_mib is not None else f"{'n/a':>8}"
        rss = f"{r.rss_growth_mib:8.1f}" if r.rss_growth_mib is not None else f"{'n/a':>8}"
        print(f"{r.database:10} {r.tickets:8,} {r.overdue:7,} {r.check:10} {r.handled:7,} {r.seconds:8.3f} "
              f"{per} {r.statements:9,} {r.outbox:6,} {r.events:6,} {peak} {rss}  "
              f"{fmt_counts(r.counts, r.step_seconds)}")


def print_profiles(profiles: dict[str, cProfile.Profile], top: int) -> None:
    import sysconfig

    prefixes = [str(REPO) + "/", sysconfig.get_paths()["purelib"] + "/", sysconfig.get_paths()["stdlib"] + "/"]
    for check, prof in profiles.items():
        for key in ("cumulative", "tottime"):
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats(key).print_stats(top)
            report = out.getvalue()
            for prefix in prefixes:
                report = report.replace(prefix, "")
            print(f"\n== cProfile: {check} check, sorted by {key} (top {top}) ==")
            print("\n".join(line for line in report.splitlines() if line.strip()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, nargs="+", default=[100_000], metavar="N",
                        help="ticket counts to run (several show whether time and memory are flat in N)")
    parser.add_argument("--overdue-share", type=float, default=0.1, help="share of tickets open and overdue")
    parser.add_argument("--postgres", default=DEFAULT_PG, metavar="URL", help="PostgreSQL server (a fresh schema "
                        "is created per run and dropped afterwards)")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--sqlite-only", action="store_true")
    only.add_argument("--postgres-only", action="store_true")
    parser.add_argument("--no-memory-pass", action="store_true", help="skip the tracemalloc pass (halves run time)")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the first and escalation checks of the largest N (an extra pass per database)")
    parser.add_argument("--profile-top", type=int, default=25)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    config_data = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    config_data = {**config_data, "roster": None, "http": {"host": "127.0.0.1", "port": 0}}
    classifier = Classifier.from_config(parse_config(config_data, source="config.yaml", base_dir=REPO, environ={}))
    databases = [] if args.postgres_only else ["sqlite"]
    databases += [] if args.sqlite_only else ["postgresql"]
    dbs = Databases(args.postgres)
    rows: list[Result] = []
    profiles: dict[str, cProfile.Profile] = {}
    started = time.perf_counter()
    try:
        for database in databases:
            for n in args.tickets:
                # Separate passes on freshly seeded databases: tracemalloc and cProfile slow Python
                # down, so neither runs in the timed pass.
                passes = ["timed"] + ([] if args.no_memory_pass else ["memory"])
                if args.profile and n == max(args.tickets):
                    passes.append("profile")
                timed: list[Result] = []
                for kind in passes:
                    url = dbs.sqlite() if database == "sqlite" else dbs.postgres()
                    prof = None
                    if kind == "profile":
                        prof = {c: profiles.setdefault(f"{database} {n:,} {c}", cProfile.Profile())
                                for c in ("first", "escalation")}
                    try:
                        result = scenario(database, url, config_data, classifier, n, args.overdue_share,
                                          trace=kind == "memory", profile=prof, quiet=kind != "timed")
                    finally:
                        dbs.drop(url)
                    if kind == "timed":
                        timed = result
                    elif kind == "memory":
                        for t, m in zip(timed, result):
                            t.peak_mib = m.peak_mib
                            if t.counts != m.counts:
                                print(f"  note: memory pass handled {m.counts}, timed pass {t.counts}",
                                      file=sys.stderr)
                rows += timed
    finally:
        dbs.close()

    print(f"\nSLA check (supervision job): {', '.join(f'{n:,}' for n in args.tickets)} tickets, "
          f"{args.overdue_share:.0%} overdue; roster: 1 town, {len(DEPARTMENTS)} departments, {VILLAGES} villages, "
          f"{VILLAGES * GRIDS_PER_VILLAGE} grids; chunk = 500 tickets per transaction")
    print("first = all overdue reminded (+1 % expired ratings closed); steady = right after, nothing due; "
          f"escalation = clock +{GRACE_PLUS:g} h, reminded tickets go up one level\n")
    print_table(rows)
    print("\nus/handled: wall time per ticket handled. outbox: messages queued (reminders are grouped per chat "
          "and person,\nescalations per receiving unit, per 500-ticket chunk). peak MiB: tracemalloc peak of "
          "Python allocations during\nthe check (separate pass). RSS+ MiB: growth of the process RSS high-water "
          "mark during the check (timed pass).")
    print("targets: < 1 s per check; memory flat in the number of tickets.")
    worst = max(rows, key=lambda r: r.seconds) if rows else None
    if worst is not None:
        print(f"slowest check: {worst.database} {worst.tickets:,} tickets, {worst.check}: {worst.seconds:.2f} s")
    print(f"(total run time {time.perf_counter() - started:.0f} s)")
    if profiles:
        print_profiles(profiles, args.profile_top)


if __name__ == "__main__":
    main()
