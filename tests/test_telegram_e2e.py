"""End to end: the real python-telegram-bot client against the fake Bot API server,
real aiohttp webhook route, real SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import timedelta

import pytest
from aiohttp import ClientSession
from sqlalchemy import func, select

from bot.app import GridBot
from bot.storage.models import InboundUpdate, Outbox, Ticket, TicketEvent

from .conftest import eventually, running
from .fake_telegram import FakeTelegram

GRID_CHAT = -1001000000101  # 东风村第一网格 in examples/roster.yaml
VILLAGE_CHAT = -1001000000100  # its parent, 东风村
WORKER = "7000111"  # 李网格, grid worker of that grid
LEADER = "7000110"  # 陈网格长, grid leader of that grid
VILLAGE_LEADER = "7000100"  # 王书记
RESIDENT = 880001
SECRET = "s3cret-Token_1"


@pytest.fixture
async def fake_tg():
    fake = await FakeTelegram().start()
    yield fake
    await fake.stop()


def tg_bot(make_config, database_url, fake: FakeTelegram, *, mode: str = "polling", intake_mode: str = "auto",
           clock=None):  # noqa: ANN001
    config = make_config(database_url, intake={"mode": intake_mode}, channels={
        "webchat": {"enabled": False},
        "telegram": {"enabled": True, "token": fake.token, "base_url": fake.base_url, "mode": mode,
                     "poll_timeout": 1, "webhook_url": "https://gridbot.example/telegram/webhook",
                     "secret_token": SECRET},
    })
    return GridBot(config, clock=clock)


def tickets(bot: GridBot) -> list[Ticket]:
    return bot.db.run_sync(lambda s: list(s.execute(select(Ticket).order_by(Ticket.id)).scalars()))


def count(bot: GridBot, model) -> int:  # noqa: ANN001
    return bot.db.run_sync(lambda s: s.execute(select(func.count()).select_from(model)).scalar_one())


async def test_resident_request_opens_ticket_and_mentions_worker(make_config, database_url, fake_tg):
    bot = tg_bot(make_config, database_url, fake_tg)
    async with running(bot):
        update = fake_tg.make_message_update(chat_id=GRID_CHAT, user_id=RESIDENT,
                                             text="楼下的路灯坏了一个多星期了，晚上黑灯瞎火的")
        await fake_tg.push_update(update)
        sent = await fake_tg.wait_for_sent(1)
    [ticket] = tickets(bot)
    assert ticket.type == "repair"
    assert ticket.assignee_id == "li-wangge"
    assert ticket.unit_id == "dongfeng-g1"
    assert ticket.reporter_id == str(RESIDENT) and not ticket.urgent
    assert ticket.accept_due_at - ticket.created_at == timedelta(hours=8)
    [reply] = sent
    assert reply.chat_id == str(GRID_CHAT)
    assert reply.parse_mode == "HTML"
    assert reply.reply_to_message_id == update["message"]["message_id"]
    assert f"工单 #{ticket.id}" in reply.text and "【设施报修】" in reply.text
    assert f'<a href="tg://user?id={WORKER}">@李网格</a>' in reply.text
    assert "8 小时内受理" in reply.text
    events = bot.db.run_sync(lambda s: [e.kind for e in s.execute(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)).scalars()])
    assert events == ["created", "assigned"]


async def test_chit_chat_and_stickers_open_nothing(make_config, database_url, fake_tg):
    bot = tg_bot(make_config, database_url, fake_tg)
    async with running(bot):
        for text in ("收到", "谢谢", "大家早上好", "👍👍😂", ""):
            await fake_tg.push_update(fake_tg.make_message_update(
                chat_id=GRID_CHAT, user_id=RESIDENT, text=text, sticker=not text))
        # A real request afterwards: once it is answered, everything before it was handled.
        await fake_tg.push_update(fake_tg.make_message_update(chat_id=GRID_CHAT, user_id=RESIDENT,
                                                              text="小区垃圾桶满了三天没人清运，臭得不行"))
        await fake_tg.wait_for_sent(1)
        await asyncio.sleep(0.2)
    assert [t.type for t in tickets(bot)] == ["environment"]
    assert len(fake_tg.sent) == 1


async def test_urgent_mentions_leader_and_notifies_parent_chat(make_config, database_url, fake_tg):
    bot = tg_bot(make_config, database_url, fake_tg)
    async with running(bot):
        await fake_tg.push_update(fake_tg.make_message_update(
            chat_id=GRID_CHAT, user_id=RESIDENT, text="三楼着火了！浓烟很大，快来人"))
        await fake_tg.wait_for_sent(2)
    [ticket] = tickets(bot)
    assert ticket.urgent
    assert ticket.accept_due_at - ticket.created_at == timedelta(minutes=30)
    [group_reply] = fake_tg.sent_to(GRID_CHAT)
    assert group_reply.text.startswith("【紧急】")
    assert f"tg://user?id={WORKER}" in group_reply.text and f"tg://user?id={LEADER}" in group_reply.text
    assert "30 分钟内受理" in group_reply.text
    [parent] = fake_tg.sent_to(VILLAGE_CHAT)
    assert f"#{ticket.id}" in parent.text and "着火" in parent.text
    assert f"tg://user?id={VILLAGE_LEADER}" in parent.text


async def test_repeat_within_window_adds_to_open_ticket(make_config, database_url, fake_tg):
    bot = tg_bot(make_config, database_url, fake_tg)
    async with running(bot):
        await fake_tg.push_update(fake_tg.make_message_update(
            chat_id=GRID_CHAT, user_id=RESIDENT, text="我家门口的下水道堵了，污水往外冒"))
        await fake_tg.wait_for_sent(1)
        await fake_tg.push_update(fake_tg.make_message_update(
            chat_id=GRID_CHAT, user_id=RESIDENT, text="下水道还是堵着，麻烦快点来修一下"))
        # Another resident with the same problem is linked to the same ticket as a second reporter.
        await fake_tg.push_update(fake_tg.make_message_update(
            chat_id=GRID_CHAT, user_id=RESIDENT + 1, text="门口下水道堵了，污水都冒出来了", first_name="李四"))
        await fake_tg.wait_for_sent(3)
    [ticket] = tickets(bot)
    assert ticket.reporter_id == str(RESIDENT) and ticket.reporter_count == 2
    assert "已将您的补充情况记入工单 #%d" % ticket.id in fake_tg.sent[1].text
    assert "已有居民反映过这个问题（工单 #%d" % ticket.id in fake_tg.sent[2].text
    kinds = bot.db.run_sync(lambda s: [e.kind for e in s.execute(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)).scalars()])
    assert kinds.count("supplemented") == 1 and kinds.count("reporter_linked") == 1


async def test_mention_mode_reads_only_messages_addressed_to_bot(make_config, database_url, fake_tg):
    bot = tg_bot(make_config, database_url, fake_tg, intake_mode="mention")
    async with running(bot):
        await fake_tg.push_update(fake_tg.make_message_update(
            chat_id=GRID_CHAT, user_id=RESIDENT, text="楼道灯坏了好几天了"))  # not addressed: ignored
        await fake_tg.push_update(fake_tg.make_message_update(
            chat_id=GRID_CHAT, user_id=RESIDENT, text="你好", mention_bot=True))  # addressed, nothing to file
        await fake_tg.wait_for_sent(1)
        assert "请直接描述您遇到的问题" in fake_tg.sent[0].text
        await fake_tg.push_update(fake_tg.make_message_update(
            chat_id=GRID_CHAT, user_id=RESIDENT, text="楼道灯坏了好几天了", mention_bot=True))
        await fake_tg.wait_for_sent(2)
        await fake_tg.push_update(fake_tg.make_message_update(
            chat_id=GRID_CHAT, user_id=RESIDENT + 5, text="隔壁两家因为宅基地吵起来了，快打起来了",
            reply_to_bot_message=fake_tg.sent[0].message_id))
        await fake_tg.wait_for_sent(3)
    assert [t.type for t in tickets(bot)] == ["repair", "dispute"]


async def test_unknown_chat_stays_silent_and_is_logged(make_config, database_url, fake_tg, caplog):
    bot = tg_bot(make_config, database_url, fake_tg)
    caplog.set_level(logging.INFO, logger="bot.handlers.intake")
    async with running(bot):
        await fake_tg.push_update(fake_tg.make_message_update(chat_id=-100999, user_id=RESIDENT,
                                                              text="路灯坏了好几天了"))
        await eventually(lambda: count(bot, InboundUpdate) == 1 and bot.db.run_sync(
            lambda s: s.execute(select(InboundUpdate.processed_at)).scalar_one()) is not None)
        await asyncio.sleep(0.2)
    assert count(bot, Ticket) == 0 and fake_tg.sent == []
    assert any("not in the roster" in r.getMessage() and "-100999" in r.getMessage() for r in caplog.records)


async def test_private_chat_gets_guidance(make_config, database_url, fake_tg):
    bot = tg_bot(make_config, database_url, fake_tg)
    async with running(bot):
        await fake_tg.push_update(fake_tg.make_message_update(chat_id=RESIDENT, user_id=RESIDENT,
                                                              text="路灯坏了", chat_type="private"))
        await fake_tg.wait_for_sent(1)
    assert "请在您所在网格的群里反映问题" in fake_tg.sent[0].text
    assert count(bot, Ticket) == 0


async def test_bad_input_is_handled(make_config, database_url, fake_tg):
    bot = tg_bot(make_config, database_url, fake_tg)
    long_text = "楼下路灯坏了，" + "晚上很黑。" * 2000  # over 10,000 characters
    async with running(bot):
        await fake_tg.push_update(fake_tg.make_message_update(chat_id=GRID_CHAT, user_id=RESIDENT,
                                                              text=long_text))
        await fake_tg.wait_for_sent(1)
    [ticket] = tickets(bot)
    assert len(long_text) > 10_000
    assert len(ticket.text) <= bot.config.intake.max_text_chars + 1
    assert ticket.type == "repair"


async def test_429_reply_is_retried_after_retry_after(make_config, database_url, fake_tg):
    bot = tg_bot(make_config, database_url, fake_tg)
    fake_tg.fail_next_sends(1, retry_after=1)
    async with running(bot):
        started = time.monotonic()
        await fake_tg.push_update(fake_tg.make_message_update(chat_id=GRID_CHAT, user_id=RESIDENT,
                                                              text="电梯坏了，老人上不了楼"))
        await fake_tg.wait_for_sent(1, timeout=15)
        elapsed = time.monotonic() - started
    assert fake_tg.too_many_requests == 1
    assert elapsed >= 1.0  # waited for retry_after
    assert len(fake_tg.sent) == 1 and "工单 #" in fake_tg.sent[0].text
    [row] = bot.db.run_sync(lambda s: list(s.execute(select(Outbox)).scalars()))
    assert row.status == "sent" and row.platform_message_id == str(fake_tg.sent[0].message_id)


async def test_bot_removed_from_group_marks_reply_failed(make_config, database_url, fake_tg):
    bot = tg_bot(make_config, database_url, fake_tg)
    fake_tg.forbidden_chats.add(str(GRID_CHAT))
    async with running(bot):
        await fake_tg.push_update(fake_tg.make_message_update(chat_id=GRID_CHAT, user_id=RESIDENT,
                                                              text="楼道里堆满了杂物，消防通道堵死了"))
        await eventually(lambda: bot.db.run_sync(
            lambda s: s.execute(select(Outbox.status)).scalar_one_or_none()) == "failed")
    [row] = bot.db.run_sync(lambda s: list(s.execute(select(Outbox)).scalars()))
    assert "kicked" in row.error and row.attempts == 1
    assert count(bot, Ticket) == 1  # the ticket stands even though the group cannot be told


# -- webhook ---------------------------------------------------------------------------

def webhook_url(bot: GridBot) -> str:
    return f"http://127.0.0.1:{bot.http_port}/telegram/webhook"


async def test_webhook_registers_and_handles_update(make_config, database_url, fake_tg):
    bot = tg_bot(make_config, database_url, fake_tg, mode="webhook")
    async with running(bot):
        assert fake_tg.webhook["url"] == "https://gridbot.example/telegram/webhook"
        assert fake_tg.webhook["secret_token"] == SECRET
        update = fake_tg.make_message_update(chat_id=GRID_CHAT, user_id=RESIDENT, text="我要反映邻居家狗天天半夜叫，还咬人")
        assert await fake_tg.post_webhook(update, url=webhook_url(bot)) == 200
        await fake_tg.wait_for_sent(1)
    assert "getUpdates" not in fake_tg.calls
    assert len(tickets(bot)) == 1


async def test_webhook_duplicate_delivery_opens_one_ticket_even_after_restart(make_config, database_url, fake_tg):
    bot = tg_bot(make_config, database_url, fake_tg, mode="webhook")
    update = fake_tg.make_message_update(chat_id=GRID_CHAT, user_id=RESIDENT, text="村口的井盖丢了，很危险")
    async with running(bot):
        assert await fake_tg.post_webhook(update, url=webhook_url(bot)) == 200
        assert await fake_tg.post_webhook(update, url=webhook_url(bot)) == 200
        await fake_tg.wait_for_sent(1)
        await asyncio.sleep(0.2)
    again = tg_bot(make_config, database_url, fake_tg, mode="webhook")
    async with running(again):
        assert await fake_tg.post_webhook(update, url=webhook_url(again)) == 200
        await asyncio.sleep(0.3)
    assert len(tickets(again)) == 1
    assert len(fake_tg.sent) == 1
    assert count(again, InboundUpdate) == 1


async def test_webhook_wrong_secret_is_403_and_stores_nothing(make_config, database_url, fake_tg):
    bot = tg_bot(make_config, database_url, fake_tg, mode="webhook")
    update = fake_tg.make_message_update(chat_id=GRID_CHAT, user_id=RESIDENT, text="路灯坏了")
    async with running(bot):
        assert await fake_tg.post_webhook(update, url=webhook_url(bot), secret="wrong") == 403
        assert await fake_tg.post_webhook(update, url=webhook_url(bot), secret="") == 403
    assert count(bot, InboundUpdate) == 0 and count(bot, Ticket) == 0 and fake_tg.sent == []


@pytest.mark.parametrize("body", ["{not json", "[]", json.dumps({"message": {}}),
                                  json.dumps({"update_id": "x"}), json.dumps({"update_id": 5, "message": 3})])
async def test_webhook_malformed_body_is_400_and_stores_nothing(make_config, database_url, fake_tg, body):
    bot = tg_bot(make_config, database_url, fake_tg, mode="webhook")
    async with running(bot):
        async with ClientSession() as http:
            async with http.post(webhook_url(bot), data=body,
                                 headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as resp:
                assert resp.status == 400
    assert count(bot, InboundUpdate) == 0 and count(bot, Ticket) == 0


async def test_token_never_logged(make_config, database_url, fake_tg, caplog):
    from bot.logging_setup import RedactSecrets

    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(RedactSecrets([fake_tg.token]))
    bot = tg_bot(make_config, database_url, fake_tg)
    async with running(bot):
        await fake_tg.push_update(fake_tg.make_message_update(chat_id=GRID_CHAT, user_id=RESIDENT,
                                                              text="楼上漏水，把我家天花板泡坏了"))
        await fake_tg.wait_for_sent(1)
    assert caplog.records, "expected some log output"
    assert all(fake_tg.token not in r.getMessage() for r in caplog.records)
    assert fake_tg.token not in caplog.text
