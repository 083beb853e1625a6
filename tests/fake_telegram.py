"""A fake Telegram Bot API server (aiohttp) for tests and benchmarks.

It speaks the HTTP API that python-telegram-bot talks (``/bot<token>/<method>``),
queues updates for ``getUpdates`` long polling, records every sent message
(with its inline keyboard) and every answered callback query, can enforce
Telegram's flood limits (answering 429 with ``retry_after``), inject 429s on
demand, answer 403 for chats that removed the bot, and fail chosen callback
answers (e.g. "query is too old").
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import Counter, defaultdict, deque
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
    # The inline keyboard as sent ({"inline_keyboard": [[{"text", "callback_data"}]]}), or None.
    reply_markup: dict[str, Any] | None = None


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
    # Ids of callback queries answered successfully, in order (repeats kept).
    answered_callbacks: list[str] = field(default_factory=list)
    # Parameters of every answerCallbackQuery call, failed ones included.
    callback_answer_calls: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._callback_ids = itertools.count(4_395_001_000_000_000_001)  # shaped like Telegram's
        self._callback_failures: dict[str, tuple[int, str]] = {}
        self._new_update = asyncio.Condition()
        self._new_sent = asyncio.Condition()
        self._new_answer = asyncio.Condition()
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

    def fail_callback_answer(self, query_id: str, *, status: int = 400,
                             description: str = "Bad Request: query is too old and response timeout expired "
                                                "or query id is invalid") -> None:
        """answerCallbackQuery for this query id answers with this error (every time)."""
        self._callback_failures[str(query_id)] = (status, description)

    def _chat(self, chat_id: int | str, chat_type: str, first_name: str) -> dict[str, Any]:
        if chat_type == "private":
            return {"id": int(chat_id), "type": "private", "first_name": first_name}
        return {"id": int(chat_id), "type": chat_type, "title": "测试群"}

    def make_message_update(self, *, chat_id: int | str, user_id: int, text: str = "", first_name: str = "张三",
                            chat_type: str = "supergroup", mention_bot: bool = False,
                            reply_to_bot_message: int | None = None, sticker: bool = False,
                            update_id: int | None = None, from_bot: bool = False,
                            text_mention_user: int | None = None,
                            text_mention_name: str = "李网格") -> dict[str, Any]:
        """A group (or private) message. ``text_mention_user`` appends a mention of that user
        by name as a ``text_mention`` entity (how clients mention people without a username)."""
        entities = []
        if mention_bot:
            mention = f"@{BOT_USERNAME}"
            entities.append({"type": "mention", "offset": 0, "length": utf16_len(mention)})
            text = f"{mention} {text}"
        if text_mention_user is not None:
            prefix = f"{text} " if text else ""
            entities.append({"type": "text_mention", "offset": utf16_len(prefix),
                             "length": utf16_len(text_mention_name),
                             "user": {"id": text_mention_user, "is_bot": text_mention_user == BOT_ID,
                                      "first_name": text_mention_name}})
            text = prefix + text_mention_name
        if text.startswith("/"):
            command = text.split()[0]
            entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(command)})
        message_id = next(self._message_ids)
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat(chat_id, chat_type, first_name),
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

    def make_callback_update(self, *, chat_id: int | str, user_id: int, data: str | None, message_id: int,
                             first_name: str = "张三", chat_type: str = "supergroup",
                             update_id: int | None = None, inaccessible: bool = False,
                             query_id: str | None = None) -> dict[str, Any]:
        """A press on an inline button of the bot's message ``message_id``. ``data=None`` leaves
        the data out (as for game buttons); ``inaccessible`` sends the message as Telegram does
        when it is too old or deleted (only chat, id and date 0)."""
        chat = self._chat(chat_id, chat_type, first_name)
        if inaccessible:
            message: dict[str, Any] = {"chat": chat, "message_id": message_id, "date": 0}
        else:
            sent = next((m for m in self.sent if m.message_id == message_id), None)
            message = {"message_id": message_id, "date": int(time.time()) - 60, "chat": chat,
                       "from": self._bot_user(), "text": sent.text if sent else "请您评价"}
            if sent and sent.reply_markup:
                message["reply_markup"] = sent.reply_markup
        query: dict[str, Any] = {
            "id": query_id or str(next(self._callback_ids)),
            "from": {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "zh-hans"},
            "chat_instance": f"-{abs(int(chat_id)) * 7919 % 10**18}",
            "message": message,
        }
        if data is not None:
            query["data"] = data
        return {"update_id": update_id if update_id is not None else next(self._update_ids),
                "callback_query": query}

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

    async def wait_for_callback_answer(self, query_id: str, timeout: float = 10.0) -> None:
        """Wait until answerCallbackQuery was called for this query id (successfully or not)."""
        async def ready() -> None:
            async with self._new_answer:
                await self._new_answer.wait_for(lambda: any(
                    str(c.get("callback_query_id")) == str(query_id) for c in self.callback_answer_calls))
        await asyncio.wait_for(ready(), timeout)

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
        if action == "stats":
            return web.json_response({"too_many_requests": self.too_many_requests, "sent": len(self.sent),
                                      "calls": dict(Counter(self.calls))})
        if action == "forbid":
            self.forbidden_chats.update(str(c) for c in await request.json())
            return web.json_response({"ok": True})
        if action == "reset":
            self.sent.clear()
            self._updates.clear()
            self.answered_callbacks.clear()
            self.callback_answer_calls.clear()
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

    async def _api_answercallbackquery(self, params: dict[str, Any]) -> web.Response:
        query_id = str(params.get("callback_query_id", ""))
        async with self._new_answer:
            self.callback_answer_calls.append(dict(params))
            self._new_answer.notify_all()
            failure = self._callback_failures.get(query_id)
            if failure:
                return self._error(*failure)
            if not query_id:
                return self._error(400, "Bad Request: query id is invalid")
            self.answered_callbacks.append(query_id)
        return self._ok(True)

    @staticmethod
    def _check_reply_markup(markup: Any) -> str | None:
        """Telegram's checks on an inline keyboard; the error description, or None when fine."""
        if markup is None:
            return None
        rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
        if not isinstance(rows, list):
            return "Bad Request: can't parse reply keyboard markup JSON object"
        for row in rows:
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode("utf-8")) <= 64:
                    return "Bad Request: BUTTON_DATA_INVALID"
        return None

    async def _api_sendmessage(self, params: dict[str, Any]) -> web.Response:
        chat_id = str(params["chat_id"])
        markup = params.get("reply_markup")
        if (problem := self._check_reply_markup(markup)) is not None:
            return self._error(400, problem)
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
                             reply_to_message_id=reply.get("message_id"), message_id=message_id, at=now,
                             reply_markup=markup)
        async with self._new_sent:
            self.sent.append(record)
            self._new_sent.notify_all()
        result: dict[str, Any] = {
            "message_id": message_id, "date": int(time.time()),
            "chat": {"id": int(chat_id) if chat_id.lstrip("-").isdigit() else 0, "type": "supergroup",
                     "title": "测试群"},
            "from": self._bot_user(), "text": record.text,
        }
        if markup:
            result["reply_markup"] = markup
        return self._ok(result)


class RemoteFakeTelegram:
    """The fake server in its own process (as Telegram's servers are), driven over HTTP: its
    clock for the flood limits does not stall when the bot's process is busy. ``sent`` holds
    the messages fetched so far, as dicts of SentMessage's fields."""

    def __init__(self, *, enforce_limits: bool = False) -> None:
        self.enforce_limits = enforce_limits
        self.factory = FakeTelegram()  # only builds update payloads
        self.token = self.factory.token
        self.sent: list[dict[str, Any]] = []

    async def start(self) -> "RemoteFakeTelegram":
        import subprocess
        import sys
        from pathlib import Path

        args = ["--enforce-limits"] if self.enforce_limits else []
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.fake_telegram", *args],  # noqa: ASYNC220
                                     cwd=Path(__file__).resolve().parent.parent, stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline())
        self.base = f"http://127.0.0.1:{self.port}"
        self.base_url = f"{self.base}/bot"
        self.http = ClientSession()
        return self

    async def stop(self) -> None:
        await self.http.close()
        self.proc.terminate()
        self.proc.wait(10)

    async def _post(self, action: str, body: Any) -> None:
        async with self.http.post(f"{self.base}/_control/{action}", json=body) as resp:
            resp.raise_for_status()

    async def push(self, updates: list[dict[str, Any]]) -> None:
        await self._post("push", updates)

    async def forbid(self, *chat_ids: str) -> None:
        await self._post("forbid", list(chat_ids))

    async def fetch(self) -> int:
        """Fetch the messages sent since the last call into ``sent``; returns how many."""
        async with self.http.get(f"{self.base}/_control/sent", params={"since": len(self.sent)}) as resp:
            new = await resp.json()
        self.sent.extend(new)
        return len(new)

    async def stats(self) -> dict[str, Any]:
        """429s answered, messages accepted, calls per API method."""
        async with self.http.get(f"{self.base}/_control/stats") as resp:
            return await resp.json()


if __name__ == "__main__":
    import sys

    asyncio.run(FakeTelegram(enforce_limits="--enforce-limits" in sys.argv).serve_forever())
