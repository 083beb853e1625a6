"""Built-in web chat over a real WebSocket on loopback: intake, routing rules, urgency, de-duplication."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from aiohttp import ClientSession, ClientWebSocketResponse
from sqlalchemy import select

from bot.app import GridBot
from bot.storage.models import Ticket

from .conftest import running


class ChatClient:
    def __init__(self, ws: ClientWebSocketResponse) -> None:
        self.ws = ws
        self.history: list[dict[str, Any]] = []

    async def say(self, text: str, client_id: str | None = None) -> None:
        await self.ws.send_str(json.dumps({"type": "send", "client_id": client_id or uuid.uuid4().hex, "text": text}))

    async def next_bot_message(self, timeout: float = 10.0) -> dict[str, Any]:
        while True:
            frame = await asyncio.wait_for(self.ws.receive_json(), timeout)
            if frame["type"] == "message" and frame["message"]["from"]["bot"]:
                return frame["message"]

    async def silence(self, seconds: float = 0.4) -> list[dict[str, Any]]:
        """Bot messages arriving within ``seconds`` (expected: none)."""
        got = []
        try:
            while True:
                frame = await asyncio.wait_for(self.ws.receive_json(), seconds)
                if frame["type"] == "message" and frame["message"]["from"]["bot"]:
                    got.append(frame["message"])
        except TimeoutError:
            return got


@pytest.fixture
async def web_bot(make_config, database_url):
    bot = GridBot(make_config(database_url))
    async with running(bot):
        async with ClientSession() as http:
            bot.http_session = http
            yield bot


async def join(bot: GridBot, chat: str, user: str, name: str) -> ChatClient:
    ws = await bot.http_session.ws_connect(
        f"http://127.0.0.1:{bot.http_port}/webchat/ws", params={"chat": chat, "user": user, "name": name})
    first = await ws.receive_json()
    assert first["type"] == "history"
    client = ChatClient(ws)
    client.history = first["messages"]
    return client


def mentions(message: dict[str, Any]) -> list[str]:
    return [s["user_id"] for s in message["segments"] if s["kind"] == "mention"]


def text_of(message: dict[str, Any]) -> str:
    return "".join(s["text"] if s["kind"] == "text" else "@" + s["name"] for s in message["segments"])


def all_tickets(bot: GridBot) -> list[Ticket]:
    return bot.db.run_sync(lambda s: list(s.execute(select(Ticket).order_by(Ticket.id)).scalars()))


async def test_directory_lists_groups_and_people(web_bot):
    async with web_bot.http_session.get(f"http://127.0.0.1:{web_bot.http_port}/webchat/api/directory") as resp:
        data = await resp.json()
    groups = {g["chat_id"]: g for g in data["groups"]}
    assert groups["dongfeng-g1"]["path"] == "青山镇网格化综合服务中心 / 东风村 / 东风村第一网格"
    assert groups["dongfeng-g1"]["level"] == "grid"
    assert {"id": "li-wangge", "name": "李网格"}.items() <= next(
        p for p in data["people"] if p["id"] == "li-wangge").items()
    assert data["bot_name"] == "居民助理"


async def test_request_gets_ticket_and_mention(web_bot):
    resident = await join(web_bot, "dongfeng-g1", "r-1", "居民张三")
    worker = await join(web_bot, "dongfeng-g1", "li-wangge", "李网格")
    await resident.say("楼下的路灯坏了一个多星期了，晚上黑灯瞎火的")
    reply = await resident.next_bot_message()
    [ticket] = all_tickets(web_bot)
    assert mentions(reply) == ["li-wangge"]
    assert f"工单 #{ticket.id}" in text_of(reply) and "【设施报修】" in text_of(reply)
    assert (await worker.next_bot_message())["id"] == reply["id"]  # everyone in the group sees it
    late = await join(web_bot, "dongfeng-g1", "r-2", "居民李四")
    assert [m["from"]["name"] for m in late.history] == ["居民张三", "居民助理"]


@pytest.mark.parametrize("text, expected_type, expected_person", [
    ("3号楼电梯又坏了，老人下不了楼", "repair", "zhang-wangge"),  # grid worker who handles repair
    ("我家老人独居，瘫在床上没人照顾，生活很困难", "assistance", "lin-wangge"),  # the other one, by `handles`
    ("楼上楼下因为漏水的事吵起来了，谁也不让谁", "dispute", "xu-tiaojie"),  # mediator: none in grid, up to 社区
    ("最近小区里电动车电瓶老是被偷", "security", "ma-jingwu"),  # police at the community level
])
async def test_routing_table(web_bot, text, expected_type, expected_person):
    resident = await join(web_bot, "liutang-g1", "r-9", "居民王五")
    await resident.say(text)
    reply = await resident.next_bot_message()
    [ticket] = all_tickets(web_bot)
    assert (ticket.type, ticket.assignee_id) == (expected_type, expected_person)
    assert mentions(reply) == [expected_person]


async def test_staff_chatter_opens_nothing_but_addressing_the_bot_does(web_bot):
    worker = await join(web_bot, "dongfeng-g2", "liu-wangge", "刘网格")
    await worker.say("明天上午停水检修，大家提前储水")
    assert await worker.silence() == []
    await worker.say("@居民助理 5组王大爷家房顶漏雨了，帮忙登记一下")
    reply = await worker.next_bot_message()
    assert "工单 #" in text_of(reply)
    [ticket] = all_tickets(web_bot)
    assert ticket.reporter_id == "liu-wangge" and ticket.text.startswith("5组王大爷家")


async def test_mention_without_a_problem_gets_a_prompt(web_bot):
    resident = await join(web_bot, "dongfeng-g2", "r-3", "居民")
    await resident.say("@居民助理 你好")
    reply = await resident.next_bot_message()
    assert "请直接描述您遇到的问题" in text_of(reply)
    assert all_tickets(web_bot) == []


async def test_resent_message_is_one_ticket(web_bot):
    resident = await join(web_bot, "dongfeng-g3", "r-4", "居民")
    await resident.say("村口垃圾堆了好几天没人清理，苍蝇到处飞", client_id="same-id-1")
    await resident.say("村口垃圾堆了好几天没人清理，苍蝇到处飞", client_id="same-id-1")
    await resident.next_bot_message()
    assert await resident.silence() == []
    assert len(all_tickets(web_bot)) == 1


async def test_urgent_reaches_leader_and_parent_group(web_bot):
    village = await join(web_bot, "dongfeng", "wang-shuji", "王书记")
    resident = await join(web_bot, "dongfeng-g1", "r-5", "居民")
    await resident.say("河边有个小孩掉河里了！快来人救命")
    reply = await resident.next_bot_message()
    assert mentions(reply) == ["li-wangge", "chen-wangzhang"]
    notice = await village.next_bot_message()
    assert "紧急工单" in text_of(notice) and "wang-shuji" in mentions(notice)
    [ticket] = all_tickets(web_bot)
    assert ticket.urgent and ticket.type == "safety"


async def test_bad_frames_get_an_error_not_a_crash(web_bot):
    resident = await join(web_bot, "dongfeng-g1", "r-6", "居民")
    await resident.ws.send_str("not json")
    assert (await resident.ws.receive_json())["type"] == "error"
    await resident.ws.send_str(json.dumps({"client_id": "x1", "text": 5}))
    assert (await resident.ws.receive_json())["type"] == "error"
    await resident.say("路灯坏了，晚上看不见路")
    assert "工单 #" in text_of(await resident.next_bot_message())
