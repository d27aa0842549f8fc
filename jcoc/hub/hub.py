"""The hub: live state from the database and the bus, broadcast to websocket clients.

One bus consumer applies facts to `LiveState` and appends the resulting updates (each with
a sequence number within this process's `epoch`) to a replay ring and to every client's
queue. A tick re-renders on the clock alone (staleness, SLA) and watches the bus and the
database. While either is lost every item is stale (`stale_since` = when the loss began);
when a source comes back (or the bus reconnected at all) the state is reloaded from the
database, and only a successful reload makes the items live again.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import secrets
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jcoc.bus import Bus
from jcoc.config import Settings
from jcoc.db.base import utcnow
from jcoc.hub.client import Client, ClientStats, Outbox, Update
from jcoc.hub.loader import load_city
from jcoc.hub.state import TOPICS, Change, LiveState, NeedsReload

log = logging.getLogger(__name__)

CHANNELS = ("status", "kpi", "camera", "incident", "entity")
DB_TIMEOUT_S = 5.0
RELOAD_MIN_INTERVAL_S = 1.0


def encode(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"), default=str)


class Hub:
    def __init__(
        self,
        *,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        bus: Bus,
        ping_db: Callable[[], Awaitable[None]],
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.bus = bus
        self._ping_db = ping_db
        self.epoch = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.seq = 0
        self.state = LiveState()
        self.buffer: deque[Update] = deque(maxlen=settings.hub_replay_buffer)
        self.clients: set[Client] = set()
        self.stats = ClientStats()
        self.outbox = Outbox(self.stats)
        self.bus_connected = bus.connected
        self.db_connected = False
        # When the current loss of a source began (None while both are connected). Not
        # loaded yet counts as lost: nothing is shown as live before the first load.
        self.since: datetime | None = utcnow()
        self.state.outage_since = self.since
        self._bus_connections = bus.connections
        self.reloads = 0
        self.bad_messages = 0
        self._reload_wanted = asyncio.Event()
        self._during_reload: list[tuple[str, dict[str, Any]]] | None = None
        self._tasks: list[asyncio.Task[None]] = []

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the state from the database, then follow the bus and the clock."""
        await self.reload()
        self._tasks = [
            asyncio.create_task(self._consume(), name="hub-bus"),
            asyncio.create_task(self._reloader(), name="hub-reload"),
            asyncio.create_task(self._tick(), name="hub-tick"),
            asyncio.create_task(self._heartbeat(), name="hub-heartbeat"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for client in list(self.clients):
            client.kill(1001)

    async def reload(self) -> bool:
        """Rebuild the state from the database; False (and db_connected off) if it failed."""
        self._during_reload = []
        bus_connections = self.bus.connections
        try:
            async with self.sessions() as session:
                facts = await asyncio.wait_for(
                    load_city(db_session=session, now=utcnow()), DB_TIMEOUT_S * 6
                )
        except Exception:
            log.warning("hub: loading the live state from the database failed", exc_info=True)
            self._during_reload = None
            self._set_sources(db=False)
            return False
        missed, self._during_reload = self._during_reload, None
        self._bus_connections = bus_connections
        # The sources first (without re-rendering): the fresh items are rendered once, live
        # if the bus is connected too, stale otherwise.
        self._set_sources(db=True, bus=self.bus.connected, render=False)
        now = utcnow()
        changes = self.state.replace(facts, now)
        for channel, message in missed:  # facts that may have committed after the read
            changes += self._apply(channel, message, now)
        self.reloads += 1
        self._broadcast(changes)
        return True

    # -- state -> clients -------------------------------------------------------------------

    def _apply(self, channel: str, message: dict[str, Any], now: Any) -> list[Change]:
        try:
            return self.state.apply(channel, message, now)
        except NeedsReload as exc:
            log.info("hub: %s is new; reloading", exc)
            self._reload_wanted.set()
        except Exception:
            self.bad_messages += 1
            log.warning("hub: unusable %s message skipped: %.200r", channel, message)
        return []

    def _broadcast(self, changes: list[Change]) -> None:
        if not changes:
            return
        server_time = utcnow().isoformat()
        created = time.monotonic()
        for topic, key, data in changes:
            self.seq += 1
            frame = {"type": "update", "topic": topic, "seq": self.seq}
            frame.update(server_time=server_time, key=key, data=data)
            update = Update(self.seq, topic, key, encode(frame), created)
            self.buffer.append(update)
            sent = 0
            for client in self.clients:
                if client.offer(update):
                    sent += 1
            if sent:  # written at once to `sent` clients: one lag sample, at the last one
                self.stats.sent += sent
                self.stats.lags.append(time.monotonic() - created)

    def snapshot_text(self, topic: str) -> str:
        return encode(
            {
                "type": "snapshot",
                "topic": topic,
                "seq": self.seq,
                "server_time": utcnow().isoformat(),
                "data": self.state.items[topic],
            }
        )

    def sources(self) -> dict[str, Any]:
        """The hub's own sources: while either is false every item is stale since `since`."""
        return {
            "bus_connected": self.bus_connected,
            "db_connected": self.db_connected,
            "since": self.since.isoformat() if self.since is not None else None,
        }

    def status_message(self) -> dict[str, Any]:
        return {"type": "status", **self.sources(), "server_time": utcnow().isoformat()}

    def summary(self) -> dict[str, Any]:
        """The whole state, as `GET /api/v1/summary` returns it."""
        return {
            "epoch": self.epoch,
            "seq": self.seq,
            "server_time": utcnow().isoformat(),
            **self.sources(),
            "topics": self.state.items,
        }

    def _set_sources(
        self, *, db: bool | None = None, bus: bool | None = None, render: bool = True
    ) -> None:
        """Record the sources' state; on a change tell clients and (un)mark every item stale."""
        changed = False
        if db is not None and db != self.db_connected:
            self.db_connected, changed = db, True
        if bus is not None and bus != self.bus_connected:
            self.bus_connected, changed = bus, True
        if not changed:
            return
        live = self.bus_connected and self.db_connected
        if not live and self.since is None:
            self.since = utcnow()
        elif live:
            self.since = None
        level = logging.INFO if live else logging.WARNING
        log.log(level, "hub: sources bus=%s db=%s", self.bus_connected, self.db_connected)
        frame = encode(self.status_message())
        for client in self.clients:
            client.control(frame)
        self.state.outage_since = self.since
        if render:
            self._broadcast(self.state.refresh(utcnow()))

    # -- clients ----------------------------------------------------------------------------

    def connect(self, sink: Any) -> Client:
        client = Client(
            sink,
            maxsize=self.settings.hub_client_queue,
            stats=self.stats,
            outbox=self.outbox,
            snapshot=self.snapshot_text,
        )
        self.clients.add(client)
        self.stats.connections_total += 1
        client.control(
            encode(
                {
                    "type": "hello",
                    "epoch": self.epoch,
                    "seq": self.seq,
                    "server_time": utcnow().isoformat(),
                    "heartbeat_s": self.settings.hub_heartbeat_s,
                    "topics": list(TOPICS),
                }
            )
        )
        client.control(encode(self.status_message()))
        return client

    def disconnect(self, client: Client) -> None:
        self.clients.discard(client)

    def subscribe(self, client: Client, topics: list[str], since: Any) -> None:
        """Follow topics: replay what was missed since `since` if possible, else snapshots."""
        client.topics.update(topics)
        missed = self._missed(since, topics, client.maxsize)
        if missed is None:
            for topic in topics:
                client.snapshot(topic)
            return
        for update in missed:
            if client.offer(update):
                self.stats.sent += 1
        client.control(encode({"type": "resumed", "topics": topics, "seq": self.seq}))

    def _missed(self, since: Any, topics: list[str], limit: int) -> list[Update] | None:
        if not isinstance(since, dict) or since.get("epoch") != self.epoch:
            return None
        seq = since.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq > self.seq:
            return None
        if seq < self.seq and (not self.buffer or self.buffer[0].seq > seq + 1):
            return None
        start = seq + 1 - self.buffer[0].seq if self.buffer else 0
        wanted = set(topics)
        tail = itertools.islice(self.buffer, max(start, 0), None)
        missed = [u for u in tail if u.topic in wanted]
        return missed if len(missed) <= limit else None

    # -- background tasks -------------------------------------------------------------------

    async def _consume(self) -> None:
        async with self.bus.subscribe(*CHANNELS, maxsize=10_000) as sub:
            dropped = 0
            async for event in sub:
                if self._during_reload is not None:
                    self._during_reload.append((event.channel, event.message))
                self._broadcast(self._apply(event.channel, event.message, utcnow()))
                if sub.dropped != dropped:  # we fell behind the bus: the database knows best
                    dropped = sub.dropped
                    self._reload_wanted.set()

    async def _reloader(self) -> None:
        while True:
            await self._reload_wanted.wait()
            self._reload_wanted.clear()
            await self.reload()
            await asyncio.sleep(RELOAD_MIN_INTERVAL_S)

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.settings.hub_tick_s)
            self._broadcast(self.state.refresh(utcnow()))
            try:
                await asyncio.wait_for(self._ping_db(), DB_TIMEOUT_S)
                db_ok = True
            except Exception:
                db_ok = False
            bus_ok = self.bus.connected
            # A loss shows at once; a recovery only through a successful reload (reload()
            # sets the sources), so stale data never turns live before it is refreshed.
            self._set_sources(db=None if db_ok else False, bus=None if bus_ok else False)
            came_back = (db_ok and not self.db_connected) or (bus_ok and not self.bus_connected)
            reconnected = bus_ok and self.bus.connections != self._bus_connections
            if came_back or reconnected:  # facts may have been missed meanwhile
                self._reload_wanted.set()

    async def _heartbeat(self) -> None:
        interval = self.settings.hub_heartbeat_s
        while True:
            await asyncio.sleep(interval)
            deadline = time.monotonic() - 3 * interval
            frame = encode({"type": "ping", "server_time": utcnow().isoformat()})
            for client in list(self.clients):
                if client.last_seen < deadline:
                    self.stats.closed_dead += 1
                    client.kill(4408)
                else:
                    client.control(frame)


@asynccontextmanager
async def hub_component(app: FastAPI) -> AsyncIterator[None]:
    """The hub as an app component (`app.state.hub`)."""

    async def ping_db() -> None:
        async with app.state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    hub = Hub(
        settings=app.state.settings, sessions=app.state.sessions, bus=app.state.bus, ping_db=ping_db
    )
    app.state.hub = hub
    await hub.start()
    try:
        yield
    finally:
        await hub.stop()
