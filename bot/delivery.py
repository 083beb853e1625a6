"""Drains the outbox of one channel through its rate limiter.

Each pass claims the rows that may go out now (a lease, so a crashed sender's
rows become available again), at most one in flight per chat so a chat's
messages keep their order, and sends them concurrently. Results (platform
message id, retry time, failure) are written back in small batches. A crash
between the platform accepting a message and that write can resend that one
message once, after the lease expires.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from .channels.base import Channel, PermanentSendError, RetryLater, SendError
from .channels.ratelimit import Pacer, SlidingWindowLimiter
from .clock import Clock
from .messages import OutgoingMessage, segments_from_json
from .storage import outbox as outbox_store
from .storage.db import Database
from .storage.models import Outbox

log = logging.getLogger(__name__)

PRIORITY_REPLY = 0  # interactive replies to residents and workers
PRIORITY_NOTICE = 10  # bulk sends; never ahead of replies
# Share of the rate kept free for jitter between our clock and the platform's.
RATE_MARGIN = 0.05
# Slots are handed out at most this far ahead, so a reply claimed later waits no longer.
LOOKAHEAD_SECONDS = 0.3


@dataclass(frozen=True)
class _Result:
    row_id: int
    outcome: str  # "sent" | "retry" | "wait" | "failed"
    detail: str | None = None
    delay: float = 0.0


class OutboxSender:
    def __init__(self, channel: Channel, db: Database, clock: Clock, *, max_attempts: int = 12,
                 max_in_flight: int = 64, idle_poll_seconds: float = 5.0, instance: str | None = None) -> None:
        self.channel = channel
        self.instance = instance
        self.db = db
        self.clock = clock
        self.max_attempts = max_attempts
        self.max_in_flight = max_in_flight
        self.idle_poll_seconds = idle_poll_seconds
        # Sends are given evenly spaced slots a little under the channel's rate (bursts earned
        # 429s: requests reach the platform with jitter); the sliding windows keep the per-chat
        # limit and bound the total, with the same room for jitter.
        self.pacer = Pacer(channel.rate_limit.global_per_second, margin=RATE_MARGIN)
        self.limiter = SlidingWindowLimiter(channel.rate_limit.global_per_second,
                                            channel.rate_limit.per_chat_per_minute, margin=RATE_MARGIN)
        self._wake = asyncio.Event()
        self._in_flight: dict[str, asyncio.Task] = {}
        self._results: list[_Result] = []
        self._results_ready = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._stopping = False

    def notify(self) -> None:
        self._wake.set()

    async def recover(self) -> None:
        """At start-up: the limiters learn the last minute's sends (the platform still counts
        them), and sends this instance claimed before it stopped or crashed go again now."""
        now = self.clock.now()
        for chat_id, sent_at in await self.db.run(outbox_store.sent_since, self.channel.name,
                                                  now - timedelta(seconds=61)):
            ago = (now - sent_at).total_seconds()
            self.limiter.seed(chat_id, ago)
        if self.instance:
            released = await self.db.run(outbox_store.release_claims, self.channel.name, self.instance)
            if released:
                log.warning("%s: %d send(s) were in flight when this instance stopped; sending them again "
                            "(each may reach its chat twice if the platform had accepted it)",
                            self.channel.name, released)

    def start(self) -> None:
        name = self.channel.name
        self._tasks = [asyncio.create_task(self._loop(), name=f"outbox-{name}"),
                       asyncio.create_task(self._record_loop(), name=f"outbox-results-{name}")]

    async def stop(self) -> None:
        """Finish what is in flight and record it; pending rows stay for the next start."""
        self._stopping = True
        self._wake.set()
        await self._tasks[0]
        if self._in_flight:
            await asyncio.gather(*self._in_flight.values(), return_exceptions=True)
        self._results_ready.set()
        await self._tasks[1]

    # -- sending -------------------------------------------------------------------
    async def _loop(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                sleep_for = await self._pass()
            except Exception:  # keep draining after a database hiccup
                log.exception("outbox pass failed for %s", self.channel.name)
                sleep_for = self.idle_poll_seconds
            if self._stopping:
                break
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=max(0.005, sleep_for))
            except TimeoutError:
                pass

    async def _pass(self) -> float:
        claimed, sleep_for, idle = await self.db.run(self._claim_sendable)
        for row, slot in claimed:
            self._in_flight[row.chat_id] = asyncio.create_task(self._deliver(row, slot))
        if idle:
            next_due = await self.db.run(outbox_store.next_due_at, self.channel.name)
            if next_due is not None:
                sleep_for = min(sleep_for, max(0.0, (next_due - self.clock.now()).total_seconds()))
        return sleep_for

    def _claim_sendable(self, session: Session) -> tuple[list[tuple[Outbox, float]], float, bool]:
        """Claim the due rows that may go out soon, best first, each with its send slot:
        (rows and slots, seconds until the next may, nothing due)."""
        now = self.clock.now()
        due = outbox_store.due_rows(session, self.channel.name, now)
        sleep_for = self.idle_poll_seconds
        chosen: dict[int, float] = {}
        chats: set[str] = set()
        busy = set(self._in_flight)
        for row_id, chat_id in due:
            if len(busy) + len(chosen) >= self.max_in_flight:
                break
            ahead = self.pacer.ahead()
            if ahead > LOOKAHEAD_SECONDS:
                sleep_for = min(sleep_for, ahead - LOOKAHEAD_SECONDS)
                break
            if chat_id in busy or chat_id in chats:
                continue  # keep a chat's messages in order
            wait = self.limiter.wait_time(chat_id)
            if wait > 0:
                sleep_for = min(sleep_for, wait)
                continue
            slot = self.pacer.reserve()
            self.limiter.record(chat_id, at=slot)  # reserve the slot now so the next row sees it
            chosen[row_id] = slot
            chats.add(chat_id)
        rows = outbox_store.claim_many(session, list(chosen), now, self.instance) if chosen else []
        return [(row, chosen[row.id]) for row in rows], sleep_for, not due

    async def _deliver(self, row: Outbox, slot: float) -> None:
        message = OutgoingMessage(channel=row.channel, chat_id=row.chat_id,
                                  segments=segments_from_json(row.segments),
                                  reply_to_message_id=row.reply_to_message_id)
        wait = slot - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        try:
            platform_id = await self.channel.send(message)
        except RetryLater as exc:
            self.limiter.pause(exc.seconds, None if exc.whole_channel else row.chat_id)
            if exc.whole_channel:
                self.pacer.pause(exc.seconds)
            log.info("%s asked to wait %.1fs before chat %s", self.channel.name, exc.seconds, row.chat_id)
            result = _Result(row.id, "wait", str(exc), exc.seconds)
        except PermanentSendError as exc:
            log.warning("%s: message %s to chat %s failed permanently: %s",
                        self.channel.name, row.id, row.chat_id, exc)
            result = _Result(row.id, "failed", str(exc))
        except Exception as exc:  # transient or unexpected: back off, then give up
            attempts = row.attempts + 1  # the claim counted this attempt
            reason = str(exc) if isinstance(exc, SendError) else f"{type(exc).__name__}: {exc}"
            if attempts >= self.max_attempts:
                log.error("%s: message %s to chat %s failed after %d attempts: %s",
                          self.channel.name, row.id, row.chat_id, attempts, reason)
                result = _Result(row.id, "failed", reason)
            else:
                delay = min(300.0, 2.0 ** attempts)
                log.warning("%s: send of message %s failed (%s); retry in %.0fs",
                            self.channel.name, row.id, reason, delay)
                result = _Result(row.id, "retry", reason, delay)
        else:
            result = _Result(row.id, "sent", platform_id)
        self._results.append(result)
        self._results_ready.set()
        self._in_flight.pop(row.chat_id, None)
        self._wake.set()

    # -- recording results -------------------------------------------------------------
    async def _record_loop(self) -> None:
        while True:
            await self._results_ready.wait()
            self._results_ready.clear()
            batch, self._results = self._results, []
            if batch:
                try:
                    await self.db.run(self._record, batch)
                except Exception:
                    # The rows stay claimed until their lease ends, then are sent again:
                    # better a rare duplicate than a lost message.
                    log.exception("could not record %d send results for %s", len(batch), self.channel.name)
            if self._stopping and not self._in_flight and not self._results:
                return

    def _record(self, session: Session, batch: list[_Result]) -> None:
        now = self.clock.now()
        for result in batch:
            if result.outcome == "sent":
                outbox_store.mark_sent(session, result.row_id, now, result.detail)
            elif result.outcome == "failed":
                outbox_store.mark_failed(session, result.row_id, now, result.detail or "")
            else:
                outbox_store.mark_retry(session, result.row_id, now + timedelta(seconds=result.delay),
                                        result.detail or "", count_attempt=result.outcome != "wait")
