"""/start, /help and 帮助 (staff get the command list); unknown slash commands are never requests."""

from __future__ import annotations

import re

from ..messages import MessageBuilder
from . import texts
from .base import HandlerContext

_COMMAND = re.compile(r"^/([A-Za-z0-9_]+)")
HELP_WORDS = {"帮助", "使用说明", "怎么用", "help", "命令"}


class HelpHandler:
    name = "help"

    def handle(self, ctx: HandlerContext) -> bool:
        text = ctx.message.text.strip()
        match = _COMMAND.match(text)
        if match:
            if match.group(1).lower() in ("start", "help"):
                self._help(ctx)
            elif ctx.message.addressed_to_bot:
                ctx.reply(MessageBuilder().text(texts.UNKNOWN_COMMAND).build())
            return True  # other bots' commands: stay silent, never open a ticket
        if text.lower() in HELP_WORDS and (ctx.message.addressed_to_bot or ctx.sender is not None):
            self._help(ctx)
            return True
        return False

    @staticmethod
    def _help(ctx: HandlerContext) -> None:
        if ctx.sender is not None:
            whistles = "/".join(w.name for w in ctx.config.whistle_types.values())
            ctx.reply(MessageBuilder().text(texts.STAFF_HELP.format(whistles=whistles)).build())
        else:
            ctx.reply(MessageBuilder().text(texts.HELP + texts.RESIDENT_HELP_TAIL).build())
