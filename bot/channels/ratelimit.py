"""Sliding-window rate limiter: a global limit per second and a per-chat limit per minute.

Telegram allows about 30 messages/s per bot and 20 messages/min per group;
exceeding them earns a 429. A sliding window (not a bucket with burst)
never exceeds the count in any window, so a compliant sender gets no 429s.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class SlidingWindowLimiter:
    def __init__(self, global_per_second: float, per_chat_per_minute: float,
                 clock: Callable[[], float] = time.monotonic, *, margin: float = 0.0) -> None:
        # ``margin`` widens both windows by that share: room for the jitter between our clock and
        # the moment the platform counts a request.
        self._global_n, self._global_window = self._as_window(global_per_second, 1.0)
        self._chat_n, self._chat_window = self._as_window(per_chat_per_minute, 60.0)
        self._global_window *= 1 + margin
        self._chat_window *= 1 + margin
        self._clock = clock
        self._global: deque[float] = deque()
        self._chats: dict[str, deque[float]] = {}
        self._paused_until: dict[str | None, float] = {}

    @staticmethod
    def _as_window(rate: float, window: float) -> tuple[int, float]:
        # Fractional rates (0.5/s) become "1 per 2 s"; whole rates keep the window.
        if rate >= 1:
            return int(rate), window * (int(rate) / rate)
        return 1, window / rate

    def _prune(self, q: deque[float], window: float, now: float) -> None:
        while q and q[0] <= now - window:
            q.popleft()

    def wait_time(self, chat_id: str) -> float:
        """Seconds until a message to ``chat_id`` may go out (0 = now)."""
        now = self._clock()
        waits = [self._paused_until.get(None, 0.0) - now, self._paused_until.get(chat_id, 0.0) - now]
        self._prune(self._global, self._global_window, now)
        if len(self._global) >= self._global_n:
            waits.append(self._global[0] + self._global_window - now)
        chat_q = self._chats.get(chat_id)
        if chat_q is not None:
            self._prune(chat_q, self._chat_window, now)
            if not chat_q:
                del self._chats[chat_id]
            elif len(chat_q) >= self._chat_n:
                waits.append(chat_q[0] + self._chat_window - now)
        return max(0.0, *waits)

    def record(self, chat_id: str, at: float | None = None) -> None:
        """Count a send, now or at the (future) moment it is scheduled for."""
        when = self._clock() if at is None else at
        self._global.append(when)
        self._chats.setdefault(chat_id, deque()).append(when)

    def seed(self, chat_id: str, seconds_ago: float) -> None:
        """Count a send made before this limiter existed (by the previous process)."""
        at = self._clock() - max(0.0, seconds_ago)
        for q in (self._global, self._chats.setdefault(chat_id, deque())):
            q.append(at)
            if len(q) > 1 and q[-2] > at:  # keep each window in time order
                items = sorted(q)
                q.clear()
                q.extend(items)

    def pause(self, seconds: float, chat_id: str | None = None) -> None:
        """Hold a chat (or, with None, the whole channel) after a 429."""
        until = self._clock() + seconds
        self._paused_until[chat_id] = max(self._paused_until.get(chat_id, 0.0), until)


class Pacer:
    """Spaces a channel's requests evenly at its rate.

    A sliding window alone lets a whole window's worth go out at once; their requests reach
    the platform a few to a few hundred milliseconds apart, so the next burst overlaps the
    platform's window and earns 429s. Evenly spaced slots, a little under the rate, do not.
    """

    def __init__(self, per_second: float, *, margin: float = 0.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = (1 + margin) / per_second
        self._clock = clock
        self._next = 0.0

    def ahead(self) -> float:
        """How far in the future the next free slot is."""
        return max(0.0, self._next - self._clock())

    def reserve(self) -> float:
        """The next slot (a monotonic time), taken."""
        slot = max(self._clock(), self._next)
        self._next = slot + self.interval
        return slot

    def pause(self, seconds: float) -> None:
        self._next = max(self._next, self._clock() + seconds)
