"""kill -9 in the middle of a broadcast, then a restart: the broadcast finishes, every group
gets the notice, and only a send that was in flight at the kill (accepted by the platform but
not yet recorded) may arrive a second time, once. The bot runs as a real process
(`python -m bot run`) against the fake Telegram server, which enforces the flood limits."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from pathlib import Path

import yaml
from sqlalchemy import create_engine, select

from bot.storage.models import Outbox

from .conftest import REPO, default_config_data, eventually
from .fake_telegram import FakeTelegram
from .test_broadcast_telegram import GROUPS, LEADER, TOWN_CHAT, big_roster, grid_chat


def write_config(tmp_path: Path, fake: FakeTelegram) -> tuple[Path, str]:
    db_url = f"sqlite:///{tmp_path / 'crash.db'}"
    data = default_config_data()
    data.update(database_url=db_url, roster=str(big_roster(tmp_path / "roster.yaml")),
                http={"host": "127.0.0.1", "port": 0}, instance_name="crash-test",
                notices={"check_interval_seconds": 1})
    data["channels"] = {"webchat": {"enabled": False},
                        "telegram": {"enabled": True, "token": fake.token, "base_url": fake.base_url,
                                     "poll_timeout": 1}}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path, db_url


async def start_bot(config: Path, log: Path) -> asyncio.subprocess.Process:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(config.parent)}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--config", str(config), cwd=REPO, env=env,
        stdout=log.open("ab"), stderr=asyncio.subprocess.STDOUT)


def notices(fake: FakeTelegram) -> list:
    return [m for m in fake.sent if m.text.startswith("【通知】")]


async def test_kill_9_mid_broadcast_then_restart_delivers_each_group_once(tmp_path):
    fake = await FakeTelegram(enforce_limits=True).start()
    config, db_url = write_config(tmp_path, fake)
    log = tmp_path / "bot.log"
    first = await start_bot(config, log)
    try:
        await eventually(lambda: "getUpdates" in " ".join(fake.calls), timeout=60)
        await fake.push_update(fake.make_message_update(chat_id=TOWN_CHAT, user_id=LEADER, first_name="周主任",
                                                        text="通知 今晚8点起全镇停电检修，请做好准备"))
        await eventually(lambda: len(notices(fake)) >= 60, timeout=60)
        first.send_signal(signal.SIGKILL)  # no shutdown, no last writes
        await first.wait()
    finally:
        if first.returncode is None:
            first.kill()
    delivered_before = Counter(m.chat_id for m in notices(fake))
    assert 60 <= sum(delivered_before.values()) < GROUPS, "the kill must land mid-broadcast"
    engine = create_engine(db_url)
    with engine.connect() as conn:
        in_flight = {row.chat_id for row in conn.execute(select(Outbox.chat_id).where(
            Outbox.notice_id.is_not(None), Outbox.status == "pending", Outbox.claimed_until.is_not(None)))}
    engine.dispose()

    second = await start_bot(config, log)
    try:
        await eventually(lambda: any("【通知回执】" in m.text for m in fake.sent), timeout=90)
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(second.wait(), 20)
        except TimeoutError:
            second.kill()
        await fake.stop()
    per_chat = Counter(m.chat_id for m in notices(fake))
    expected = {str(TOWN_CHAT)} | {str(grid_chat(i)) for i in range(GROUPS)}
    assert set(per_chat) == expected, "no group is lost"
    doubled = {chat for chat, n in per_chat.items() if n > 1}
    assert max(per_chat.values()) <= 2 and doubled <= in_flight, (doubled, in_flight)
    reports = [m for m in fake.sent if "【通知回执】" in m.text]
    assert len(reports) == 1 and f"共 {GROUPS + 1} 个群，送达 {GROUPS + 1} 个，失败 0 个" in reports[0].text
    # A restarted process does not know what the dead one sent in the last second: the platform
    # may answer a 429 or two right after the restart, which are waited out, not lost.
    assert fake.too_many_requests <= 3


def test_a_restarted_instance_takes_back_only_its_own_claims(tmp_path):
    from datetime import datetime, timezone

    from sqlalchemy.orm import Session

    from bot.storage import outbox as outbox_store
    from bot.storage.db import create_db_engine, upgrade

    engine = create_db_engine(f"sqlite:///{tmp_path / 'claims.db'}")
    upgrade(engine)
    now = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)
    with Session(engine) as session, session.begin():
        for chat in ("a", "b", "c"):
            session.add(Outbox(channel="telegram", chat_id=chat, segments=[], next_attempt_at=now, created_at=now))
    with Session(engine) as session, session.begin():
        assert [r.chat_id for r in outbox_store.claim_many(session, [1, 2], now, "replica-1")] == ["a", "b"]
        assert [r.chat_id for r in outbox_store.claim_many(session, [3], now, "replica-2")] == ["c"]
        outbox_store.mark_sent(session, 2, now, "m1")
    with Session(engine) as session, session.begin():
        assert outbox_store.release_claims(session, "telegram", "replica-1") == 1  # row 1; row 2 was sent
        assert outbox_store.due_rows(session, "telegram", now) == [(1, "a")]  # c stays leased to replica-2
    engine.dispose()
