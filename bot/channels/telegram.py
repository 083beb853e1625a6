"""Telegram channel on python-telegram-bot 22.

Receives by long polling or by a webhook route on our aiohttp server (secret
header checked in constant time, repeats dropped by update_id in the inbox
table). Sends HTML with ``tg://user?id=`` mentions so workers get notified, and
``Buttons`` as an inline keyboard whose callback data is the button's command;
a press comes back as a callback query and is handed on as that command.
Only the PTB ``Bot`` client is used: business state never lives in PTB.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import json
import logging
import warnings
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from aiohttp import web
from telegram import (Bot, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message,
                      MessageEntity, ReplyParameters, Update)
from telegram.constants import ParseMode
from telegram.error import (BadRequest, ChatMigrated, Conflict, Forbidden, InvalidToken, NetworkError,
                            RetryAfter, TelegramError, TimedOut)
from telegram.request import HTTPXRequest

from ..config import TelegramConfig
from ..messages import Button, IncomingMessage, Mention, OutgoingMessage, Text
from .base import Channel, PermanentSendError, RetryLater, TransientSendError

if TYPE_CHECKING:
    from ..app import Ingestor

log = logging.getLogger(__name__)

NAME = "telegram"
ALLOWED_UPDATES = ["message", "callback_query"]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_CHAT_TYPES = ("private", "group", "supergroup")
# Upper bound on waiting for callback answers still in flight when the channel closes.
_ANSWER_DRAIN_SECONDS = 5.0
_ATTACHMENTS = ("sticker", "photo", "voice", "video", "video_note", "animation", "audio", "document",
                "location", "contact")


def _retry_after_seconds(exc: RetryAfter) -> float:
    # PTB 22.2+ warns on reading retry_after while it moves from int to timedelta.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def render_html(message: OutgoingMessage) -> str:
    """Text segments escaped; mentions as tg://user links (they notify the user).
    Buttons are not text: ``send`` attaches them as an inline keyboard."""
    parts = []
    for seg in message.segments:
        if isinstance(seg, Mention):
            parts.append(f'<a href="tg://user?id={html.escape(seg.user_id)}">@{html.escape(seg.name)}</a>')
        elif isinstance(seg, Text):
            parts.append(html.escape(seg.text, quote=False))
    return "".join(parts)


def inline_keyboard(rows: Iterable[Iterable[Button]]) -> InlineKeyboardMarkup | None:
    """Button rows as an inline keyboard (callback data = the command); None when there are none."""
    keyboard = [[InlineKeyboardButton(b.label, callback_data=b.command) for b in row] for row in rows]
    keyboard = [row for row in keyboard if row]
    return InlineKeyboardMarkup(keyboard) if keyboard else None


class TelegramChannel(Channel):
    name = NAME

    def __init__(self, config: TelegramConfig) -> None:
        self.config = config
        self.rate_limit = config.rate_limit
        self.bot = Bot(
            token=config.token,
            base_url=config.base_url,
            request=HTTPXRequest(connection_pool_size=64, read_timeout=30, write_timeout=30,
                                 connect_timeout=10, pool_timeout=30),
            get_updates_request=HTTPXRequest(read_timeout=config.poll_timeout + 15, connect_timeout=10),
        )
        self._ingestor: Ingestor | None = None
        self._poll_task: asyncio.Task | None = None
        self._answer_tasks: set[asyncio.Task] = set()
        self._initialized = False

    # -- Channel ---------------------------------------------------------------
    def routes(self) -> list[web.RouteDef]:
        if self.config.mode != "webhook":
            return []
        return [web.post(self.config.webhook_path, self._webhook)]

    async def start(self, ingestor: "Ingestor") -> None:
        self._ingestor = ingestor
        try:
            await self.bot.initialize()  # getMe: learns our id and username
        except InvalidToken:
            raise RuntimeError("channels.telegram.token: Telegram rejected the bot token") from None
        self._initialized = True
        log.info("telegram: running as @%s in %s mode", self.bot.username, self.config.mode)
        if self.config.mode == "webhook":
            await self.bot.set_webhook(url=self.config.webhook_url, secret_token=self.config.secret_token,
                                       allowed_updates=ALLOWED_UPDATES)
        else:
            await self.bot.delete_webhook()
            self._poll_task = asyncio.create_task(self._poll(), name="telegram-polling")

    async def stop(self) -> None:
        if self._poll_task:
            self._poll_task.cancel()
            try:
                await self._poll_task
            except asyncio.CancelledError:
                pass

    async def close(self) -> None:
        if self._answer_tasks:  # let callback answers land before the HTTP client goes away
            _done, pending = await asyncio.wait(set(self._answer_tasks), timeout=_ANSWER_DRAIN_SECONDS)
            for task in pending:
                task.cancel()
        if self._initialized:
            await self.bot.shutdown()

    async def send(self, message: OutgoingMessage) -> str | None:
        reply = None
        if message.reply_to_message_id and message.reply_to_message_id.isdigit():
            reply = ReplyParameters(message_id=int(message.reply_to_message_id),
                                    allow_sending_without_reply=True)
        try:
            sent = await self.bot.send_message(chat_id=message.chat_id, text=render_html(message),
                                               parse_mode=ParseMode.HTML, reply_parameters=reply,
                                               reply_markup=inline_keyboard(message.buttons),
                                               link_preview_options=LinkPreviewOptions(is_disabled=True))
        except RetryAfter as exc:
            raise RetryLater(_retry_after_seconds(exc), detail=f"telegram 429: {exc.message}") from None
        except ChatMigrated as exc:
            raise PermanentSendError(
                f"group became supergroup {exc.new_chat_id}; update the roster's telegram chat id") from None
        except (Forbidden, BadRequest, InvalidToken) as exc:
            raise PermanentSendError(f"telegram: {exc.message}") from None
        except (TimedOut, NetworkError) as exc:
            raise TransientSendError(f"telegram: {exc.message}") from None
        except TelegramError as exc:
            raise TransientSendError(f"telegram: {exc.message}") from None
        return str(sent.message_id)

    # -- receiving -------------------------------------------------------------
    async def _poll(self) -> None:
        offset: int | None = None
        backoff = 1.0
        while True:
            try:
                updates = await self.bot.get_updates(offset=offset, timeout=self.config.poll_timeout,
                                                     allowed_updates=ALLOWED_UPDATES)
                if updates:
                    assert self._ingestor is not None
                    stored = await self._ingestor.ingest_many(
                        NAME, [(str(u.update_id), self.to_incoming(u)) for u in updates])
                    offset = updates[-1].update_id + 1  # confirmed to Telegram only once stored
                    for update, is_new in zip(updates, stored):
                        if is_new:
                            self._answer_callback_soon(update)
                backoff = 1.0
            except asyncio.CancelledError:
                raise
            except Conflict:
                log.error("telegram: another process is using this bot token (409 Conflict); "
                          "run one poller per token, or use webhook mode. Retrying in 10 s")
                await asyncio.sleep(10)
            except RetryAfter as exc:
                await asyncio.sleep(_retry_after_seconds(exc))
            except InvalidToken:
                log.error("telegram: the bot token was rejected (channels.telegram.token); polling stopped")
                return
            except Exception as exc:  # network or database trouble: keep the offset, try again
                log.warning("telegram: polling failed (%s: %s); retrying in %.0f s",
                            type(exc).__name__, exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60.0)

    async def handle_update(self, update: Update) -> bool:
        """Store one update (webhook path); False when it was a repeat."""
        assert self._ingestor is not None
        is_new = await self._ingestor.ingest(NAME, str(update.update_id), self.to_incoming(update))
        if is_new:
            self._answer_callback_soon(update)
        return is_new

    def _answer_callback_soon(self, update: Update) -> None:
        """Answer a stored callback query in the background: the answer only stops the client's
        spinner, so it must delay neither polling nor the webhook response."""
        query = update.callback_query
        if query is None:
            return
        task = asyncio.create_task(self._answer_callback(query), name=f"telegram-answer-{query.id}")
        self._answer_tasks.add(task)
        task.add_done_callback(self._answer_tasks.discard)

    async def _answer_callback(self, query: CallbackQuery) -> None:
        try:
            await self.bot.answer_callback_query(query.id)
        except BadRequest as exc:
            # Typically "query is too old": the press is stored and handled all the same.
            log.info("telegram: could not answer callback query %s (%s)", query.id, exc.message)
        except Exception as exc:  # network trouble: the client's spinner times out by itself
            log.warning("telegram: could not answer callback query %s (%s: %s)",
                        query.id, type(exc).__name__, exc)

    def to_incoming(self, update: Update) -> IncomingMessage | None:
        if update.callback_query is not None:
            return self._callback_to_incoming(update.callback_query)
        message = update.message
        if message is None or message.from_user is None or message.from_user.is_bot:
            return None
        chat_type = message.chat.type
        if chat_type not in _CHAT_TYPES:
            return None
        text, mentions_bot, mentioned_ids = self._text_without_bot_mention(message)
        reply = message.reply_to_message
        return IncomingMessage(
            channel=NAME,
            chat_id=str(message.chat_id),
            message_id=str(message.message_id),
            sender_id=str(message.from_user.id),
            sender_name=message.from_user.full_name,
            text=text,
            chat_type="private" if chat_type == "private" else "group",
            mentions_bot=mentions_bot,
            reply_to_bot=bool(reply and reply.from_user and reply.from_user.id == self.bot.id),
            reply_to_message_id=str(reply.message_id) if reply else None,
            attachments=tuple(kind for kind in _ATTACHMENTS if getattr(message, kind, None)),
            sent_at=message.date,
            mentioned_ids=mentioned_ids,
        )

    def _callback_to_incoming(self, query: CallbackQuery) -> IncomingMessage | None:
        """A button press, handed on as if the presser had typed the button's command in
        reply to the bot message that carried the keyboard."""
        message = query.message
        # Too old or deleted messages arrive with date 0 (PTB may still parse them as Message,
        # so check is_accessible): nothing about them can be trusted or acted on.
        if (not query.data or not isinstance(message, Message) or not message.is_accessible
                or query.from_user.is_bot):
            return None
        chat_type = message.chat.type
        if chat_type not in _CHAT_TYPES:
            return None
        return IncomingMessage(
            channel=NAME,
            chat_id=str(message.chat_id),
            # Callback query ids never look like message ids, so this cannot collide with one.
            message_id=f"cb{query.id}",
            sender_id=str(query.from_user.id),
            sender_name=query.from_user.full_name,
            text=query.data,
            chat_type="private" if chat_type == "private" else "group",
            reply_to_bot=True,
            reply_to_message_id=str(message.message_id),
            # The update carries no press time; message.date is when the keyboard was sent.
            sent_at=datetime.now(timezone.utc),
            is_button=True,
        )

    def _text_without_bot_mention(self, message: Message) -> tuple[str, bool, tuple[str, ...]]:
        """The text without the bot's own mention, whether the bot was mentioned, and the ids of
        other users mentioned by text_mention (the only mention kind that carries an id)."""
        text = message.text or message.caption or ""
        entities = message.parse_entities() if message.text else message.parse_caption_entities()
        username = (self.bot.username or "").lower()
        mentioned = False
        mentioned_ids: list[str] = []
        cuts: list[tuple[str, str]] = []
        for entity, value in entities.items():
            if entity.type == MessageEntity.MENTION and value.lower() == f"@{username}":
                mentioned = True
                cuts.append((value, ""))
            elif entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == self.bot.id:
                mentioned = True
                cuts.append((value, ""))
            elif entity.type == MessageEntity.TEXT_MENTION and entity.user:
                if str(entity.user.id) not in mentioned_ids:
                    mentioned_ids.append(str(entity.user.id))
            elif entity.type == MessageEntity.BOT_COMMAND and value.lower().endswith(f"@{username}"):
                mentioned = True
                cuts.append((value, value[: -len(username) - 1]))
        for old, new in cuts:
            text = text.replace(old, new, 1)
        return text.strip(), mentioned, tuple(mentioned_ids)

    async def _webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.config.secret_token.encode()):
            log.warning("telegram webhook: rejected a request with a wrong secret token from %s", request.remote)
            return web.Response(status=403, text="forbidden")
        try:
            data: Any = json.loads(await request.text())
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an update")
            update = Update.de_json(data, self.bot)
        except Exception as exc:
            log.warning("telegram webhook: malformed body (%s)", exc)
            return web.Response(status=400, text="malformed update")
        try:
            await self.handle_update(update)
        except Exception:
            # 500 makes Telegram deliver again later; the inbox drops the repeat if we had stored it.
            log.exception("telegram webhook: could not store update %s", update.update_id)
            return web.Response(status=500, text="try again")
        return web.Response(text="ok")
