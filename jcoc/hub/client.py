"""One websocket client: a bounded, coalescing outgoing queue, written without a task per frame.

The hub never awaits a client, so a slow client cannot slow the others. A client that is
keeping up (nothing pending, its sender parked) gets an update written at once, from the
hub's own step, like `websockets.broadcast()`: the send is started by hand and, as it need
not wait (the socket takes it), completes right there — no task wake-up per client per
message. At most one frame per client per loop step goes out that way; further ones in the
same step (a burst) are queued, and the `Outbox` writes them for all such clients in one
callback after the step. A send that has to wait (the peer's socket is full) is handed to
the client's own sender task, which finishes it and then drains the queue itself until
the client has caught up. While updates wait in a queue, a newer update for the same
(topic, key) replaces the pending one; beyond `maxsize` pending entries, everything
pending is dropped and replaced by fresh snapshots of the client's topics.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Coroutine, Generator
from dataclasses import dataclass, field
from typing import Any, Protocol


class TextSink(Protocol):
    def send_text(self, data: str) -> Coroutine[Any, Any, None]: ...


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


class Outbox:
    """Loop steps, and the clients with queued frames to write once the current step is over."""

    def __init__(self, stats: ClientStats) -> None:
        self.stats = stats
        self.step = 0  # bumped after every step in which something was written or queued
        self.ready: dict[Client, None] = {}  # insertion-ordered set
        self._armed = False

    def arm(self) -> None:
        """Make sure `_after_step` runs once the current step is over."""
        if not self._armed:
            self._armed = True
            asyncio.get_running_loop().call_soon(self._after_step)

    def add(self, client: Client) -> None:
        self.ready[client] = None
        self.arm()

    def _after_step(self) -> None:
        self._armed = False
        self.step += 1
        ready, self.ready = self.ready, {}
        oldest: float | None = None
        for client in ready:
            created = client.flush()
            if created is not None and (oldest is None or created < oldest):
                oldest = created
        if oldest is not None:  # one lag sample per flush: its oldest update, at the end
            self.stats.lags.append(time.monotonic() - oldest)


class Client:
    def __init__(
        self,
        sink: TextSink,
        *,
        maxsize: int,
        stats: ClientStats,
        outbox: Outbox,
        snapshot: Callable[[str], str],
    ) -> None:
        self.sink = sink
        self.outbox = outbox
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
        # True only while the sender is parked with nothing pending and nothing in flight.
        self._idle = False
        self._inflight: _Finish | None = None  # a direct send that had to wait
        self._failed: BaseException | None = None  # a direct send failed (socket gone)
        self._step = -1  # the outbox step of this client's last direct send

    def offer(self, update: Update) -> bool:
        """Send or queue (coalescing per topic and key) an update of a topic the client follows.

        True when it was written at once (the caller counts it in `stats.sent` and records
        the lag, once per update rather than per client).
        """
        if update.topic not in self.topics:
            return False
        outbox = self.outbox
        if self._idle and not self.queue and self._step != outbox.step:
            self._step = outbox.step
            outbox.arm()
            return self._send_now(update.text, update.created)
        self._put(("u", update.topic, update.key), update.text, update.created)
        return False

    def flush(self) -> float | None:
        """Write pending frames now while the sender is parked and the socket takes them.

        Returns when the oldest update written was created (None if no update was written).
        """
        queue = self.queue
        oldest: float | None = None
        sent = 0
        while queue and self._idle:
            _, (text, created) = queue.popitem(last=False)
            if oldest is None:
                oldest = created
            if not self._send_now(text, created):
                break
            sent += 1
        self.stats.sent += sent
        return oldest

    def _send_now(self, text: str, created: float | None) -> bool:
        """Write a frame from the caller's step (True); one that must wait goes to the sender."""
        coro = self.sink.send_text(text)
        try:
            waiting = coro.send(None)
        except StopIteration:
            return True
        except Exception as exc:  # the socket is gone: the sender reports it and ends
            self._failed = exc
        else:
            self._inflight = _Finish(coro, waiting, created)
        self._idle = False
        self.wake.set()
        return False

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
        if self._idle:
            self.outbox.add(self)
        else:
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
            if self._failed is not None:
                raise self._failed
            if self._inflight is not None:
                inflight = self._inflight
                await inflight
                self._inflight = None
                stats.sent += 1
                if inflight.created is not None:
                    stats.lags.append(time.monotonic() - inflight.created)
                continue
            if not queue:
                self.wake.clear()
                self._idle = True
                try:
                    await self.wake.wait()
                finally:
                    self._idle = False
                continue
            _, (text, created) = queue.popitem(last=False)
            await self.sink.send_text(text)
            stats.sent += 1
            if created is not None:
                stats.lags.append(time.monotonic() - created)


class _Finish:
    """Awaiting this finishes a coroutine started by hand that is waiting on `waiting`."""

    __slots__ = ("coro", "created", "waiting")

    def __init__(
        self, coro: Coroutine[Any, Any, None], waiting: Any, created: float | None
    ) -> None:
        self.coro = coro
        self.waiting = waiting
        self.created = created

    def __await__(self) -> Generator[Any, None, None]:
        # Pass what the coroutine waits on up to the awaiting task, and the outcome
        # (None, or an exception such as a cancellation) back down, until it returns.
        coro, waiting = self.coro, self.waiting
        while True:
            try:
                yield waiting
            except BaseException as exc:
                try:
                    waiting = coro.throw(exc)
                except StopIteration:
                    return
            else:
                try:
                    waiting = coro.send(None)
                except StopIteration:
                    return
