"""/start, /help and 帮助; unknown slash commands are never treated as requests."""

from __future__ import annotations

import re

from ..messages import MessageBuilder
from . import texts
from .base import HandlerContext

_COMMAND = re.compile(r"^/([A-Za-z0-9_]+)")
HELP_WORDS = {"帮助", "使用说明", "怎么用", "help"}


class HelpHandler:
    name = "help"

    def handle(self, ctx: HandlerContext) -> bool:
        text = ctx.message.text.strip()
        match = _COMMAND.match(text)
        if match:
            if match.group(1).lower() in ("start", "help"):
                ctx.reply(MessageBuilder().text(texts.HELP).build())
            elif ctx.message.addressed_to_bot:
                ctx.reply(MessageBuilder().text(texts.UNKNOWN_COMMAND).build())
            return True  # other bots' commands: stay silent, never open a ticket
        if text.lower() in HELP_WORDS and ctx.message.addressed_to_bot:
            ctx.reply(MessageBuilder().text(texts.HELP).build())
            return True
        return False
