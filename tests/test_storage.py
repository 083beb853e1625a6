"""Storage: migrations match the models; inbox dedup and outbox claims on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

from bot.storage import inbox, outbox
from bot.storage.db import Database, create_db_engine, current_revision, head_revision, upgrade
from bot.storage.models import Outbox

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def test_migrations_create_the_models_schema(database_url):
    engine = create_db_engine(database_url)
    upgrade(engine)
    upgrade(engine)  # idempotent on every start
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                SQLModel.metadata)
    assert diff == []
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()


def test_inbound_repeats_are_dropped(database_url):
    engine = create_db_engine(database_url)
    upgrade(engine)
    db = Database(engine)
    first = db.run_sync(inbox.store_inbound, channel="telegram", update_key="42", payload={"a": 1}, received_at=NOW)
    again = db.run_sync(inbox.store_inbound, channel="telegram", update_key="42", payload={"a": 1}, received_at=NOW)
    other = db.run_sync(inbox.store_inbound, channel="webchat", update_key="42", payload={}, received_at=NOW)
    assert first is not None and again is None and other is not None
    assert db.run_sync(inbox.pending_inbound_ids) == [first, other]
    assert [r.id for r in db.run_sync(inbox.claim_inbound_many, [first], NOW)] == [first]
    assert db.run_sync(inbox.claim_inbound_many, [first], NOW) == []  # already processed
    assert db.run_sync(inbox.pending_inbound_ids) == [other]
    engine.dispose()


def test_outbox_row_is_claimed_by_exactly_one_sender(database_url):
    engine = create_db_engine(database_url)
    upgrade(engine)
    db = Database(engine)
    ids = db.run_sync(lambda s: [outbox.enqueue(s, Outbox(
        channel="telegram", chat_id=str(i), segments=[{"kind": "text", "text": "hi"}],
        next_attempt_at=NOW, created_at=NOW)) for i in range(20)] and None)
    assert ids is None
    rows = db.run_sync(outbox.due_rows, "telegram", NOW)
    assert len(rows) == 20
    wins: list[int] = []
    lock = threading.Lock()

    def contend(row_id: int) -> None:
        if db.run_sync(outbox.claim, row_id, NOW):
            with lock:
                wins.append(row_id)

    threads = [threading.Thread(target=contend, args=(row_id,)) for row_id, _chat in rows for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == sorted(row_id for row_id, _chat in rows)  # each row once, never twice
    assert db.run_sync(outbox.due_rows, "telegram", NOW) == []  # all held by their lease
    engine.dispose()
