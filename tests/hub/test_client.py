"""A client's outgoing path: written at once while it keeps up, queued and coalesced when not.

The websocket is stood in for by a sink that takes frames at once while `open` is set and
makes the send wait otherwise (a full socket): the real sockets are covered in test_ws.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time

import pytest

from jcoc.hub.client import Client, ClientStats, Outbox, Update


class GatedSink:
    def __init__(self) -> None:
        self.frames: list[str] = []
        self.open = asyncio.Event()
        self.open.set()
        self.broken = False

    async def send_text(self, data: str) -> None:
        await self.open.wait()
        if self.broken:
            raise ConnectionResetError("peer gone")
        self.frames.append(data)


def update(seq: int, key: str) -> Update:
    return Update(seq, "services", key, f"u{seq}", time.monotonic())


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def started(maxsize: int = 10) -> tuple[Client, GatedSink, ClientStats, asyncio.Task[None]]:
    stats = ClientStats()
    sink = GatedSink()
    client = Client(
        sink, maxsize=maxsize, stats=stats, outbox=Outbox(stats), snapshot=lambda t: f"snap {t}"
    )
    client.topics.add("services")
    sender = asyncio.create_task(client.run_sender())
    await settle()
    return client, sink, stats, sender


async def stop(sender: asyncio.Task[None]) -> None:
    sender.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await sender


async def test_a_client_that_keeps_up_is_written_at_once_and_in_order() -> None:
    client, sink, stats, sender = await started()
    try:
        assert client.offer(update(1, "a")) is True
        assert sink.frames == ["u1"]  # already written, without waiting for any task
        # A burst in the same step: queued behind, written right after the step.
        assert client.offer(update(2, "b")) is False
        assert client.offer(update(3, "c")) is False
        client.offer(Update(4, "cameras", "x", "u4", time.monotonic()))  # not followed
        await settle()
        assert sink.frames == ["u1", "u2", "u3"]
        assert stats.sent == 2  # the queued ones; the caller counts the one written at once
        assert client.offer(update(5, "a")) is True  # a later step: at once again
        assert sink.frames[-1] == "u5"
    finally:
        await stop(sender)


async def test_a_send_that_must_wait_is_finished_by_the_sender_and_the_rest_coalesces() -> None:
    client, sink, stats, sender = await started()
    try:
        sink.open.clear()  # the peer's socket is full
        assert client.offer(update(1, "a")) is False  # started, waiting
        await settle()
        client.offer(update(2, "b"))
        client.offer(update(3, "a"))
        client.offer(update(4, "b"))  # replaces u2: the client is behind
        await settle()
        assert sink.frames == []
        sink.open.set()
        await settle()
        assert sink.frames == ["u1", "u3", "u4"]
        assert stats.coalesced == 1 and stats.sent == 3
        assert client.offer(update(5, "c")) is True  # caught up: at once again
        assert sink.frames[-1] == "u5"
    finally:
        await stop(sender)


async def test_a_full_queue_behind_a_waiting_send_is_replaced_by_a_snapshot() -> None:
    client, sink, stats, sender = await started(maxsize=2)
    try:
        sink.open.clear()
        client.offer(update(1, "a"))
        await settle()
        for seq, key in enumerate("bcd", start=2):
            client.offer(update(seq, key))
        sink.open.set()
        await settle()
        assert sink.frames == ["u1", "snap services"]
        assert stats.dropped == 3 and stats.resyncs == 1
    finally:
        await stop(sender)


async def test_a_send_that_fails_ends_the_sender() -> None:
    client, sink, _stats, sender = await started()
    sink.broken = True
    client.offer(update(1, "a"))  # fails while written at once: reported by the sender
    with pytest.raises(ConnectionResetError):
        await asyncio.wait_for(sender, 5)

    client, sink, _stats, sender = await started()
    sink.open.clear()
    client.offer(update(1, "a"))
    await settle()
    sink.broken = True
    sink.open.set()  # fails after waiting: raised from the sender's await
    with pytest.raises(ConnectionResetError):
        await asyncio.wait_for(sender, 5)


async def test_cancelling_the_sender_during_a_waiting_send_ends_it() -> None:
    client, sink, _stats, sender = await started()
    sink.open.clear()
    client.offer(update(1, "a"))
    await settle()
    inflight = client._inflight
    assert inflight is not None  # the send started by hand is waiting
    sender.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(sender, 5)
    # The cancellation reached the send itself: it is closed, not left suspended.
    assert inspect.getcoroutinestate(inflight.coro) == inspect.CORO_CLOSED
    sink.open.set()
    await settle()
    assert sink.frames == []
