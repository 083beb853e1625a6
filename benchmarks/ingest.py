"""Ingest benchmark: resident messages through the full path vs a bare PTB echo bot.

Full path: fake Bot API server -> python-telegram-bot polling -> inbox (SQLite
file) -> classifier -> ticket + outbox in one transaction -> rate-limited
sender -> sendMessage with the worker's mention. The echo bot is a default
python-telegram-bot Application replying with the same text, against the same
fake server. The fake does not enforce flood limits here and our limiter is
raised to match, so the figures compare processing cost, not Telegram's caps
(benchmarks/broadcast.py, issue 5, measures those).

The residents write in a generated town roster (``--grids`` groups, default
100), and the fake server runs in its own process, as Telegram's servers are
not in ours. Two phases per bot: throughput (N messages pushed at once, time until the
last reply) and latency (messages one at a time, update pushed -> reply seen).
Also prints classifier throughput on one core.

    python benchmarks/ingest.py [--messages 2000] [--latency-messages 200]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.app import GridBot  # noqa: E402
from bot.config import load_config  # noqa: E402
from tests.fake_telegram import RemoteFakeTelegram  # noqa: E402

PLACES = ["3号楼", "村口", "老街菜市场旁", "小区东门", "5组", "锦园小区2栋", "学校门口", "河堤边", "我家楼下", "村委会后面"]
PROBLEMS = [
    "的路灯坏了一个多星期了，晚上黑灯瞎火的", "垃圾堆了好几天没人清运，臭得不行", "下水道堵了，污水往外冒",
    "有人私拉电线给电动车充电，太危险了", "两家人因为宅基地吵起来了", "最近老有陌生人晚上转悠，电动车被偷了两辆",
    "的独居老人好几天没出门了，家里也没人照顾", "请问城乡居民医保今年怎么交，在哪里办理", "建议在路口装个减速带，车开得太快",
    "井盖丢了，小孩子走路很危险", "广场舞音响声音太大，晚上十点还在跳", "水管爆了，水漫了一地",
]


def write_roster(path: Path, grids: int) -> list[int]:
    """A town with villages of ten grids each; returns the grid chat ids."""
    villages = []
    people = [{"id": "town-leader", "name": "镇网格长", "unit": "town", "roles": ["grid_leader"],
               "accounts": {"telegram": 6000000}}]
    chats = []
    for v in range(0, grids, 10):
        children = []
        for g in range(v, min(v + 10, grids)):
            chat = -1002000000000 - g
            chats.append(chat)
            children.append({"id": f"g{g}", "name": f"第{g + 1}网格", "level": "grid",
                             "chats": {"telegram": [str(chat)]}})
            people.append({"id": f"w{g}", "name": f"网格员{g + 1}", "unit": f"g{g}", "roles": ["grid_worker"],
                           "accounts": {"telegram": 6100000 + g}})
            people.append({"id": f"l{g}", "name": f"网格长{g + 1}", "unit": f"g{g}", "roles": ["grid_leader"],
                           "accounts": {"telegram": 6200000 + g}})
        villages.append({"id": f"v{v // 10}", "name": f"第{v // 10 + 1}村", "level": "village",
                         "chats": {"telegram": [str(-1003000000000 - v)]}, "children": children})
        people.append({"id": f"m{v // 10}", "name": f"调解员{v // 10 + 1}", "unit": f"v{v // 10}",
                       "roles": ["mediator", "police"], "accounts": {"telegram": 6300000 + v}})
    roster = {"units": [{"id": "town", "name": "镇网格中心", "level": "town", "children": villages}], "people": people}
    path.write_text(yaml.safe_dump(roster, allow_unicode=True), encoding="utf-8")
    return chats


def make_texts(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.choice(PLACES)}{rng.choice(PROBLEMS)}" for _ in range(n)]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class RemoteFake(RemoteFakeTelegram):
    """The fake Bot API server in its own process (as Telegram's would be), waiting for replies."""

    async def wait_replies(self, count: int, stall_seconds: float = 5.0) -> None:
        """Until ``count`` replies were sent, or none came for ``stall_seconds`` (a message not answered)."""
        last_change = time.monotonic()
        while len(self.sent) < count:
            if await self.fetch():
                last_change = time.monotonic()
            elif time.monotonic() - last_change > stall_seconds:
                return
            else:
                await asyncio.sleep(0.02)


async def drive(fake: RemoteFake, chats: list[int], texts: list[str], latency_texts: list[str]) -> dict[str, float]:
    # Throughput: everything at once, distinct residents so no message merges into another's ticket.
    updates = [fake.factory.make_message_update(chat_id=chats[i % len(chats)], user_id=900000 + i, text=text)
               for i, text in enumerate(texts)]
    pushed_at = {}
    start = time.monotonic()  # CLOCK_MONOTONIC: comparable with the fake's timestamps
    for k in range(0, len(updates), 100):
        batch = updates[k:k + 100]
        now = time.monotonic()
        for u in batch:
            pushed_at[u["message"]["message_id"]] = now
        await fake.push(batch)
    await fake.wait_replies(len(texts))
    replied = len(fake.sent)
    elapsed = max(m["at"] for m in fake.sent) - start
    backlog = [m["at"] - pushed_at[m["reply_to_message_id"]] for m in fake.sent]
    # Latency: one message at a time.
    latencies = []
    for i, text in enumerate(latency_texts):
        before = len(fake.sent)
        update = fake.factory.make_message_update(chat_id=chats[i % len(chats)], user_id=800000 + i, text=text)
        t0 = time.monotonic()
        await fake.push([update])
        await fake.wait_replies(before + 1)
        if len(fake.sent) > before:
            latencies.append(fake.sent[before]["at"] - t0)
    return {"throughput": replied / elapsed, "seconds": elapsed, "replied": replied,
            "backlog_p50": pct(backlog, 50), "p50": pct(latencies, 50), "p99": pct(latencies, 99)}


async def run_gridbot(texts: list[str], latency_texts: list[str], workdir: Path, grids: int) -> dict[str, float]:
    fake = await RemoteFake().start()
    chats = write_roster(workdir / "roster.yaml", grids)
    config = load_config(REPO / "config.yaml", environ={})
    config = config.model_copy(update={
        "database_url": f"sqlite:///{workdir / 'bench.db'}",
        "roster": str(workdir / "roster.yaml"),
        "http": config.http.model_copy(update={"port": 0}),
        "channels": config.channels.model_copy(update={
            "webchat": config.channels.webchat.model_copy(update={"enabled": False}),
            "telegram": config.channels.telegram.model_copy(update={
                "enabled": True, "token": fake.token, "base_url": fake.base_url, "mode": "polling",
                "poll_timeout": 1,
                "rate_limit": config.channels.telegram.rate_limit.model_copy(
                    update={"global_per_second": 1e6, "per_chat_per_minute": 1e6}),
            }),
        }),
    })
    bot = GridBot(config)
    await bot.start()
    try:
        result = await drive(fake, chats, texts, latency_texts)
    finally:
        await bot.stop()
        await fake.stop()
    return result


async def run_echo(texts: list[str], latency_texts: list[str], grids: int) -> dict[str, float]:
    from telegram import Update
    from telegram.ext import Application, ContextTypes, MessageHandler, filters

    fake = await RemoteFake().start()
    chats = [-1002000000000 - g for g in range(grids)]

    async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(update.message.text)

    app = Application.builder().token(fake.token).base_url(fake.base_url).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    await app.initialize()
    await app.updater.start_polling(poll_interval=0, timeout=1)
    await app.start()
    try:
        result = await drive(fake, chats, texts, latency_texts)
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        await fake.stop()
    return result


def classifier_throughput(n: int) -> tuple[float, float]:
    from bot.nlp import Classifier

    t0 = time.perf_counter()
    classifier = Classifier.from_config(load_config(REPO / "config.yaml", environ={}))
    classifier.classify("预热：路灯坏了")
    load_seconds = time.perf_counter() - t0
    texts = make_texts(n, seed=11) + ["收到", "谢谢", "大家早上好", "好的👍"] * (n // 8)
    t0 = time.perf_counter()
    for text in texts:
        classifier.classify(text)
    return len(texts) / (time.perf_counter() - t0), load_seconds


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--latency-messages", type=int, default=200)
    parser.add_argument("--grids", type=int, default=100, help="grid groups in the generated roster")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    texts = make_texts(args.messages)
    latency_texts = make_texts(args.latency_messages, seed=3)
    with tempfile.TemporaryDirectory() as tmp:
        ours = await run_gridbot(texts, latency_texts, Path(tmp), args.grids)
    echo = await run_echo(texts, latency_texts, args.grids)
    cps, load = classifier_throughput(20000)
    print(f"messages: {args.messages} (throughput phase), {args.latency_messages} (latency phase, one at a time), "
          f"spread over {args.grids} grid groups; fake Bot API server in its own process")
    for name, r in (("gridbot full path", ours), ("PTB echo bot", echo)):
        print(f"{name:18s} throughput {r['throughput']:8.1f} msg/s ({r['seconds']:.2f} s)   "
              f"latency p50 {r['p50'] * 1000:6.1f} ms  p99 {r['p99'] * 1000:6.1f} ms   "
              f"(backlog p50 {r['backlog_p50'] * 1000:.0f} ms; {r['replied']} replies)")
    print(f"ratio ours/echo (throughput): {ours['throughput'] / echo['throughput']:.2f}   target >= 0.7")
    print(f"classifier: {cps:,.0f} messages/s on one core (load {load * 1000:.0f} ms)   target >= 10,000")


if __name__ == "__main__":
    asyncio.run(main())
