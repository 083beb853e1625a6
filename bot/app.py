"""The bot core: wires config, storage, handlers, channels and the HTTP server.

Flow: channel adapter -> ``ingest`` (stored in ``inbound_update``, repeats
dropped) -> inbox worker runs the handlers in one transaction that also
writes the outbox -> each channel's OutboxSender delivers through its rate
limiter. Nothing about a ticket lives only in memory.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from dataclasses import replace
from datetime import datetime
from typing import Protocol

from aiohttp import web
from sqlalchemy.orm import Session

from .channels.base import Channel
from .clock import Clock
from .config import Config
from .delivery import OutboxSender
from .handlers import HandlerContext, Router, Services, build_router
from .handlers.base import Context
from .messages import IncomingMessage
from .nlp import Classifier
from .nlp.model import TextModel
from .roster import load_roster
from .scheduler import JOBS, JobScheduler, Step
from .storage import examples as example_store
from .storage import inbox as inbox_store
from .storage import roster_store
from .storage import tickets as ticket_store
from .storage.db import Database, create_db_engine, upgrade
from .storage.models import InboundUpdate
from .storage.roster_index import RosterCache, RosterIndex
from .worktime import WorkCalendar, parse_work_hours

log = logging.getLogger(__name__)

# Updates handled per transaction: bounds the work redone after a crash.
INBOX_BATCH = 20


class Ingestor(Protocol):
    """What channels may call on the core."""

    async def ingest(self, channel: str, update_key: str, message: IncomingMessage | None) -> bool: ...

    async def ingest_many(self, channel: str, items: list[tuple[str, IncomingMessage | None]]) -> list[bool]: ...

    async def directory(self, channel: str) -> dict: ...


def build_channels(config: Config) -> list[Channel]:
    channels: list[Channel] = []
    if config.channels.webchat.enabled:
        from .channels.webchat import WebChatChannel

        channels.append(WebChatChannel(config.channels.webchat))
    if config.channels.telegram.enabled:
        from .channels.telegram import TelegramChannel

        channels.append(TelegramChannel(config.channels.telegram))
    return channels


class GridBot:
    def __init__(self, config: Config, *, clock: Clock | None = None, channels: list[Channel] | None = None,
                 router: Router | None = None, classifier: Classifier | None = None,
                 run_jobs: bool = True) -> None:
        self.config = config
        self.clock = clock or Clock()
        self.engine = create_db_engine(config.resolved_database_url)
        self.db = Database(self.engine)
        calendar = WorkCalendar(config.tz, working_time=config.sla.working_time,
                                work_hours=parse_work_hours(config.sla.work_hours))
        self.services = Services(config=config, classifier=classifier or Classifier.from_config(config),
                                 clock=self.clock, calendar=calendar)
        # Tests drive jobs by hand (run_job) with a controllable clock.
        self.jobs: JobScheduler | None = JobScheduler(self) if run_jobs else None
        self.router = router or build_router()
        self.channels: dict[str, Channel] = {c.name: c for c in (channels if channels is not None
                                                                    else build_channels(config))}
        self.senders: dict[str, OutboxSender] = {
            name: OutboxSender(ch, self.db, self.clock, instance=config.instance_name)
            for name, ch in self.channels.items()}
        self.roster_cache = RosterCache()
        self._inbox_wake = asyncio.Event()
        self._inbox_task: asyncio.Task | None = None
        self._model_task: asyncio.Task | None = None
        self.model_id: int | None = None  # the installed classifier model in use (None: the shipped one)
        self._runner: web.AppRunner | None = None
        self._stopping = False
        self.http_port: int | None = None

    # -- lifecycle -------------------------------------------------------------
    def migrate(self) -> None:
        upgrade(self.engine)

    def prepare_database(self) -> None:
        """Migrate the schema, load the installed classifier model, import the configured roster
        (idempotent)."""
        self.migrate()
        self.refresh_classifier()
        if self.config.roster_path is not None:
            roster = load_roster(self.config.roster_path, request_types=set(self.config.request_types))
            for warning in roster.warnings:
                log.warning("roster: %s", warning)
            result = self.db.run_sync(roster_store.import_roster, roster)
            log.info("roster %s: %d units, %d people, %d chats", self.config.roster_path,
                     result.units, result.people, result.chats)

    def refresh_classifier(self) -> bool:
        """Use the newest model installed by ``gridbot train``, if it is not the one in use.
        A model that cannot be read is logged and skipped: the bot keeps the one it has."""
        newer = self.db.run_sync(example_store.newest_model, unless=self.model_id)
        if newer is None:
            return False
        model_id, data = newer
        try:
            classifier = Classifier.from_config(self.config, model=TextModel.from_bytes(data))
        except Exception as exc:  # a damaged row (bad zip, wrong arrays) must not stop the bot
            log.error("classifier model #%s cannot be used (%s); keeping the current one", model_id, exc)
            self.model_id = model_id
            return False
        self.services = replace(self.services, classifier=classifier)
        self.model_id = model_id
        log.info("classifier model #%s in use", model_id)
        return True

    async def _model_loop(self) -> None:
        interval = self.config.classifier.reload_check_seconds
        while not self._stopping:
            await asyncio.sleep(interval)
            try:
                await asyncio.to_thread(self.refresh_classifier)
            except Exception:  # the database may be briefly away; try again next time
                log.exception("looking for a new classifier model failed")

    def web_app(self) -> web.Application:
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_get("/healthz", self._healthz)
        for channel in self.channels.values():
            app.add_routes(channel.routes())
        return app

    async def start(self) -> None:
        await asyncio.to_thread(self.prepare_database)
        self._runner = web.AppRunner(self.web_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.http.host, self.config.http.port)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []  # noqa: SLF001  (port 0 = pick one)
        self.http_port = sockets[0].getsockname()[1] if sockets else self.config.http.port
        self._inbox_task = asyncio.create_task(self._inbox_loop(), name="inbox")
        self._model_task = asyncio.create_task(self._model_loop(), name="classifier-model")
        for sender in self.senders.values():
            await sender.recover()
            sender.start()
        for channel in self.channels.values():
            await channel.start(self)
        if self.jobs is not None:
            self.jobs.start()
        log.info("gridbot listening on http://%s:%s/ with channels: %s", self.config.http.host,
                 self.http_port, ", ".join(self.channels) or "none")

    async def stop(self) -> None:
        """Stop receiving, finish the update being handled, let in-flight sends land, then close."""
        self._stopping = True
        if self._model_task is not None:
            self._model_task.cancel()
        if self.jobs is not None:
            await self.jobs.stop()
        for channel in self.channels.values():
            try:
                await channel.stop()
            except Exception:
                log.exception("stopping channel %s failed", channel.name)
        self._inbox_wake.set()
        if self._inbox_task:
            await self._inbox_task
        for sender in self.senders.values():
            await sender.stop()
        for channel in self.channels.values():
            try:
                await channel.close()
            except Exception:
                log.exception("closing channel %s failed", channel.name)
        if self._runner:
            await self._runner.cleanup()
        self.engine.dispose()

    async def run_forever(self) -> None:
        await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()

    async def _healthz(self, _request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "channels": sorted(self.channels)})

    # -- inbound -------------------------------------------------------------
    async def ingest(self, channel: str, update_key: str, message: IncomingMessage | None) -> bool:
        """Store an update durably; False when it was a repeat. ``None`` records an
        update that carries nothing to handle, so its id still counts as seen."""
        return (await self.ingest_many(channel, [(update_key, message)]))[0]

    async def ingest_many(self, channel: str, items: list[tuple[str, IncomingMessage | None]]) -> list[bool]:
        """Store a batch of updates in one transaction (a polled batch)."""
        stored = await self.db.run(inbox_store.store_inbound_many, channel, [
            (key, message.to_json() if message is not None else None) for key, message in items
        ], self.clock.now())
        for (key, _message), is_new in zip(items, stored):
            if not is_new:
                log.info("dropped repeated %s update %s", channel, key)
        if any(stored):
            self._inbox_wake.set()
        return stored

    async def directory(self, channel: str) -> dict:
        """Groups and roster members on a channel, for pickers such as the web chat's."""
        return await self.db.run(roster_store.directory, channel)

    def process_updates(self, ids: list[int]) -> None:
        """Handle these stored updates now, in one transaction, in this thread."""
        self._wake_senders(self.db.run_sync(self._process_batch, ids))

    def process_pending(self) -> int:
        """Handle every stored update now, in this thread (tests and offline tools);
        returns how many were handled."""
        handled = 0
        while True:
            ids = self.db.run_sync(inbox_store.pending_inbound_ids, INBOX_BATCH)
            if not ids:
                return handled
            self.db.run_sync(self._process_batch, ids)
            handled += len(ids)

    # -- jobs -------------------------------------------------------------------
    async def run_job(self, name: str) -> dict[str, int]:
        """``run_job_sync`` in a worker thread; the senders of the channels it wrote to are woken."""
        counts, touched = await asyncio.to_thread(self._run_job, name)
        self._wake_senders(touched)
        return counts

    def run_job_sync(self, name: str) -> dict[str, int]:
        """Run a scheduled job now, as of the clock's time, in this thread: every step, chunk by
        chunk, one transaction per chunk. Returns items handled per step."""
        return self._run_job(name)[0]

    def _run_job(self, name: str) -> tuple[dict[str, int], set[str]]:
        counts: dict[str, int] = {}
        touched: set[str] = set()
        job = JOBS[name]
        for step in job.steps:
            while True:
                done, channels = self.db.run_sync(self._job_chunk, step, job.chunk)
                touched |= channels
                counts[step.__name__] = counts.get(step.__name__, 0) + done
                if done < job.chunk:
                    break
        return counts, touched

    def _job_chunk(self, session: Session, step: Step, chunk: int) -> tuple[int, set[str]]:
        ctx = Context(session=session, services=self.services, now=self.clock.now(),
                      roster=self.roster_cache.get(session))
        with ticket_store.buffered_events(session):
            done = step(ctx, chunk)
        session.flush()
        return done, ctx.touched_channels

    def _wake_senders(self, channels: set[str]) -> None:
        for name in channels:
            sender = self.senders.get(name)
            if sender:
                sender.notify()

    async def _inbox_loop(self) -> None:
        while not self._stopping:
            self._inbox_wake.clear()
            full_batch = False
            try:
                ids = await self.db.run(inbox_store.pending_inbound_ids, INBOX_BATCH)
                if ids:
                    self._wake_senders(await self.db.run(self._process_batch, ids))
                full_batch = len(ids) == INBOX_BATCH
            except Exception:
                log.exception("inbox pass failed")
            if not full_batch and not self._stopping:
                # New updates set the event; the timeout also picks up rows another process stored.
                try:
                    await asyncio.wait_for(self._inbox_wake.wait(), timeout=5.0)
                except TimeoutError:
                    pass

    def _process_batch(self, session: Session, ids: list[int]) -> set[str]:
        """Handle several updates in one transaction, each in its own savepoint."""
        now = self.clock.now()
        roster = self.roster_cache.get(session)
        touched: set[str] = set()
        for row in inbox_store.claim_inbound_many(session, ids, now):  # rows another replica took are absent
            touched |= self._process_inbound(session, row, roster, now)
        return touched

    def _process_inbound(self, session: Session, row: InboundUpdate, roster: RosterIndex, now: datetime) -> set[str]:
        try:
            with session.begin_nested():
                message = IncomingMessage.from_json(row.payload)
                ctx = HandlerContext(
                    session=session, services=self.services, message=message, now=now, roster=roster,
                    chat=roster.chat(message.channel, message.chat_id),
                    sender=roster.person_by_account(message.channel, message.sender_id),
                )
                self.router.dispatch(ctx)
                session.flush()
        except Exception as exc:
            # Keep the update (marked with its error) and move on: one poisoned
            # message must not block every later one.
            log.exception("handling %s update %s failed", row.channel, row.update_key)
            row.error = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:4000]
            session.add(row)
            return set()
        return ctx.touched_channels
