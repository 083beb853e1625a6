"""Handlers: business rules on neutral messages. Registration order is explicit:
commands first (so "接单 128" is never read as a report), then help, then "收到" in reply to a
broadcast notice, then replies to the talk day notices (topics), then resident intake."""

from .base import Context, Handler, HandlerContext, Router, Services
from .command_handler import CommandHandler
from .help import HelpHandler
from .intake import ResidentIntake
from .notices import NoticeAcks
from .talk_day import TalkDayReplies


def build_router() -> Router:
    return (Router().add(CommandHandler()).add(HelpHandler()).add(NoticeAcks()).add(TalkDayReplies())
            .add(ResidentIntake()))


__all__ = ["Context", "Handler", "HandlerContext", "Router", "Services", "build_router"]
