"""What every channel adapter provides."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

from aiohttp import web

from ..config import RateLimitConfig
from ..messages import OutgoingMessage

if TYPE_CHECKING:
    from ..app import Ingestor


class SendError(Exception):
    """Base of the errors a channel's send() may raise."""


class RetryLater(SendError):
    """The platform asked us to wait (e.g. Telegram 429 retry_after)."""

    def __init__(self, seconds: float, *, whole_channel: bool = False, detail: str = "") -> None:
        super().__init__(detail or f"retry after {seconds}s")
        self.seconds = max(0.0, float(seconds))
        self.whole_channel = whole_channel


class TransientSendError(SendError):
    """Network trouble or a server error: try again with backoff."""


class PermanentSendError(SendError):
    """Will never succeed (bot removed, chat not found): mark failed and report."""


class Channel(ABC):
    """A platform adapter. ``name`` is the key used in config, roster and storage."""

    name: str
    rate_limit: RateLimitConfig

    def routes(self) -> list[web.RouteDef]:
        """HTTP routes this channel serves on the shared aiohttp server."""
        return []

    @abstractmethod
    async def start(self, ingestor: "Ingestor") -> None:
        """Begin receiving; every event goes to ``ingestor.ingest``."""

    @abstractmethod
    async def stop(self) -> None:
        """Stop receiving. Sending must still work until ``close``."""

    async def close(self) -> None:
        """Release clients and connections; called after pending sends finished."""

    @abstractmethod
    async def send(self, message: OutgoingMessage) -> str | None:
        """Deliver one message; return the platform's message id.

        Raise RetryLater, TransientSendError or PermanentSendError on failure.
        """
