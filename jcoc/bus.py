"""The bus: every committed fact is published here; the hub (and others) subscribe.

Backend by URL, like encode/broadcaster: in-process (`memory://`, the default) or Redis
pub/sub (`redis://…`) so several processes share one live picture. Subscriber queues are
bounded; when a subscriber falls behind, the oldest message is dropped and counted.

    async with bus.subscribe("status") as sub:
        async for event in sub:
            ...

Channels used by JCOC: `status`, `kpi`, `camera`, `incident`. Messages are JSON objects.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

CHANNEL_PREFIX = "jcoc:"


@dataclass(frozen=True)
class Event:
    channel: str
    message: dict[str, Any]


@dataclass
class BusStats:
    published: int = 0
    delivered: int = 0
    dropped: int = 0
    errors: int = 0


class Subscription:
    """A bounded queue of events for one subscriber; drops the oldest when full."""

    def __init__(self, channels: frozenset[str], maxsize: int, stats: BusStats) -> None:
        self.channels = channels
        self.queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=maxsize)
        self.dropped = 0
        self._stats = stats

    def put(self, event: Event) -> None:
        if self.queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
            self.dropped += 1
            self._stats.dropped += 1
        self.queue.put_nowait(event)
        self._stats.delivered += 1

    async def get(self) -> Event:
        return await self.queue.get()

    def __aiter__(self) -> AsyncIterator[Event]:
        return self

    async def __anext__(self) -> Event:
        return await self.queue.get()


@dataclass
class Bus:
    """Base class and in-process backend."""

    stats: BusStats = field(default_factory=BusStats)
    connected: bool = True
    # Times the backend was (re)connected: a consumer that sees it change may have missed
    # messages in between, even if it never saw `connected` go false.
    connections: int = 1

    def __post_init__(self) -> None:
        self._subs: set[Subscription] = set()

    async def start(self) -> None:
        """Connect to the backend (no-op in process)."""

    async def stop(self) -> None:
        """Disconnect from the backend."""

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        """Publish a JSON-serialisable message to a channel."""
        self.stats.published += 1
        self._deliver(Event(channel, message))

    async def publish_many(self, channel: str, messages: list[dict[str, Any]]) -> None:
        """Publish several messages to one channel, in order (one call for a whole batch)."""
        self.stats.published += len(messages)
        events = [Event(channel, m) for m in messages]
        for sub in list(self._subs):
            if channel in sub.channels:
                for event in events:
                    sub.put(event)

    def _deliver(self, event: Event) -> None:
        for sub in list(self._subs):
            if event.channel in sub.channels:
                sub.put(event)

    @contextlib.asynccontextmanager
    async def subscribe(self, *channels: str, maxsize: int = 10_000) -> AsyncIterator[Subscription]:
        """Subscribe to channels for the duration of the `async with` block."""
        sub = Subscription(frozenset(channels), maxsize, self.stats)
        self._subs.add(sub)
        try:
            yield sub
        finally:
            self._subs.discard(sub)


class RedisBus(Bus):
    """Redis pub/sub: one connection per process, fanned out to local subscribers.

    The listener reconnects by itself (backoff up to 10 s). While it is disconnected,
    publishing fails fast (counted in `errors`): the fact is committed already and whoever
    shows live state reloads from the database when the bus is back.
    """

    FIRST_CONNECT_S = 2.0
    RETRY_MAX_S = 5.0

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self.connected = False
        self.connections = 0
        self._redis: Any = None
        self._task: asyncio.Task[None] | None = None
        self._first_attempt = asyncio.Event()

    async def start(self) -> None:
        """Start the listener and wait (briefly) for its first connection attempt."""
        import redis.asyncio as aioredis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        # One immediate retry (a pooled connection may be stale after a Redis restart),
        # then fail: the listener's own loop does the waiting, not every publish.
        self._redis = aioredis.from_url(
            self.url, socket_connect_timeout=5, socket_keepalive=True, retry=Retry(NoBackoff(), 1)
        )
        self._task = asyncio.create_task(self._listen(), name="bus-redis-listener")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._first_attempt.wait(), self.FIRST_CONNECT_S)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._redis is not None:
            await self._redis.aclose()
        self.connected = False

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        self.stats.published += 1
        if not self.connected:
            self.stats.errors += 1
            log.debug("bus: Redis disconnected; %s message not published", channel)
            return
        try:
            await self._redis.publish(CHANNEL_PREFIX + channel, json.dumps(message, default=str))
        except Exception:
            # The fact is committed already; the live view will catch up from the database.
            self.stats.errors += 1
            log.warning("bus: publish to Redis failed; live views may lag", exc_info=True)

    async def publish_many(self, channel: str, messages: list[dict[str, Any]]) -> None:
        """Publish several messages in order in one round trip (a Redis pipeline)."""
        self.stats.published += len(messages)
        if not messages:
            return
        if not self.connected:
            self.stats.errors += len(messages)
            log.debug("bus: Redis disconnected; %s messages not published", channel)
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for message in messages:
                    pipe.publish(CHANNEL_PREFIX + channel, json.dumps(message, default=str))
                await pipe.execute()
        except Exception:
            self.stats.errors += len(messages)
            log.warning("bus: publish to Redis failed; live views may lag", exc_info=True)

    async def _listen(self) -> None:
        delay = 0.2
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.psubscribe(CHANNEL_PREFIX + "*")
                # psubscribe only sends the command: wait for Redis to confirm it, so that
                # `connected` means "messages published from now on reach us".
                while await pubsub.get_message(timeout=1.0) is None:
                    pass
                self.connected = True
                self.connections += 1
                self._first_attempt.set()
                if self.connections > 1:
                    log.info("bus: Redis connection restored")
                delay = 0.2
                async for raw in pubsub.listen():
                    if raw.get("type") != "pmessage":
                        continue
                    channel = raw["channel"].decode().removeprefix(CHANNEL_PREFIX)
                    self._deliver(Event(channel, json.loads(raw["data"])))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self.connected:
                    log.warning("bus: Redis connection lost (%s); reconnecting", exc)
                self.connected = False
                self.stats.errors += 1
                self._first_attempt.set()
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.RETRY_MAX_S)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()


def create_bus(redis_url: str | None) -> Bus:
    """The bus for a URL: Redis when given, in-process otherwise."""
    if redis_url and not redis_url.startswith("memory://"):
        return RedisBus(redis_url)
    return Bus()
