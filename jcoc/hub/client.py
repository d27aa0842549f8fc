"""One websocket client: a bounded, coalescing outgoing queue drained by its own sender task.

The hub only ever appends to the queue (never awaits a client), so a slow client cannot
slow the others. While a client is behind, a newer update for the same (topic, key)
replaces the pending one; beyond `maxsize` pending entries, everything pending is dropped
and replaced by fresh snapshots of the client's topics.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


class TextSink(Protocol):
    async def send_text(self, data: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Update:
    seq: int
    topic: str
    key: str
    text: str  # encoded once, sent to every client as is
    created: float  # time.monotonic() when the hub produced it


@dataclass
class ClientStats:
    """Counters shared by all clients of one hub (exposed on /metrics)."""

    connections_total: int = 0
    sent: int = 0
    coalesced: int = 0
    dropped: int = 0
    resyncs: int = 0
    closed_dead: int = 0
    lags: deque[float] = field(default_factory=lambda: deque(maxlen=4096))


class Client:
    def __init__(
        self,
        sink: TextSink,
        *,
        maxsize: int,
        stats: ClientStats,
        snapshot: Callable[[str], str],
    ) -> None:
        self.sink = sink
        self.maxsize = maxsize
        self.stats = stats
        self._snapshot = snapshot
        self.topics: set[str] = set()
        # ("u", topic, key) -> update, or ("c", n) -> control frame; sent in insertion order
        self.queue: OrderedDict[tuple[Any, ...], tuple[str, float | None]] = OrderedDict()
        self.wake = asyncio.Event()
        self.dead = asyncio.Event()
        self.close_code = 1000
        self.last_seen = time.monotonic()
        self.high_water = 0
        self._ctl = itertools.count()

    def offer(self, update: Update) -> None:
        """Queue an update if the client follows its topic (coalescing per topic and key)."""
        if update.topic in self.topics:
            self._put(("u", update.topic, update.key), update.text, update.created)

    def _put(self, key: tuple[Any, ...], text: str, created: float | None) -> None:
        queue = self.queue
        if key in queue:
            del queue[key]  # re-inserted at the end so sequence numbers stay increasing
            self.stats.coalesced += 1
        queue[key] = (text, created)
        size = len(queue)
        if size > self.high_water:
            self.high_water = size
        if size > self.maxsize:
            self._resync()
        self.wake.set()

    def control(self, text: str) -> None:
        """Queue a control frame (hello, snapshot, ping, pong, status, error)."""
        self._put(("c", next(self._ctl)), text, None)

    def snapshot(self, topic: str) -> None:
        """Queue a fresh snapshot of `topic`; pending updates of it are contained in it."""
        self.drop_topic(topic)
        self.control(self._snapshot(topic))

    def drop_topic(self, topic: str) -> None:
        for key in [k for k in self.queue if k[0] == "u" and k[1] == topic]:
            del self.queue[key]

    def _resync(self) -> None:
        updates = [k for k in self.queue if k[0] == "u"]
        for key in updates:
            del self.queue[key]
        self.stats.dropped += len(updates)
        self.stats.resyncs += 1
        for topic in sorted(self.topics):
            self.queue[("c", next(self._ctl))] = (self._snapshot(topic), None)

    def kill(self, code: int) -> None:
        """Ask the connection to close (dead or misbehaving)."""
        self.close_code = code
        self.dead.set()

    async def run_sender(self) -> None:
        """Send queued frames in order until cancelled or the socket fails."""
        queue, stats = self.queue, self.stats
        while True:
            if not queue:
                self.wake.clear()
                await self.wake.wait()
                continue
            _, (text, created) = queue.popitem(last=False)
            await self.sink.send_text(text)
            stats.sent += 1
            if created is not None:
                stats.lags.append(time.monotonic() - created)
