"""Broadcast benchmark: one notice to every grid group of a town, against Telegram's flood limits.

Issue: "a notice to 3,413 groups against the fake server enforcing Telegram's limits. Print
time, achieved rate / allowed rate, 429 count, duplicates, losses. Target: >= 0.9 of the
allowed rate, 0 duplicates, 0 losses."

The script

* writes a generated roster: one town (its grid leader has a Telegram account) with villages
  of ten grids each, ``--groups`` grids in all (default 3,413), each grid with one Telegram
  group; the town and villages have no Telegram group, so the town's subtree is exactly the
  grid groups;
* starts the fake Bot API server (tests/fake_telegram.py) in its own process, as Telegram's
  servers are not in ours, with ``enforce_limits`` on: 30 sendMessage/s per bot and 20/min per
  chat, a 429 with ``retry_after`` beyond that (``tests.fake_telegram.RemoteFakeTelegram``; its
  ``/_control/stats`` endpoint gives the 429 count);
* starts a real GridBot (SQLite file in a temporary directory; ``--postgres [URL]``: a fresh
  PostgreSQL schema, dropped afterwards) with only the Telegram channel, pointed at the fake,
  its rate limiter as in config.yaml (30/s, 20/min per chat) and its scheduled jobs running,
  and lets the jobs that run at start-up finish (timing a cold build of the roster index);
* records the notice as the town's grid leader would from a private chat with the bot, in one
  transaction on a worker thread: the roster index, ``notices.resolve_targets(["town"])`` (as
  the CLI and the 通知到 command do), ``notices.create`` (the notice row and one outbox row per
  group), commit; then wakes the Telegram sender;
* collects what the fake received until every group has its message and no row of the notice
  is pending (or ``--timeout``), waits ``--settle`` seconds more for late duplicates, and prints
  figures: the fan-out transaction, time from the commit to the last delivery, achieved rate
  against the allowed rate, the fake's 429 count, duplicates (groups that received the notice
  more than once), losses (groups that received nothing), outbox rows by status, delivery
  statements and CPU per message, and peak RSS of this process (bot and driver; the fake server
  is another process). ``--probe-replies N``: N residents report a problem in groups the notice
  already reached, spread over the broadcast, and the latency of the bot's replies is printed
  (interactive replies go before bulk sends); ``--timeline``: messages delivered in each second.

Figures only: nothing is asserted. The default run takes about 2 minutes (3,413 messages at
30/s is 114 s at best).

    .venv/bin/python benchmarks/broadcast.py                       # SQLite, 3,413 groups
    .venv/bin/python benchmarks/broadcast.py --groups 300          # quicker
    .venv/bin/python benchmarks/broadcast.py --probe-replies 5 --timeline
    .venv/bin/python benchmarks/broadcast.py --postgres            # postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python benchmarks/broadcast.py --postgres postgresql+psycopg://user@host/db
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))  # ingest, sla_check

import ingest  # PLACES

from tests.fake_telegram import FakeTelegram, RemoteFakeTelegram

DEFAULT_GROUPS = 3413
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
GRIDS_PER_VILLAGE = 10
LEADER_ACCOUNT = 6000000
NOTICE = "明天（周六）上午9点至下午5点，镇区主干道停水检修，请各位居民提前储水。如有困难请联系本网格网格员。"


# -- the fake server, in its own process ----------------------------------------------------
def start_fake() -> RemoteFakeTelegram:
    """The fake Bot API server in its own process with Telegram's flood limits on."""
    return RemoteFakeTelegram(enforce_limits=True)


# -- roster and bot ---------------------------------------------------------------------------
def write_roster(path: Path, groups: int) -> list[str]:
    """Town -> villages of ten grids -> grids, one Telegram group per grid; returns the chat ids."""
    people: list[dict[str, Any]] = [{"id": "town-leader", "name": "镇网格中心主任", "unit": "town",
                                     "roles": ["grid_leader", "centre_staff"],
                                     "accounts": {"telegram": LEADER_ACCOUNT}}]
    villages, chats = [], []
    for v, first in enumerate(range(0, groups, GRIDS_PER_VILLAGE)):
        grids = []
        for g in range(first, min(first + GRIDS_PER_VILLAGE, groups)):
            chat = str(-1002000000000 - g)
            chats.append(chat)
            grids.append({"id": f"g{g}", "name": f"第{v + 1}村第{g - first + 1}网格", "level": "grid",
                          "chats": {"telegram": [chat]}})
            people.append({"id": f"w{g}", "name": f"网格员{g + 1}", "unit": f"g{g}", "roles": ["grid_worker"],
                           "accounts": {"telegram": 6100000 + g}})
        villages.append({"id": f"v{v}", "name": f"第{v + 1}村", "level": "village", "children": grids})
        people.append({"id": f"s{v}", "name": f"第{v + 1}村书记", "unit": f"v{v}",
                       "roles": ["grid_leader", "branch_secretary"]})
    roster = {"units": [{"id": "town", "name": "青山镇网格化综合服务中心", "level": "town", "children": villages}],
              "people": people}
    path.write_text(yaml.safe_dump(roster, allow_unicode=True), encoding="utf-8")
    return chats


def make_config(fake: RemoteFakeTelegram, database_url: str, roster: Path):
    from bot.config import load_config

    config = load_config(REPO / "config.yaml", environ={
        "GRIDBOT_TELEGRAM_ENABLED": "true", "TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_BASE_URL": fake.base_url,
        "GRIDBOT_DATABASE_URL": database_url, "GRIDBOT_HTTP_PORT": "0"})
    return config.model_copy(update={
        "roster": str(roster),
        "channels": config.channels.model_copy(update={
            "webchat": config.channels.webchat.model_copy(update={"enabled": False}),
            "telegram": config.channels.telegram.model_copy(update={"poll_timeout": 1}),
        }),
    })


# -- measuring ----------------------------------------------------------------------------------
class Statements:
    """Statements sent to the database, by first word (an executemany counts once)."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.counts: Counter[str] = Counter()
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, _conn, _cursor, statement, _params, _context, _executemany) -> None:
        self.counts[statement.lstrip().split(None, 1)[0].upper()] += 1

    def snapshot(self) -> Counter[str]:
        return Counter(self.counts)


@dataclass
class FanOut:
    notice_id: int = 0
    rows: int = 0
    roster_s: float = 0.0
    resolve_s: float = 0.0
    create_s: float = 0.0
    commit_s: float = 0.0
    total_s: float = 0.0
    statements: Counter[str] = field(default_factory=Counter)


def fan_out(bot, fanout: FanOut) -> None:
    """The leader's notice to the whole town, recorded in one transaction (this thread)."""
    from bot.handlers import notices
    from bot.handlers.base import Context

    def record(session) -> int:
        t0 = time.perf_counter()
        roster = bot.roster_cache.get(session)
        ctx = Context(session=session, services=bot.services, now=bot.clock.now(), roster=roster)
        t1 = time.perf_counter()
        leader = roster.people["town-leader"]
        unit_ids = notices.resolve_targets(roster, ["town"], within=leader.unit_id)
        t2 = time.perf_counter()
        row = notices.create(ctx, text=NOTICE, unit_ids=unit_ids, targets=["town"], sender=leader,
                             origin=("telegram", str(LEADER_ACCOUNT)))
        session.flush()
        t3 = time.perf_counter()
        fanout.roster_s, fanout.resolve_s, fanout.create_s = t1 - t0, t2 - t1, t3 - t2
        fanout.rows = row.chats
        fanout.commit_s = -t3  # completed after run_sync returns
        return row.id

    fanout.notice_id = bot.db.run_sync(record)
    fanout.commit_s += time.perf_counter()


def outbox_summary(bot, notice_id: int) -> dict[str, Any]:
    from sqlalchemy import func, select

    from bot.storage.models import Outbox

    def query(session) -> dict[str, Any]:
        by_status = dict(session.execute(select(Outbox.status, func.count()).where(Outbox.notice_id == notice_id)
                                         .group_by(Outbox.status)).all())
        attempts, max_attempts, with_error = session.execute(select(
            func.coalesce(func.sum(Outbox.attempts), 0), func.coalesce(func.max(Outbox.attempts), 0),
            func.count(Outbox.error)).where(Outbox.notice_id == notice_id)).one()
        return {"by_status": by_status, "attempts": int(attempts), "max_attempts": int(max_attempts),
                "with_error": int(with_error)}

    return bot.db.run_sync(query)


def proc_kib(key: str) -> int | None:
    import sla_check

    return sla_check._proc_kib(key)


def reset_hwm() -> bool:
    import sla_check

    return sla_check._reset_hwm()


def is_notice(message: dict[str, Any]) -> bool:
    return NOTICE in message["text"]


async def probe_replies(fake: RemoteFakeTelegram, chats: list[str], count: int, spread: float,
                        pushed: dict[int, float]) -> None:
    """Residents report a problem in groups the notice already reached, spread over the
    broadcast: the bot's replies should not queue behind it."""
    for i in range(count):
        await asyncio.sleep(spread / (count + 1))
        update = fake.factory.make_message_update(chat_id=int(chats[i]), user_id=900000 + i,
                                                  text=f"{ingest.PLACES[i % len(ingest.PLACES)]}的路灯坏了一个多星期了，晚上黑灯瞎火的")
        pushed[update["message"]["message_id"]] = time.monotonic()
        await fake.push([update])


async def deliver(bot, fake: RemoteFakeTelegram, chats: list[str], fanout: FanOut, *, timeout: float,
                  settle: float, probes: int) -> dict[str, Any]:
    stmts = Statements(bot.engine)
    before = stmts.snapshot()
    start = time.monotonic()  # CLOCK_MONOTONIC: comparable with the fake's timestamps
    await asyncio.to_thread(fan_out, bot, fanout)
    committed = time.monotonic()
    fanout.total_s = committed - start
    fanout.statements = stmts.snapshot() - before
    bot.senders["telegram"].notify()
    cpu0, stmts0 = time.process_time(), stmts.snapshot()
    pushed: dict[int, float] = {}
    probing = asyncio.create_task(probe_replies(fake, chats, probes, len(chats) / FakeTelegram.global_per_second,
                                                pushed)) if probes else None
    targets = set(chats)
    received: set[str] = set()
    seen = 0
    pending_checked = 0.0
    timed_out = False
    while True:
        if await fake.fetch():
            for m in fake.sent[seen:]:
                if m["chat_id"] in targets and is_notice(m):
                    received.add(m["chat_id"])
            seen = len(fake.sent)
        now = time.monotonic()
        if len(received) == len(targets) and now - pending_checked > 0.5:
            pending_checked = now
            summary = await asyncio.to_thread(outbox_summary, bot, fanout.notice_id)
            replied = {m["reply_to_message_id"] for m in fake.sent if m["reply_to_message_id"] in pushed}
            if not summary["by_status"].get("pending") and (probing is None or probing.done()) \
                    and len(replied) == len(pushed):
                break
        if now - committed > timeout:
            timed_out = True
            break
        await asyncio.sleep(0.1)
    done_at = time.monotonic()
    if probing is not None:
        probing.cancel()
    cpu = time.process_time() - cpu0
    statements = stmts.snapshot() - stmts0
    await asyncio.sleep(settle)  # late duplicates
    await fake.fetch()
    return {"start": start, "committed": committed, "done_at": done_at, "cpu": cpu, "statements": statements,
            "timed_out": timed_out, "pushed": pushed}


def rate_profile(times: list[float]) -> tuple[int, float, int] | None:
    """(min, median, max) messages per whole second from the first delivery (last partial second left out)."""
    if len(times) < 2:
        return None
    first = times[0]
    buckets = Counter(int(t - first) for t in times)
    full = range(int(times[-1] - first))
    if not full:
        return None
    per_second = [buckets.get(s, 0) for s in full]
    return min(per_second), statistics.median(per_second), max(per_second)


async def settle_startup(bot) -> float:
    """Let the jobs that run at start-up finish (a running bot is past them), then time a cold
    build of the roster index (the cache is warm for the broadcast, as in a running bot)."""
    from bot.storage.roster_index import load_index

    await asyncio.sleep(0.5)
    if bot.jobs is not None:
        for lock in bot.jobs._running.values():
            async with lock:
                pass
    t0 = time.perf_counter()
    await bot.db.run(load_index)
    seconds = time.perf_counter() - t0
    await bot.db.run(bot.roster_cache.get)
    return seconds


async def run(args: argparse.Namespace, database_url: str, label: str, workdir: Path) -> None:
    from bot.app import GridBot

    chats = write_roster(workdir / "roster.yaml", args.groups)
    fake = await start_fake().start()
    bot = None
    try:
        config = make_config(fake, database_url, workdir / "roster.yaml")
        rss_start = proc_kib("VmRSS")
        t0 = time.perf_counter()
        bot = GridBot(config)
        await bot.start()
        startup = time.perf_counter() - t0
        index_s = await settle_startup(bot)
        rss_ready = proc_kib("VmRSS")
        hwm_ok = reset_hwm()
        fanout = FanOut()
        d = await deliver(bot, fake, chats, fanout, timeout=args.timeout, settle=args.settle,
                          probes=args.probe_replies)
        hwm = proc_kib("VmHWM")
        summary = await asyncio.to_thread(outbox_summary, bot, fanout.notice_id)
        stats = await fake.stats()
    finally:
        if bot is not None:
            await bot.stop()
        await fake.stop()

    limits = config.channels.telegram.rate_limit
    allowed = min(limits.global_per_second, FakeTelegram.global_per_second)
    targets = set(chats)
    notice_msgs = [m for m in fake.sent if m["chat_id"] in targets and is_notice(m)]
    pushed = d["pushed"]
    replies = {m["reply_to_message_id"]: m["at"] for m in fake.sent if m["reply_to_message_id"] in pushed}
    per_chat = Counter(m["chat_id"] for m in notice_msgs)
    duplicates = sum(1 for n in per_chat.values() if n > 1)
    extra = sum(n - 1 for n in per_chat.values() if n > 1)
    losses = len(targets) - len(per_chat)
    others = [m for m in fake.sent if not is_notice(m) and m["reply_to_message_id"] not in pushed]
    times = sorted(m["at"] for m in notice_msgs)
    first = times[0] if times else float("nan")
    last = times[-1] if times else float("nan")
    elapsed = last - d["committed"]
    rate = len(per_chat) / elapsed if times else 0.0
    steady = (len(times) - 1) / (last - first) if len(times) > 1 else 0.0
    # A sliding 1 s window allows n messages by ceil(n / limit) - 1 seconds after the first.
    ideal = max(0, -(-len(targets) // int(allowed)) - 1)
    profile = rate_profile(times)
    sends = stats["calls"].get("sendMessage", 0)

    print(f"\n== {label}: notice to {len(targets):,} groups "
          f"(town -> {-(-len(targets) // GRIDS_PER_VILLAGE)} villages -> {len(targets):,} grids), "
          f"fake Bot API server in its own process enforcing {FakeTelegram.global_per_second}/s per bot and "
          f"{FakeTelegram.per_chat_per_minute}/min per chat")
    print(f"bot start-up (migrate, roster import, channels): {startup:.2f} s; roster index build (cold): "
          f"{index_s * 1000:.0f} ms")
    print(f"fan-out transaction: {fanout.total_s * 1000:.0f} ms for {fanout.rows:,} outbox rows "
          f"(roster index from the cache {fanout.roster_s * 1000:.0f} ms, resolve_targets {fanout.resolve_s * 1000:.0f} ms, "
          f"create + flush {fanout.create_s * 1000:.0f} ms, commit {fanout.commit_s * 1000:.0f} ms; "
          f"statements {dict(fanout.statements)})")
    if not times:
        print("nothing was delivered")
    else:
        print(f"time from commit to last delivery: {elapsed:.2f} s ({last - d['start']:.2f} s from the start of the "
              f"fan-out; first delivery {(first - d['committed']) * 1000:.0f} ms after the commit; at the allowed rate the last could go at "
              f"{ideal} s{'; TIMED OUT' if d['timed_out'] else ''})")
        print(f"achieved rate: {rate:.2f} msg/s over commit -> last delivery ({steady:.2f} msg/s first -> last); "
              f"allowed {allowed:g}/s; ratio {rate / allowed:.3f}   target >= 0.9")
        if profile:
            print(f"per whole second from the first delivery: min {profile[0]}, median {profile[1]:g}, "
                  f"max {profile[2]} messages")
        if args.timeline:
            buckets = Counter(int(t - first) for t in times)
            print("messages per second: " + " ".join(str(buckets.get(s, 0)) for s in range(int(last - first) + 1)))
    print(f"429 answers from the fake: {stats['too_many_requests']} "
          f"(of {sends:,} sendMessage calls; {stats['sent']:,} accepted)")
    print(f"duplicates: {duplicates} groups received the notice more than once ({extra} extra messages)   "
          f"target 0")
    print(f"losses: {losses} groups received nothing   target 0")
    if others:
        print(f"other messages: {len(others)} ({Counter(m['chat_id'] for m in others).most_common(3)})")
    if pushed:
        waits = sorted(replies[k] - pushed[k] for k in pushed if k in replies)
        print(f"replies to {len(pushed)} residents' reports during the broadcast: {len(waits)} answered"
              + (f", latency min {waits[0] * 1000:.0f} ms, median {statistics.median(waits) * 1000:.0f} ms, "
                 f"max {waits[-1] * 1000:.0f} ms" if waits else ""))
    print(f"outbox rows of the notice: {summary['by_status']}; attempts {summary['attempts']:,} "
          f"(max {summary['max_attempts']} per row); rows with an error left: {summary['with_error']}")
    n = max(1, len(notice_msgs))
    statements = d["statements"]
    print(f"delivery phase (commit -> all sent): {sum(statements.values()):,} statements "
          f"({sum(statements.values()) / n:.1f} per message: {dict(statements.most_common())}); "
          f"CPU {d['cpu']:.1f} s in this process ({d['cpu'] / n * 1000:.2f} ms per message)")
    if rss_start and rss_ready and hwm:
        label_hwm = "peak RSS during the broadcast" if hwm_ok else "peak RSS (whole run)"
        print(f"memory (this process: bot + driver): RSS {rss_start / 1024:.0f} MiB before the bot, "
              f"{rss_ready / 1024:.0f} MiB after start-up; {label_hwm} {hwm / 1024:.0f} MiB")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--groups", type=int, default=DEFAULT_GROUPS, help="grid groups (default 3413)")
    parser.add_argument("--postgres", nargs="?", const=DEFAULT_PG, metavar="URL",
                        help=f"use a fresh schema on this PostgreSQL server instead of SQLite (default {DEFAULT_PG})")
    parser.add_argument("--timeout", type=float, default=None,
                        help="give up this many seconds after the fan-out (default: 3x the ideal time + 30 s)")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds to wait for late duplicates")
    parser.add_argument("--probe-replies", type=int, default=0, metavar="N",
                        help="N residents report a problem during the broadcast; prints the bot's reply latency")
    parser.add_argument("--timeline", action="store_true", help="print the messages delivered in each second")
    args = parser.parse_args()
    if args.timeout is None:
        args.timeout = 3 * args.groups / FakeTelegram.global_per_second + 30
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)

    import sla_check

    dbs = sla_check.Databases(args.postgres or DEFAULT_PG)
    try:
        url = dbs.postgres() if args.postgres else dbs.sqlite()
        label = "PostgreSQL" if args.postgres else "SQLite"
        await run(args, url, label, Path(dbs.tmp.name))
    finally:
        dbs.close()


if __name__ == "__main__":
    asyncio.run(main())
