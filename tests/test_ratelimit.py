"""The sliding-window limiter never allows more than the limit in any window."""

from __future__ import annotations

import pytest

from bot.channels.ratelimit import SlidingWindowLimiter


class ManualClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def drain(limiter: SlidingWindowLimiter, clock: ManualClock, chats: list[str], seconds: float) -> list[tuple[float, str]]:
    """Send as fast as allowed, round-robin over chats, for ``seconds``; return (time, chat) of sends."""
    sent = []
    end = clock.t + seconds
    while clock.t < end:
        progressed = False
        for chat in chats:
            if limiter.wait_time(chat) == 0:
                limiter.record(chat)
                sent.append((clock.t, chat))
                progressed = True
        if not progressed:
            clock.t += 0.01
    return sent


def test_global_and_per_chat_windows_hold():
    clock = ManualClock()
    limiter = SlidingWindowLimiter(30, 20, clock=clock)
    chats = [f"c{i}" for i in range(100)]
    sent = drain(limiter, clock, chats, 10.0)
    times = [t for t, _ in sent]
    for i, t in enumerate(times):
        in_window = [x for x in times[i:i + 40] if x < t + 1.0]
        assert len(in_window) <= 30
    assert len(sent) >= 290  # ~30/s sustained over 10 s
    per_chat: dict[str, list[float]] = {}
    for t, chat in sent:
        per_chat.setdefault(chat, []).append(t)
    for ts in per_chat.values():
        for i, t in enumerate(ts):
            assert len([x for x in ts[i:] if x < t + 60.0]) <= 20


def test_single_chat_limited_to_20_per_minute():
    clock = ManualClock()
    limiter = SlidingWindowLimiter(30, 20, clock=clock)
    sent = drain(limiter, clock, ["group"], 120.0)
    assert len(sent) == 40
    assert sent[20][0] - sent[0][0] >= 60.0


def test_pause_after_429():
    clock = ManualClock()
    limiter = SlidingWindowLimiter(30, 20, clock=clock)
    limiter.pause(3.0, "a")
    assert 2.99 < limiter.wait_time("a") <= 3.0
    assert limiter.wait_time("b") == 0
    limiter.pause(5.0)
    assert 4.99 < limiter.wait_time("b") <= 5.0
    clock.t += 5.0
    assert limiter.wait_time("a") == 0 and limiter.wait_time("b") == 0


def test_fractional_rates():
    clock = ManualClock()
    limiter = SlidingWindowLimiter(0.5, 20, clock=clock)
    limiter.record("a")
    assert 1.99 < limiter.wait_time("b") <= 2.0


def test_seeded_sends_count_against_the_windows():
    now = [100.0]
    limiter = SlidingWindowLimiter(2, 20, clock=lambda: now[0])
    limiter.seed("a", 0.2)
    limiter.seed("b", 0.5)  # older, out of order: still counted
    assert limiter.wait_time("c") == pytest.approx(0.5)  # the older one leaves the 1 s window first
    now[0] += 0.6
    assert limiter.wait_time("c") == 0


def test_pacer_spaces_slots_evenly_and_pauses():
    from bot.channels.ratelimit import Pacer

    now = [10.0]
    pacer = Pacer(30, margin=0.05, clock=lambda: now[0])
    slots = [pacer.reserve() for _ in range(4)]
    gaps = [b - a for a, b in zip(slots, slots[1:])]
    assert slots[0] == 10.0 and all(g == pytest.approx(1.05 / 30) for g in gaps)
    assert pacer.ahead() == pytest.approx(4 * 1.05 / 30)
    pacer.pause(5)
    assert pacer.reserve() == pytest.approx(15.0)
