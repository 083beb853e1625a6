"""A fake Telegram Bot API server (aiohttp) for tests and benchmarks.

It speaks the HTTP API that python-telegram-bot talks (``/bot<token>/<method>``),
queues updates for ``getUpdates`` long polling, records every sent message,
can enforce Telegram's flood limits (answering 429 with ``retry_after``),
inject 429s on demand, and answer 403 for chats that removed the bot.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, web

BOT_ID = 5000000001
BOT_USERNAME = "gridbot_test_bot"


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class SentMessage:
    chat_id: str
    text: str
    parse_mode: str | None
    reply_to_message_id: int | None
    message_id: int
    at: float


@dataclass
class FakeTelegram:
    token: str = "123456:TEST-token-for-the-fake-server"
    enforce_limits: bool = False
    global_per_second: int = 30
    per_chat_per_minute: int = 20
    sent: list[SentMessage] = field(default_factory=list)
    too_many_requests: int = 0
    forbidden_chats: set[str] = field(default_factory=set)
    webhook: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._new_update = asyncio.Condition()
        self._new_sent = asyncio.Condition()
        self._forced_429: deque[int] = deque()
        self._global_log: deque[float] = deque()
        self._chat_log: dict[str, deque[float]] = defaultdict(deque)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self.calls: list[str] = []

    # -- server --------------------------------------------------------------
    async def start(self) -> "FakeTelegram":
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        app.router.add_route("*", "/_control/{action}", self._control)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001
        return self

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def serve_forever(self) -> None:
        """Run as a separate process (benchmarks): prints the port, then serves until killed."""
        await self.start()
        print(self.port, flush=True)
        await asyncio.Event().wait()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    # -- test controls -------------------------------------------------------------
    def fail_next_sends(self, count: int, retry_after: int = 1) -> None:
        """The next ``count`` sendMessage calls answer 429 with this retry_after."""
        self._forced_429.extend([retry_after] * count)

    def make_message_update(self, *, chat_id: int | str, user_id: int, text: str = "", first_name: str = "张三",
                            chat_type: str = "supergroup", mention_bot: bool = False,
                            reply_to_bot_message: int | None = None, sticker: bool = False,
                            update_id: int | None = None, from_bot: bool = False) -> dict[str, Any]:
        entities = []
        if mention_bot:
            mention = f"@{BOT_USERNAME}"
            entities.append({"type": "mention", "offset": 0, "length": utf16_len(mention)})
            text = f"{mention} {text}"
        if text.startswith("/"):
            command = text.split()[0]
            entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(command)})
        message_id = next(self._message_ids)
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": int(chat_id), "type": chat_type, "title": "测试群"} if chat_type != "private"
            else {"id": int(chat_id), "type": "private", "first_name": first_name},
            "from": {"id": user_id, "is_bot": from_bot, "first_name": first_name},
        }
        if text:
            message["text"] = text
        if entities:
            message["entities"] = entities
        if sticker:
            message["sticker"] = {"file_id": "s1", "file_unique_id": "u1", "width": 512, "height": 512,
                                  "is_animated": False, "is_video": False, "type": "regular", "emoji": "👍"}
        if reply_to_bot_message is not None:
            message["reply_to_message"] = {
                "message_id": reply_to_bot_message, "date": int(time.time()), "chat": message["chat"],
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "网格助手", "username": BOT_USERNAME},
                "text": "...",
            }
        return {"update_id": update_id if update_id is not None else next(self._update_ids), "message": message}

    async def push_update(self, update: dict[str, Any]) -> None:
        async with self._new_update:
            self._updates.append(update)
            self._new_update.notify_all()

    async def post_webhook(self, update: dict[str, Any], *, secret: str | None = None, url: str | None = None,
                           raw: str | None = None) -> int:
        """Deliver like Telegram does: POST to the registered webhook with the secret header."""
        target = url or (self.webhook or {}).get("url")
        assert target, "no webhook registered"
        token = secret if secret is not None else (self.webhook or {}).get("secret_token", "")
        headers = {"Content-Type": "application/json"}
        if token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = token
        async with ClientSession() as session:
            async with session.post(target, data=raw if raw is not None else json.dumps(update),
                                    headers=headers) as resp:
                return resp.status

    async def wait_for_sent(self, count: int, timeout: float = 10.0) -> list[SentMessage]:
        """Wait until at least ``count`` messages were sent in total."""
        async def ready() -> None:
            async with self._new_sent:
                await self._new_sent.wait_for(lambda: len(self.sent) >= count)
        await asyncio.wait_for(ready(), timeout)
        return self.sent

    def sent_to(self, chat_id: int | str) -> list[SentMessage]:
        return [m for m in self.sent if m.chat_id == str(chat_id)]

    # -- Bot API -------------------------------------------------------------------
    async def _control(self, request: web.Request) -> web.Response:
        """Out-of-process control for benchmarks: push updates, read what was sent."""
        action = request.match_info["action"]
        if action == "push":
            for update in await request.json():
                await self.push_update(update)
            return web.json_response({"ok": True})
        if action == "sent":
            since = int(request.query.get("since", "0"))
            return web.json_response([m.__dict__ for m in self.sent[since:]])
        if action == "reset":
            self.sent.clear()
            self._updates.clear()
            return web.json_response({"ok": True})
        raise web.HTTPNotFound()

    async def _dispatch(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        method = request.match_info["method"]
        self.calls.append(method)
        params = await self._params(request)
        handler = getattr(self, f"_api_{method.lower()}", None)
        if handler is None:
            return self._error(404, f"Not Found: method {method} is not faked")
        return await handler(params)

    @staticmethod
    async def _params(request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            data = await request.json()
            return data or {}
        form = await request.post()
        params: dict[str, Any] = {}
        for key, value in form.items():
            if isinstance(value, str):
                try:
                    params[key] = json.loads(value)
                except ValueError:
                    params[key] = value
        return params

    @staticmethod
    def _ok(result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _error(code: int, description: str, **extra: Any) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if extra:
            body["parameters"] = extra
        return web.json_response(body, status=code)

    def _bot_user(self) -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "网格助手", "username": BOT_USERNAME,
                "can_join_groups": True, "can_read_all_group_messages": True, "supports_inline_queries": False}

    async def _api_getme(self, _params: dict[str, Any]) -> web.Response:
        return self._ok(self._bot_user())

    async def _api_deletewebhook(self, _params: dict[str, Any]) -> web.Response:
        self.webhook = None
        return self._ok(True)

    async def _api_setwebhook(self, params: dict[str, Any]) -> web.Response:
        self.webhook = params
        return self._ok(True)

    async def _api_getupdates(self, params: dict[str, Any]) -> web.Response:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

        def available() -> list[dict[str, Any]]:
            return [u for u in self._updates if u["update_id"] >= offset][:100]

        async with self._new_update:
            if not available() and timeout > 0:
                try:
                    await asyncio.wait_for(self._new_update.wait_for(lambda: bool(available())), timeout)
                except TimeoutError:
                    pass
            return self._ok(available())

    async def _api_sendmessage(self, params: dict[str, Any]) -> web.Response:
        chat_id = str(params["chat_id"])
        if self._forced_429:
            self.too_many_requests += 1
            retry = self._forced_429.popleft()
            return self._error(429, f"Too Many Requests: retry after {retry}", retry_after=retry)
        if chat_id in self.forbidden_chats:
            return self._error(403, "Forbidden: bot was kicked from the supergroup chat")
        now = time.monotonic()
        if self.enforce_limits:
            for log, limit, window in ((self._global_log, self.global_per_second, 1.0),
                                       (self._chat_log[chat_id], self.per_chat_per_minute, 60.0)):
                while log and log[0] <= now - window:
                    log.popleft()
                if len(log) >= limit:
                    self.too_many_requests += 1
                    retry = max(1, int(log[0] + window - now + 0.999))
                    return self._error(429, f"Too Many Requests: retry after {retry}", retry_after=retry)
            self._global_log.append(now)
            self._chat_log[chat_id].append(now)
        reply = params.get("reply_parameters") or {}
        message_id = next(self._message_ids)
        record = SentMessage(chat_id=chat_id, text=params.get("text", ""), parse_mode=params.get("parse_mode"),
                             reply_to_message_id=reply.get("message_id"), message_id=message_id, at=now)
        async with self._new_sent:
            self.sent.append(record)
            self._new_sent.notify_all()
        return self._ok({
            "message_id": message_id, "date": int(time.time()),
            "chat": {"id": int(chat_id) if chat_id.lstrip("-").isdigit() else 0, "type": "supergroup",
                     "title": "测试群"},
            "from": self._bot_user(), "text": record.text,
        })


if __name__ == "__main__":
    asyncio.run(FakeTelegram().serve_forever())
