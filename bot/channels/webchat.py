"""Built-in web chat: a WeChat-style page on our aiohttp server.

Every roster unit is a group (chat id = unit id). A visitor picks a group and
who they are (a resident, or any roster member) and talks to the bot over a
WebSocket. It needs no token and no internet. It trusts the identity the page
sends, so it is meant for trying gridbot and for intranets, not the open web.
Chat history is kept in memory per group (``history_size`` messages); tickets
and deliveries are in the database like on every channel. Button rows are sent
to the page as they are; pressing a chip sends its command as an ordinary
message frame marked ``"button": true`` with ``reply_to`` = the bot message.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import re
import time
from collections import defaultdict, deque
from datetime import datetime, timezone
from importlib import resources
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from ..config import WebchatConfig
from ..messages import IncomingMessage, OutgoingMessage, segments_to_json
from .base import Channel, PermanentSendError

if TYPE_CHECKING:
    from ..app import Ingestor

log = logging.getLogger(__name__)

NAME = "webchat"
MAX_TEXT = 10_000
_ID = re.compile(r"[A-Za-z0-9_.:-]{1,128}")


class WebChatChannel(Channel):
    name = NAME

    def __init__(self, config: WebchatConfig) -> None:
        self.config = config
        self.rate_limit = config.rate_limit
        self._ingestor: Ingestor | None = None
        self._history: dict[str, deque[dict[str, Any]]] = defaultdict(
            lambda: deque(maxlen=config.history_size))
        self._sockets: dict[str, set[web.WebSocketResponse]] = defaultdict(set)
        self._ids = itertools.count(1)
        # Replies to a bot message find its ticket by id, so ids must not repeat after a restart.
        self._id_prefix = f"w{int(time.time() * 1000):x}-"
        self._bot_mention = re.compile(r"@\s?" + re.escape(config.bot_name) + r"\s*")

    # -- Channel ---------------------------------------------------------------
    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/", self._index),
            web.get("/webchat/api/directory", self._directory),
            web.get("/webchat/ws", self._websocket),
        ]

    async def start(self, ingestor: "Ingestor") -> None:
        self._ingestor = ingestor

    async def stop(self) -> None:
        pass

    async def close(self) -> None:
        for sockets in list(self._sockets.values()):
            for ws in list(sockets):
                await ws.close()

    async def send(self, message: OutgoingMessage) -> str | None:
        if not _ID.fullmatch(message.chat_id):
            raise PermanentSendError(f"no web chat group {message.chat_id!r}")
        entry = {
            "id": f"{self._id_prefix}{next(self._ids)}",
            "chat_id": message.chat_id,
            "from": {"id": "bot", "name": self.config.bot_name, "bot": True},
            "segments": segments_to_json(message.segments),
            "reply_to": message.reply_to_message_id,
            "at": datetime.now(timezone.utc).isoformat(),
        }
        await self._publish(entry)
        return entry["id"]

    # -- HTTP ------------------------------------------------------------------
    async def _index(self, _request: web.Request) -> web.Response:
        html = resources.files("bot.channels").joinpath("webchat_page.html").read_text(encoding="utf-8")
        return web.Response(text=html.replace("{{BOT_NAME}}", self.config.bot_name), content_type="text/html")

    async def _directory(self, _request: web.Request) -> web.Response:
        assert self._ingestor is not None
        data = await self._ingestor.directory(NAME)
        data["bot_name"] = self.config.bot_name
        return web.json_response(data)

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        chat_id = request.query.get("chat", "")
        user_id = request.query.get("user", "")
        user_name = request.query.get("name", "").strip()[:50]
        if not (_ID.fullmatch(chat_id) and _ID.fullmatch(user_id) and user_name):
            raise web.HTTPBadRequest(text="chat, user and name are required")
        ws = web.WebSocketResponse(heartbeat=30)
        await ws.prepare(request)
        self._sockets[chat_id].add(ws)
        try:
            await ws.send_json({"type": "history", "messages": list(self._history[chat_id])})
            async for frame in ws:
                if frame.type != WSMsgType.TEXT:
                    continue
                await self._on_frame(ws, chat_id, user_id, user_name, frame.data)
        finally:
            self._sockets[chat_id].discard(ws)
        return ws

    async def _on_frame(self, ws: web.WebSocketResponse, chat_id: str, user_id: str, user_name: str,
                        raw: str) -> None:
        try:
            data = json.loads(raw)
            text = data["text"]
            client_id = str(data["client_id"])
            if not isinstance(text, str) or not _ID.fullmatch(client_id):
                raise ValueError
        except (ValueError, KeyError, TypeError):
            await ws.send_json({"type": "error", "error": "消息格式不正确"})
            return
        text = text[:MAX_TEXT]
        reply_to = data.get("reply_to") if isinstance(data.get("reply_to"), str) else None
        # A chip press: the text is the button's command, passed on as is.
        is_button = data.get("button") is True
        mentions_bot = not is_button and bool(self._bot_mention.search(text))
        clean = self._bot_mention.sub(" ", text).strip() if mentions_bot else text.strip()
        entry = {
            "id": f"u-{client_id}",
            "chat_id": chat_id,
            "from": {"id": user_id, "name": user_name, "bot": False},
            "segments": [{"kind": "text", "text": text}],
            "reply_to": reply_to,
            "at": datetime.now(timezone.utc).isoformat(),
        }
        if is_button:
            entry["button"] = True
        message = IncomingMessage(
            channel=NAME, chat_id=chat_id, message_id=entry["id"], sender_id=user_id, sender_name=user_name,
            text=clean, chat_type="group", mentions_bot=mentions_bot,
            reply_to_bot=bool(reply_to and reply_to.startswith("w")), reply_to_message_id=reply_to,
            sent_at=datetime.now(timezone.utc), is_button=is_button,
        )
        assert self._ingestor is not None
        if await self._ingestor.ingest(NAME, f"{chat_id}:{client_id}", message):
            await self._publish(entry)

    async def _publish(self, entry: dict[str, Any]) -> None:
        chat_id = entry["chat_id"]
        self._history[chat_id].append(entry)
        frame = {"type": "message", "message": entry}
        sockets = list(self._sockets.get(chat_id, ()))
        if sockets:
            await asyncio.gather(*(ws.send_json(frame) for ws in sockets if not ws.closed),
                                 return_exceptions=True)
