"""Serving one websocket: a receive loop for client operations beside the client's sender."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Coroutine
from typing import Any

from fastapi import WebSocket

from jcoc.db.base import utcnow
from jcoc.hub.client import Client
from jcoc.hub.hub import Hub, encode
from jcoc.hub.state import TOPICS

log = logging.getLogger(__name__)

CLOSE_TIMEOUT_S = 3.0


async def serve(hub: Hub, websocket: WebSocket) -> None:
    """Run an accepted websocket until it closes, dies (no heartbeat) or the hub stops."""
    client = hub.connect(_Frames(websocket))
    tasks = [
        asyncio.create_task(client.run_sender(), name="ws-send"),
        asyncio.create_task(_receive(hub, client, websocket), name="ws-receive"),
        asyncio.create_task(client.dead.wait(), name="ws-dead"),
    ]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        hub.disconnect(client)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    if tasks[1] not in done:  # the peer did not close: we do (bounded, it may be stuck)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(websocket.close(client.close_code), CLOSE_TIMEOUT_S)


class _Frames:
    """Text frames straight to the websocket's ASGI `send` (a coroutine less than send_text)."""

    __slots__ = ("_send",)

    def __init__(self, websocket: WebSocket) -> None:
        self._send = websocket.send

    def send_text(self, data: str) -> Coroutine[Any, Any, None]:
        return self._send({"type": "websocket.send", "text": data})


async def _receive(hub: Hub, client: Client, websocket: WebSocket) -> None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        client.last_seen = time.monotonic()
        raw = message.get("text") or message.get("bytes") or b""
        try:
            frame = json.loads(raw)
            if not isinstance(frame, dict):
                raise ValueError("a frame must be a JSON object")
            _handle(hub, client, frame)
        except (ValueError, TypeError) as exc:
            client.control(encode({"type": "error", "message": str(exc)[:300]}))


def _topics(frame: dict[str, Any]) -> list[str]:
    topics = frame.get("topics")
    if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
        raise ValueError("'topics' must be a list of topic names")
    unknown = [t for t in topics if t not in TOPICS]
    if unknown:
        raise ValueError(f"unknown topic(s) {unknown}; known: {list(TOPICS)}")
    return list(dict.fromkeys(topics))


def _handle(hub: Hub, client: Client, frame: dict[str, Any]) -> None:
    op = frame.get("op")
    if op == "subscribe":
        hub.subscribe(client, _topics(frame), frame.get("since"))
    elif op == "unsubscribe":
        for topic in _topics(frame):
            client.topics.discard(topic)
            client.drop_topic(topic)
    elif op == "ping":
        reply = {"type": "pong", "t": frame.get("t"), "server_time": utcnow().isoformat()}
        client.control(encode(reply))
    elif op == "pong":
        pass  # last_seen is already updated
    else:
        raise ValueError(f"unknown op {op!r}; expected subscribe, unsubscribe, ping or pong")
