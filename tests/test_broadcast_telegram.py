"""Broadcasts on Telegram: the real python-telegram-bot client against the fake Bot API server
that enforces the flood limits (30 messages/s, 20 per group per minute) and answers 429 beyond.
200 groups: every one gets the notice once, we cause no 429, a group that removed the bot is
reported, and a resident's report in the middle of it is answered ahead of the broadcast."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import yaml
from sqlalchemy import select

from bot.app import GridBot
from bot.storage.models import Outbox

from .conftest import running
from .fake_telegram import RemoteFakeTelegram

GROUPS = 200
TOWN_CHAT = -1002000000000
LEADER = 8000001
RESIDENT = 9100001


def grid_chat(i: int) -> int:
    return -1002000000001 - i


def big_roster(path: Path) -> Path:
    villages = []
    for v in range(10):
        grids = [{"id": f"v{v}-g{g}", "name": f"第{v + 1}村第{g + 1}网格", "level": "grid",
                  "chats": {"telegram": [str(grid_chat(v * 20 + g))]}} for g in range(GROUPS // 10)]
        villages.append({"id": f"v{v}", "name": f"第{v + 1}村", "level": "village", "children": grids})
    roster = {
        "units": [{"id": "town", "name": "测试镇网格中心", "level": "town", "chats": {"telegram": [str(TOWN_CHAT)]},
                   "children": villages}],
        "people": [{"id": "leader", "name": "周主任", "unit": "town", "roles": ["grid_leader", "centre_staff"],
                    "accounts": {"telegram": LEADER}},
                   {"id": "worker", "name": "李网格", "unit": "v0-g0", "roles": ["grid_worker"],
                    "accounts": {"telegram": 8000002}}],
    }
    path.write_text(yaml.safe_dump(roster, allow_unicode=True), encoding="utf-8")
    return path


async def sent_when(fake: RemoteFakeTelegram, condition, timeout: float = 60) -> list:  # noqa: ANN001
    """Poll what the fake server received until ``condition(messages)`` holds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        await fake.fetch()
        if condition(fake.sent):
            return fake.sent
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


def notices_in(messages) -> list:  # noqa: ANN001
    return [m for m in messages if m["text"].startswith("【通知】")]


async def test_notice_to_200_groups_at_the_flood_limit(make_config, database_url, tmp_path):
    fake = await RemoteFakeTelegram(enforce_limits=True).start()
    try:
        gone = str(grid_chat(150))
        await fake.forbid(gone)
        config = make_config(database_url, roster=str(big_roster(tmp_path / "roster.yaml")),
                             notices={"check_interval_seconds": 1}, channels={
                                 "webchat": {"enabled": False},
                                 "telegram": {"enabled": True, "token": fake.token, "base_url": fake.base_url,
                                              "poll_timeout": 1}})
        bot = GridBot(config)
        async with running(bot):
            await fake.push([fake.factory.make_message_update(
                chat_id=TOWN_CHAT, user_id=LEADER, first_name="周主任", text="通知 本周六上午全镇统一开展消防安全检查")])
            await sent_when(fake, lambda sent: len(notices_in(sent)) >= 40)
            # A resident reports mid-broadcast: the reply jumps the queue of the remaining notices.
            await fake.push([fake.factory.make_message_update(chat_id=grid_chat(199), user_id=RESIDENT,
                                                              text="村口的路灯坏了一个星期了")])
            sent = await sent_when(fake, lambda sent: any("工单 #" in m["text"] for m in sent))
            notices_before_ack = len(notices_in(sent))
            sent = await sent_when(fake, lambda sent: any("【通知回执】" in m["text"] for m in sent))
        too_many = (await fake.stats())["too_many_requests"]
    finally:
        await fake.stop()
    notices = notices_in(sent)
    per_chat = Counter(m["chat_id"] for m in notices)
    expected = {str(TOWN_CHAT)} | {str(grid_chat(i)) for i in range(GROUPS)}
    assert set(per_chat) == expected - {gone}  # every group but the one that removed the bot
    assert max(per_chat.values()) == 1  # no duplicates
    assert too_many == 0  # we kept to the limits
    assert notices_before_ack < GROUPS  # the resident did not wait for the broadcast
    [report] = [m for m in sent if "【通知回执】" in m["text"]]
    assert report["chat_id"] == str(TOWN_CHAT)
    assert f"共 {GROUPS + 1} 个群，送达 {GROUPS} 个，失败 1 个" in report["text"]
    assert "第8村第11网格（telegram）：机器人已被移出群或群已解散" in report["text"]
    failed = bot.db.run_sync(lambda s: list(s.execute(select(Outbox.chat_id, Outbox.attempts).where(
        Outbox.status == "failed")).all()))
    assert failed == [(gone, 1)]  # a permanent error is not retried
    # Pace: 201 sends at 30/s take at least ~6 s; well within the limits, not far below them.
    span = notices[-1]["at"] - notices[0]["at"]
    assert span >= (GROUPS - 30) / 30
