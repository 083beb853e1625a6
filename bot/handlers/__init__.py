"""Handlers: business rules on neutral messages. Registration order is explicit."""

from .base import Handler, HandlerContext, Router, Services
from .help import HelpHandler
from .intake import ResidentIntake


def build_router() -> Router:
    return Router().add(HelpHandler()).add(ResidentIntake())


__all__ = ["Handler", "HandlerContext", "Router", "Services", "build_router"]
