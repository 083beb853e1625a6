"""Shared fixtures: real databases (SQLite file, PostgreSQL schema), real servers on loopback."""

from __future__ import annotations

import asyncio
import copy
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import create_engine, text

from bot.config import Config, parse_config

REPO = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("GRIDBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

_pg_state: dict[str, str | None] = {}


def postgres_unavailable() -> str | None:
    """None when the PostgreSQL server answers, else the reason."""
    if "reason" not in _pg_state:
        try:
            engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
            _pg_state["reason"] = None
        except Exception as exc:  # noqa: BLE001
            _pg_state["reason"] = f"PostgreSQL not reachable at {PG_URL}: {type(exc).__name__}: {exc}"
    return _pg_state["reason"]


def require_postgres() -> None:
    reason = postgres_unavailable()
    if reason:
        if IN_CI:
            pytest.fail(f"{reason} (CI must run the PostgreSQL tests)")
        pytest.skip(reason)


@pytest.fixture
def pg_schema_url() -> Any:
    """A PostgreSQL URL whose search_path is a fresh, empty schema (dropped afterwards)."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'gridbot.db'}"
    return request.getfixturevalue("pg_schema_url")


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def default_config_data() -> dict[str, Any]:
    return yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))


@pytest.fixture
def make_config(tmp_path: Path) -> Callable[..., Config]:
    """The shipped config.yaml with overrides; an empty environment; HTTP on a free port."""

    def make(database_url: str | None = None, **overrides: Any) -> Config:
        data = _merge(default_config_data(), {
            "database_url": database_url or f"sqlite:///{tmp_path / 'gridbot.db'}",
            "http": {"host": "127.0.0.1", "port": 0},
        })
        data = _merge(data, overrides)
        return parse_config(data, source="test-config", base_dir=REPO, environ={})

    return make


@asynccontextmanager
async def running(bot: Any) -> AsyncIterator[Any]:
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


async def eventually(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02) -> Any:
    """Poll a condition (used for database state that changes asynchronously)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(interval)


CHROMIUM = os.environ.get("GRIDBOT_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def chromium_path() -> str:
    """Debian's chromium for the browser tests; they must run in CI."""
    if not Path(CHROMIUM).exists():
        reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set GRIDBOT_CHROMIUM)"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    return CHROMIUM


@asynccontextmanager
async def headless_chromium(path: str) -> AsyncIterator[Any]:
    """Debian's chromium, headless, driven by Playwright; closed afterwards."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


def keep_screenshots(tmp_path: Path, *names: str) -> None:
    """Copy screenshots out of the test's temporary folder when GRIDBOT_SCREENSHOTS names a folder."""
    if os.environ.get("GRIDBOT_SCREENSHOTS"):
        target = Path(os.environ["GRIDBOT_SCREENSHOTS"])
        target.mkdir(parents=True, exist_ok=True)
        for name in names:
            shutil.copy(tmp_path / name, target / name)


def ticket_number(text: str) -> int:
    """The number in a bot message that says "工单 #128"."""
    return int(text.split("工单 #")[1].split()[0])
