"""Web chat buttons: chips under bot messages and presses coming back as button messages, over a
real WebSocket (aiohttp) and in headless Chromium, with a recording stand-in for the core's
``Ingestor`` interface."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientSession, ClientWebSocketResponse, web
from aiohttp.test_utils import TestServer

from bot.channels.webchat import WebChatChannel
from bot.config import WebchatConfig
from bot.messages import Button, MessageBuilder, OutgoingMessage

from .conftest import eventually, headless_chromium, keep_screenshots
from .recording import RecordingIngestor


CHAT = "dongfeng-g1"
RATING = (Button("满意", "评价 128 满意"), Button("基本满意", "评价 128 基本满意"), Button("不满意", "评价 128 不满意"))
DIRECTORY = {
    "groups": [{"chat_id": CHAT, "unit_id": CHAT, "name": "东风村第一网格", "level": "grid",
                "path": "青山镇网格化综合服务中心 / 东风村 / 东风村第一网格"}],
    "people": [{"id": "li-wangge", "person_id": "li-wangge", "name": "李网格", "roles": ["grid_worker"],
                "unit_id": CHAT, "unit_name": "东风村第一网格"}],
}


@dataclass
class Harness:
    channel: WebChatChannel
    ingestor: RecordingIngestor
    server: TestServer
    http: ClientSession
    last_history: list[dict[str, Any]] | None = None

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    async def join(self, user: str = "r-1", name: str = "居民张三") -> ClientWebSocketResponse:
        ws = await self.http.ws_connect(self.url("/webchat/ws"), params={"chat": CHAT, "user": user, "name": name})
        first = await ws.receive_json()
        assert first["type"] == "history"
        self.last_history = first["messages"]
        return ws


@asynccontextmanager
async def webchat() -> AsyncIterator[Harness]:
    channel = WebChatChannel(WebchatConfig())
    ingestor = RecordingIngestor(DIRECTORY)
    app = web.Application()
    app.add_routes(channel.routes())
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    await channel.start(ingestor)
    try:
        async with ClientSession() as http:
            yield Harness(channel, ingestor, server, http)
    finally:
        await channel.stop()
        await channel.close()
        await server.close()


def rating_message() -> OutgoingMessage:
    return OutgoingMessage(channel="webchat", chat_id=CHAT, segments=MessageBuilder()
                           .text("工单 #128 已办结，请您对办理结果进行评价：").buttons(RATING).build())


async def next_message(ws: ClientWebSocketResponse, timeout: float = 5.0) -> dict[str, Any]:
    while True:
        frame = await asyncio.wait_for(ws.receive_json(), timeout)
        if frame["type"] == "message":
            return frame["message"]


async def test_sent_buttons_reach_the_page_and_history():
    async with webchat() as h:
        ws = await h.join()
        message_id = await h.channel.send(rating_message())
        got = await next_message(ws)
        late = await h.join("r-2", "居民李四")
        history = h.last_history
        await ws.close()
        await late.close()
    assert history == [got]  # a late joiner still gets the chips
    assert got["id"] == message_id and got["from"]["bot"]
    assert got["segments"] == [
        {"kind": "text", "text": "工单 #128 已办结，请您对办理结果进行评价："},
        {"kind": "buttons", "rows": [[{"label": "满意", "command": "评价 128 满意"},
                                      {"label": "基本满意", "command": "评价 128 基本满意"},
                                      {"label": "不满意", "command": "评价 128 不满意"}]]},
    ]


async def test_button_frame_becomes_a_button_press_in_reply_to_the_bot():
    async with webchat() as h:
        ws = await h.join()
        bot_message = await h.channel.send(rating_message())
        await next_message(ws)
        await ws.send_str(json.dumps({"type": "send", "client_id": "c1", "text": "评价 128 满意",
                                      "button": True, "reply_to": bot_message}))
        echo = await next_message(ws)
        # A typed message, and a frame whose "button" is not literally true, are ordinary text.
        await ws.send_str(json.dumps({"type": "send", "client_id": "c2", "text": "@居民助理 评价 128 满意"}))
        await ws.send_str(json.dumps({"type": "send", "client_id": "c3", "text": "评价 128 满意", "button": "yes"}))
        await eventually(lambda: len(h.ingestor.stored) == 3)
        await ws.close()
    press = h.ingestor.stored[f"{CHAT}:c1"]
    assert press is not None
    assert press.is_button and press.text == "评价 128 满意"
    assert press.sender_id == "r-1" and press.sender_name == "居民张三" and press.chat_id == CHAT
    assert press.reply_to_bot and press.reply_to_message_id == bot_message and not press.mentions_bot
    assert echo["button"] is True and echo["reply_to"] == bot_message and echo["from"]["id"] == "r-1"
    typed = h.ingestor.stored[f"{CHAT}:c2"]
    assert typed is not None and not typed.is_button and typed.mentions_bot and typed.text == "评价 128 满意"
    loose = h.ingestor.stored[f"{CHAT}:c3"]
    assert loose is not None and not loose.is_button and not loose.reply_to_bot


async def test_page_shows_chips_and_a_tap_sends_the_command(tmp_path, chromium_path):
    async with webchat() as h, headless_chromium(chromium_path) as browser:
        page = await browser.new_page(viewport={"width": 400, "height": 760})  # phone-sized
        await page.goto(h.url("/"))
        await page.wait_for_selector(".group.active")
        await page.wait_for_function("() => !document.getElementById('send').disabled")
        bot_message = await h.channel.send(rating_message())
        chips = page.locator(f'.msg.bot[data-id="{bot_message}"] .chip')
        await chips.first.wait_for(timeout=10000)
        assert await chips.all_inner_texts() == ["满意", "基本满意", "不满意"]
        bubble = page.locator(f'.msg.bot[data-id="{bot_message}"] .bubble')
        assert await bubble.inner_text() == "工单 #128 已办结，请您对办理结果进行评价："
        for chip in await chips.all():
            box = await chip.bounding_box()
            assert box is not None and box["height"] >= 32
        await page.screenshot(path=str(tmp_path / "chips.png"))

        await chips.nth(1).click()
        await eventually(lambda: h.ingestor.messages())
        [press] = h.ingestor.messages()
        assert press.is_button and press.text == "评价 128 基本满意"
        assert press.reply_to_bot and press.reply_to_message_id == bot_message
        assert press.sender_name == "居民张三" and press.sender_id.startswith("r-")
        # The choice is shown as the resident's own message; the chips are spent on this page.
        await page.locator(".msg.me .bubble").last.wait_for(timeout=10000)
        assert await page.locator(".msg.me .bubble").last.inner_text() == "评价 128 基本满意"
        assert await chips.nth(1).get_attribute("class") == "chip chosen"
        assert all([await c.is_disabled() for c in await chips.all()])
        await chips.nth(0).click(force=True)
        await asyncio.sleep(0.3)
        assert len(h.ingestor.messages()) == 1
        await page.screenshot(path=str(tmp_path / "chips-pressed.png"))
        keep_screenshots(tmp_path, "chips.png", "chips-pressed.png")
