"""A recording stand-in for the core's ``Ingestor`` interface, for testing channels alone."""

from __future__ import annotations

import copy

from bot.messages import IncomingMessage

from .conftest import eventually


class RecordingIngestor:
    """Keeps what a channel gives it and, like the inbox table, reports a key it has seen
    before as a repeat."""

    def __init__(self, directory: dict | None = None) -> None:
        self.stored: dict[str, IncomingMessage | None] = {}
        self.calls: list[tuple[str, str]] = []
        self._directory = directory or {"groups": [], "people": []}

    async def ingest(self, channel: str, update_key: str, message: IncomingMessage | None) -> bool:
        return (await self.ingest_many(channel, [(update_key, message)]))[0]

    async def ingest_many(self, channel: str, items: list[tuple[str, IncomingMessage | None]]) -> list[bool]:
        results = []
        for key, message in items:
            self.calls.append((channel, key))
            is_new = key not in self.stored
            if is_new:
                self.stored[key] = message
            results.append(is_new)
        return results

    async def directory(self, channel: str) -> dict:
        return copy.deepcopy(self._directory)

    def messages(self) -> list[IncomingMessage]:
        return [m for m in self.stored.values() if m is not None]

    async def wait_for(self, update_id: int) -> IncomingMessage | None:
        key = str(update_id)
        await eventually(lambda: key in self.stored)
        return self.stored[key]
