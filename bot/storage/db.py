"""Engine creation and schema migration.

SQLite is tuned for a single writer process (WAL, a busy timeout); PostgreSQL
serves several replicas. Migrations run at start-up under an advisory lock on
PostgreSQL so two replicas starting together do not race.
"""

from __future__ import annotations

import logging
import threading
from contextlib import nullcontext
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.pool import NullPool
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_MIGRATION_LOCK_ID = 0x67726964  # "grid"


class DatabaseError(Exception):
    """The database URL cannot be used; the message names the key."""


def create_db_engine(url: str, *, echo: bool = False, connect_args: dict | None = None) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(f"database_url: {url!r} is not a valid SQLAlchemy URL") from None
    kwargs: dict = {"echo": echo}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30, **(connect_args or {})}
        if database in ("", ":memory:"):
            kwargs["poolclass"] = NullPool
    else:
        kwargs["pool_pre_ping"] = True
        if connect_args:
            kwargs["connect_args"] = connect_args
    try:
        engine = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        raise DatabaseError(f"database_url: no driver for {parsed.drivername!r} ({exc})") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; take control so
        # "BEGIN IMMEDIATE" can serialise writers cleanly.
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
    return engine


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def alembic_config(engine: Engine) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision``; safe to call on every start."""
    cfg = alembic_config(engine)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK_ID})
            conn.commit()
            try:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
                conn.commit()
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK_ID})
                conn.commit()
    else:
        with engine.connect() as conn:
            # SQLite alters a table by copying it; with foreign keys enforced the copy's DROP
            # fails while other tables refer to it. The pragma only works outside a
            # transaction, so set it on the raw connection first, and check the keys after.
            raw = conn.connection.driver_connection
            raw.execute("PRAGMA foreign_keys=OFF")
            try:
                with conn.begin():
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, revision)
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise DatabaseError(f"migration left {len(broken)} broken foreign keys: {broken[:5]}")
            finally:
                raw.execute("PRAGMA foreign_keys=ON")


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)


class Database:
    """Runs synchronous storage work in worker threads, one transaction per call.

    SQLite allows one writer at a time and its busy handler waits by sleeping,
    so in-process transactions on SQLite take a lock instead of contending.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock() if engine.dialect.name == "sqlite" else nullcontext()

    def run_sync(self, fn, *args, **kwargs):  # noqa: ANN001, ANN201
        with self._lock, Session(self.engine, expire_on_commit=False) as s:
            with s.begin():
                return fn(s, *args, **kwargs)

    async def run(self, fn, *args, **kwargs):  # noqa: ANN001, ANN201
        import asyncio

        return await asyncio.to_thread(self.run_sync, fn, *args, **kwargs)


def head_revision() -> str:
    """The newest migration shipped with this version."""
    from alembic.script import ScriptDirectory

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(cfg).get_current_head()


def skip_locked(query, session: Session):  # noqa: ANN001, ANN201
    """Rows another replica (or a command) holds are left to it (PostgreSQL ``FOR UPDATE SKIP
    LOCKED``); SQLite serialises writers anyway."""
    if session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True)
    return query
