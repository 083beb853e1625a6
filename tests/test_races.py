"""Two commands racing on one ticket, each in its own transaction through its own GridBot
(as two replicas would), on SQLite and PostgreSQL: one consistent result, never both."""

from __future__ import annotations

import threading

import pytest

from bot.app import GridBot
from bot.clock import FrozenClock
from bot.messages import IncomingMessage
from bot.storage import inbox as inbox_store

from .harness import make_harness

GRID = "dongfeng-g1"


def _store(h, who: str, text: str, key: str) -> int:
    message = IncomingMessage(channel="webchat", chat_id=GRID, message_id=key, sender_id=who, sender_name=who,
                              text=text, sent_at=h.clock.now())
    h.bot.db.run_sync(inbox_store.store_inbound_many, "webchat", [(key, message.to_json())], h.clock.now())
    return h.bot.db.run_sync(lambda s: inbox_store.pending_inbound_ids(s))[-1]


def _race(h, commands: list[tuple[str, str]]) -> None:
    """Store the commands, then let one replica per command handle its own at the same instant."""
    ids = [_store(h, who, text, f"race-{i}") for i, (who, text) in enumerate(commands)]
    replicas = [GridBot(h.bot.config, clock=FrozenClock(h.clock.now()), channels=[], run_jobs=False)
                for _ in commands]
    barrier = threading.Barrier(len(commands))
    errors: list[BaseException] = []

    def run(bot: GridBot, update_id: int) -> None:
        try:
            barrier.wait()
            bot.process_updates([update_id])
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(bot, i)) for bot, i in zip(replicas, ids)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for bot in replicas:
        bot.engine.dispose()
    assert not errors, errors


@pytest.mark.parametrize("attempt", range(3))
def test_two_workers_accept_at_once(make_config, database_url, attempt):
    h = make_harness(make_config, database_url)
    [ack] = h.say(GRID, "r1", "村口的路灯坏了一个星期了", name="张三")
    number = ack.ticket_id
    _race(h, [("li-wangge", f"接单 {number}"), ("chen-wangzhang", f"接单 {number}")])
    ticket = h.ticket(number)
    assert ticket.status == "accepted"
    accepted = [e for e in h.events(number) if e.kind == "accepted"]
    assert len(accepted) == 1
    winner = accepted[0].actor.removeprefix("person:")
    assert ticket.assignee_id == winner
    replies = [m.text for m in h.collect()]
    loser_name = "陈网格长" if winner == "li-wangge" else "李网格"
    winner_name = "李网格" if winner == "li-wangge" else "陈网格长"
    assert sum("已由" in r and "受理，预计" in r for r in replies) == 1  # one feedback to the resident
    assert f"工单 #{number} 已由 {winner_name} 受理。" in replies, (loser_name, replies)
    h.bot.engine.dispose()


def test_resolve_and_escalate_at_once(make_config, database_url):
    h = make_harness(make_config, database_url)
    [ack] = h.say(GRID, "r1", "村口的路灯坏了一个星期了", name="张三")
    number = ack.ticket_id
    h.say(GRID, "li-wangge", f"接单 {number}")
    _race(h, [("li-wangge", f"办结 {number} 修好了"), ("chen-wangzhang", f"上报 {number} 需要村里出面")])
    ticket = h.ticket(number)
    kinds = h.kinds(number)
    # Either order is consistent: resolved first (then escalation is refused), or escalated
    # first (then the grid worker is no longer in charge and resolving is refused).
    if ticket.status == "resolved":
        assert "escalated" not in kinds and ticket.level_unit_id == GRID
    else:
        assert ticket.status == "escalated" and "resolved" not in kinds and ticket.level_unit_id == "dongfeng"
    assert kinds.count("resolved") + kinds.count("escalated") == 1
    h.bot.engine.dispose()
