"""Telegram buttons, callback queries and text mentions: the real python-telegram-bot client in
``TelegramChannel`` against the fake Bot API server, the real aiohttp webhook route, and a
recording stand-in for the core's ``Ingestor`` interface."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.channels.telegram import TelegramChannel, render_html
from bot.config import TelegramConfig
from bot.messages import Button, IncomingMessage, MessageBuilder, OutgoingMessage

from .fake_telegram import BOT_ID, FakeTelegram
from .recording import RecordingIngestor

GRID_CHAT = -1001000000101
RESIDENT = 880001
WORKER = 7000111
SECRET = "s3cret-Token_1"
RATING = (Button("满意", "评价 128 满意"), Button("基本满意", "评价 128 基本满意"), Button("不满意", "评价 128 不满意"))


@dataclass
class Harness:
    fake: FakeTelegram
    channel: TelegramChannel
    ingestor: RecordingIngestor
    server: TestServer | None

    @property
    def webhook_url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/telegram/webhook"))


@pytest.fixture
async def fake_tg() -> AsyncIterator[FakeTelegram]:
    fake = await FakeTelegram().start()
    yield fake
    await fake.stop()


@asynccontextmanager
async def telegram(fake: FakeTelegram, mode: str = "polling") -> AsyncIterator[Harness]:
    config = TelegramConfig(enabled=True, token=fake.token, base_url=fake.base_url, mode=mode, poll_timeout=1,
                            webhook_url="https://gridbot.example/telegram/webhook", secret_token=SECRET)
    channel = TelegramChannel(config)
    ingestor = RecordingIngestor()
    server = None
    if mode == "webhook":
        app = web.Application()
        app.add_routes(channel.routes())
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
    await channel.start(ingestor)
    try:
        yield Harness(fake, channel, ingestor, server)
    finally:
        await channel.stop()
        await channel.close()
        if server is not None:
            await server.close()


def rating_message(*extra_rows: tuple[Button, ...]) -> OutgoingMessage:
    segments = (MessageBuilder().text("工单 #128 已办结，请您对办理结果进行评价：")
                .buttons(RATING, *extra_rows).build())
    return OutgoingMessage(channel="telegram", chat_id=str(GRID_CHAT), segments=segments)


async def send_rating(h: Harness) -> int:
    message_id = await h.channel.send(rating_message())
    assert message_id is not None
    return int(message_id)


# -- sending ---------------------------------------------------------------------------------

async def test_buttons_become_an_inline_keyboard_and_leave_the_text_alone(fake_tg):
    more = (Button("查看进度", "进度 128"),)
    async with telegram(fake_tg) as h:
        await h.channel.send(rating_message(more))
        plain = OutgoingMessage(channel="telegram", chat_id=str(GRID_CHAT),
                                segments=MessageBuilder().text("收到").mention(str(WORKER), "李网格").build())
        await h.channel.send(plain)
    with_buttons, without = fake_tg.sent
    assert with_buttons.text == "工单 #128 已办结，请您对办理结果进行评价："
    assert with_buttons.reply_markup == {"inline_keyboard": [
        [{"text": "满意", "callback_data": "评价 128 满意"},
         {"text": "基本满意", "callback_data": "评价 128 基本满意"},
         {"text": "不满意", "callback_data": "评价 128 不满意"}],
        [{"text": "查看进度", "callback_data": "进度 128"}],
    ]}
    assert without.reply_markup is None
    assert without.text == f'收到<a href="tg://user?id={WORKER}">@李网格</a>'


def test_render_html_skips_buttons():
    assert render_html(rating_message()) == "工单 #128 已办结，请您对办理结果进行评价："


async def test_longest_allowed_command_is_accepted(fake_tg):
    command = "评价 " + "好" * 19  # 7 + 57 = 64 UTF-8 bytes, Telegram's limit
    assert len(command.encode("utf-8")) == 64
    async with telegram(fake_tg) as h:
        await h.channel.send(OutgoingMessage(channel="telegram", chat_id=str(GRID_CHAT), segments=MessageBuilder()
                                             .text("请选择").buttons((Button("选项", command),)).build()))
    assert fake_tg.sent[0].reply_markup["inline_keyboard"][0][0]["callback_data"] == command


# -- receiving button presses --------------------------------------------------------------

def assert_press(message: IncomingMessage | None, *, query_id: str, command: str, bot_message_id: int,
                 user_id: int = RESIDENT, name: str = "张三") -> None:
    assert message is not None
    assert message.channel == "telegram"
    assert message.text == command
    assert message.is_button
    assert message.sender_id == str(user_id) and message.sender_name == name
    assert message.chat_id == str(GRID_CHAT) and message.chat_type == "group"
    assert message.reply_to_bot and not message.mentions_bot
    assert message.reply_to_message_id == str(bot_message_id)
    assert message.message_id == f"cb{query_id}"
    assert message.mentioned_ids == () and message.attachments == ()
    assert message.sent_at is not None
    assert abs(datetime.now(timezone.utc) - message.sent_at) < timedelta(minutes=1)
    # It survives the inbox's JSON round trip unchanged.
    assert IncomingMessage.from_json(message.to_json()) == message


async def test_polled_button_press_is_the_command_from_the_presser(fake_tg):
    async with telegram(fake_tg) as h:
        bot_message = await send_rating(h)
        update = fake_tg.make_callback_update(chat_id=GRID_CHAT, user_id=RESIDENT, first_name="张三",
                                              data="评价 128 满意", message_id=bot_message)
        query_id = update["callback_query"]["id"]
        await fake_tg.push_update(update)
        message = await h.ingestor.wait_for(update["update_id"])
        await fake_tg.wait_for_callback_answer(query_id)
    assert_press(message, query_id=query_id, command="评价 128 满意", bot_message_id=bot_message)
    assert fake_tg.answered_callbacks == [query_id]
    [call] = fake_tg.callback_answer_calls
    assert set(call) == {"callback_query_id"}  # no text, no alert: only stops the spinner


async def test_webhook_button_press_is_stored_and_answered(fake_tg):
    async with telegram(fake_tg, mode="webhook") as h:
        assert fake_tg.webhook["allowed_updates"] == ["message", "callback_query"]
        bot_message = await send_rating(h)
        update = fake_tg.make_callback_update(chat_id=GRID_CHAT, user_id=RESIDENT + 1, first_name="李四",
                                              data="评价 128 不满意", message_id=bot_message)
        query_id = update["callback_query"]["id"]
        assert await fake_tg.post_webhook(update, url=h.webhook_url) == 200
        message = await h.ingestor.wait_for(update["update_id"])
        await fake_tg.wait_for_callback_answer(query_id)
        # Wrong secret: nothing stored, nothing answered.
        other = fake_tg.make_callback_update(chat_id=GRID_CHAT, user_id=RESIDENT, data="评价 128 满意",
                                             message_id=bot_message)
        assert await fake_tg.post_webhook(other, url=h.webhook_url, secret="wrong") == 403
    assert_press(message, query_id=query_id, command="评价 128 不满意", bot_message_id=bot_message,
                 user_id=RESIDENT + 1, name="李四")
    assert fake_tg.answered_callbacks == [query_id]
    assert str(other["update_id"]) not in h.ingestor.stored
    assert "getUpdates" not in fake_tg.calls


async def test_repeated_callback_delivery_is_ingested_and_answered_once(fake_tg):
    async with telegram(fake_tg, mode="webhook") as h:
        bot_message = await send_rating(h)
        update = fake_tg.make_callback_update(chat_id=GRID_CHAT, user_id=RESIDENT, data="评价 128 满意",
                                              message_id=bot_message)
        query_id = update["callback_query"]["id"]
        assert await fake_tg.post_webhook(update, url=h.webhook_url) == 200
        assert await fake_tg.post_webhook(update, url=h.webhook_url) == 200
        await fake_tg.wait_for_callback_answer(query_id)
        await asyncio.sleep(0.2)  # a second answer, if any, would have landed by now
    key = str(update["update_id"])
    assert h.ingestor.calls == [("telegram", key), ("telegram", key)]
    assert list(h.ingestor.stored) == [key]
    assert fake_tg.answered_callbacks == [query_id]


async def test_repeated_callback_in_polling_is_answered_once(fake_tg):
    async with telegram(fake_tg) as h:
        bot_message = await send_rating(h)
        update = fake_tg.make_callback_update(chat_id=GRID_CHAT, user_id=RESIDENT, data="评价 128 满意",
                                              message_id=bot_message)
        query_id = update["callback_query"]["id"]
        await fake_tg.push_update(update)
        await fake_tg.push_update(update)  # delivered twice (e.g. re-polled after a crash)
        marker = fake_tg.make_message_update(chat_id=GRID_CHAT, user_id=RESIDENT, text="谢谢")
        await fake_tg.push_update(marker)
        await h.ingestor.wait_for(marker["update_id"])
        await fake_tg.wait_for_callback_answer(query_id)
        await asyncio.sleep(0.2)
    assert [k for _c, k in h.ingestor.calls].count(str(update["update_id"])) == 2
    assert fake_tg.answered_callbacks == [query_id]


@pytest.mark.parametrize("kind", ["inaccessible message", "no data"])
async def test_unusable_callback_is_stored_as_nothing_and_still_answered(fake_tg, kind):
    async with telegram(fake_tg) as h:
        bot_message = await send_rating(h)
        update = fake_tg.make_callback_update(
            chat_id=GRID_CHAT, user_id=RESIDENT, message_id=bot_message,
            data=None if kind == "no data" else "评价 128 满意", inaccessible=kind == "inaccessible message")
        query_id = update["callback_query"]["id"]
        await fake_tg.push_update(update)
        assert await h.ingestor.wait_for(update["update_id"]) is None
        await fake_tg.wait_for_callback_answer(query_id)
    assert fake_tg.answered_callbacks == [query_id]


@pytest.mark.parametrize("status, description, level", [
    (400, "Bad Request: query is too old and response timeout expired or query id is invalid", logging.INFO),
    (502, "Bad Gateway", logging.WARNING),
])
async def test_failed_callback_answer_does_not_stop_polling(fake_tg, caplog, status, description, level):
    caplog.set_level(logging.INFO, logger="bot.channels.telegram")
    async with telegram(fake_tg) as h:
        bot_message = await send_rating(h)
        old = fake_tg.make_callback_update(chat_id=GRID_CHAT, user_id=RESIDENT, data="评价 128 满意",
                                           message_id=bot_message)
        old_id = old["callback_query"]["id"]
        fake_tg.fail_callback_answer(old_id, status=status, description=description)
        await fake_tg.push_update(old)
        assert_press(await h.ingestor.wait_for(old["update_id"]), query_id=old_id, command="评价 128 满意",
                     bot_message_id=bot_message)
        await fake_tg.wait_for_callback_answer(old_id)
        # Polling goes on: a later message and a later press both arrive, and the press is answered.
        later = fake_tg.make_message_update(chat_id=GRID_CHAT, user_id=RESIDENT, text="路灯又坏了")
        await fake_tg.push_update(later)
        assert (await h.ingestor.wait_for(later["update_id"])).text == "路灯又坏了"
        press = fake_tg.make_callback_update(chat_id=GRID_CHAT, user_id=RESIDENT, data="评价 128 基本满意",
                                             message_id=bot_message)
        await fake_tg.push_update(press)
        await h.ingestor.wait_for(press["update_id"])
        await fake_tg.wait_for_callback_answer(press["callback_query"]["id"])
    assert fake_tg.answered_callbacks == [press["callback_query"]["id"]]
    [record] = [r for r in caplog.records if old_id in r.getMessage()]
    assert record.levelno == level and "could not answer callback query" in record.getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not [r for r in caplog.records if "polling failed" in r.getMessage()]


async def test_failed_callback_answer_does_not_fail_the_webhook(fake_tg):
    async with telegram(fake_tg, mode="webhook") as h:
        bot_message = await send_rating(h)
        update = fake_tg.make_callback_update(chat_id=GRID_CHAT, user_id=RESIDENT, data="评价 128 满意",
                                              message_id=bot_message)
        fake_tg.fail_callback_answer(update["callback_query"]["id"])
        assert await fake_tg.post_webhook(update, url=h.webhook_url) == 200
        await fake_tg.wait_for_callback_answer(update["callback_query"]["id"])
        assert await h.ingestor.wait_for(update["update_id"]) is not None
    assert fake_tg.answered_callbacks == []


# -- text mentions -----------------------------------------------------------------------------

async def test_text_mentions_fill_mentioned_ids_but_not_the_bot(fake_tg):
    async with telegram(fake_tg) as h:
        worker = fake_tg.make_message_update(chat_id=GRID_CHAT, user_id=RESIDENT, text="路灯还没修好，麻烦",
                                             text_mention_user=WORKER, text_mention_name="李网格")
        bot_only = fake_tg.make_message_update(chat_id=GRID_CHAT, user_id=RESIDENT, text="你好",
                                               text_mention_user=BOT_ID, text_mention_name="网格助手")
        both = fake_tg.make_message_update(chat_id=GRID_CHAT, user_id=RESIDENT, text="井盖丢了",
                                           mention_bot=True, text_mention_user=WORKER, text_mention_name="李网格")
        for update in (worker, bot_only, both):
            await fake_tg.push_update(update)
        got = [await h.ingestor.wait_for(u["update_id"]) for u in (worker, bot_only, both)]
    assert got[0].mentioned_ids == (str(WORKER),) and not got[0].mentions_bot
    assert got[0].text == "路灯还没修好，麻烦 李网格"
    assert got[1].mentioned_ids == () and got[1].mentions_bot and got[1].text == "你好"
    assert got[2].mentioned_ids == (str(WORKER),) and got[2].mentions_bot and got[2].text == "井盖丢了 李网格"
    assert not any(m.is_button for m in got)
