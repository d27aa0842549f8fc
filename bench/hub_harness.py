"""Shared harness of the hub benchmarks (not a benchmark itself: no `run()`).

Two servers, each in its own process, fed the same way: a UDP datagram carrying a
`status` bus message with the send time in `message`.
- `hub`: the real app (`create_app`) on SQLite; the datagram is published on its bus, the
  hub turns it into a `services` update for every subscribed websocket.
- `baseline`: a bare `websockets` server that encodes one update frame and calls
  `websockets.broadcast()` to its subscribed connections.
The clients (many connections in one asyncio process) time each frame's arrival.

    python -m bench.hub_harness hub|baseline <udp port> <ws port>    # one server
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets

MARK = '"message":"T'


def _raise_fd_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def status_message(sent: float) -> dict[str, Any]:
    from jcoc.db.base import utcnow

    return {
        "service": "atcs",
        "agency": "dishub",
        "status": "up",
        "time": utcnow().isoformat(),
        "received_at": utcnow().isoformat(),
        "message": f"T{sent:.6f}",
        "latency_ms": None,
        "source": "push",
        "event_id": f"b{sent}",
    }


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, on_message: Any) -> None:
        self.on_message = on_message

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.on_message(json.loads(data))


# -- servers -----------------------------------------------------------------------------


async def _serve_hub(udp_port: int, ws_port: int) -> None:
    import uvicorn

    from jcoc.app import create_app
    from jcoc.auth import service as auth_service
    from jcoc.config import Settings
    from jcoc.db import migrate
    from jcoc.db.base import utcnow
    from jcoc.db.engine import create_engine, session_factory
    from jcoc.opd import service as opd
    from jcoc.status.models import StatusEvent

    tmp = Path(tempfile.mkdtemp(prefix="jcoc-bench-hub-"))
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        env="test",
        secret_key="bench-secret-key-0123456789",
        database_url=f"sqlite+aiosqlite:///{tmp}/bench.db",
        data_dir=tmp,
        hub_heartbeat_s=600,
    )
    await asyncio.to_thread(migrate.upgrade, settings)
    engine = create_engine(settings)
    async with session_factory(engine)() as s:
        dishub = await opd.create_agency(db_session=s, code="dishub", name="Dinas Perhubungan")
        atcs = await opd.create_service(
            db_session=s, agency=dishub, code="atcs", name="ATCS", expected_interval_s=86400
        )
        # In production every status on the bus was committed first (docs/bus-events.md),
        # so the processes that follow the bus (the incident engine) know the service's
        # last report. Our datagrams skip the database: one committed report up front keeps
        # that true for a healthy service, instead of a lookup per message that production
        # never makes.
        now = utcnow()
        s.add(
            StatusEvent(
                time=now, service_id=atcs.id, event_id="bench-0", status="up", received_at=now
            )
        )
        kiosk = await auth_service.create_kiosk_token(db_session=s, name="bench")
        await s.commit()
    await engine.dispose()
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=ws_port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    bus = app.state.bus
    loop = asyncio.get_running_loop()
    await loop.create_datagram_endpoint(
        lambda: _Datagrams(lambda m: loop.create_task(bus.publish("status", m))),
        local_addr=("127.0.0.1", udp_port),
    )
    print("READY", kiosk.token, flush=True)
    await task


async def _serve_baseline(udp_port: int, ws_port: int) -> None:
    subscribed: set[Any] = set()
    seq = 0

    async def handler(ws: Any) -> None:
        await ws.send(json.dumps({"type": "hello", "seq": seq}))
        try:
            async for raw in ws:
                if json.loads(raw).get("op") == "subscribe":
                    await ws.send(json.dumps({"type": "snapshot", "topic": "services", "data": {}}))
                    subscribed.add(ws)
        finally:
            subscribed.discard(ws)

    def on_message(m: dict[str, Any]) -> None:
        nonlocal seq
        seq += 1
        frame = {"type": "update", "topic": "services", "seq": seq, "server_time": m["time"]}
        frame.update(key=m["service"], data=m)
        websockets.broadcast(subscribed, json.dumps(frame, separators=(",", ":")))

    loop = asyncio.get_running_loop()
    await loop.create_datagram_endpoint(
        lambda: _Datagrams(on_message), local_addr=("127.0.0.1", udp_port)
    )
    async with websockets.serve(handler, "127.0.0.1", ws_port):
        print("READY -", flush=True)
        await asyncio.Future()


# -- the bench side ------------------------------------------------------------------------


@dataclass
class Server:
    kind: str
    pid: int
    udp_port: int
    ws_url: str

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_bytes(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")


@contextmanager
def server(kind: str) -> Iterator[Server]:
    """Start the `hub` or `baseline` server process; yields once it listens."""
    from tests.services import free_port

    udp_port, ws_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JCOC_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.hub_harness", kind, str(udp_port), str(ws_port)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[1],
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().split()
        if not line or line[0] != "READY":
            raise RuntimeError(f"{kind} server did not start")
        token = line[1]
        query = f"?token={token}" if token != "-" else ""
        yield Server(kind, proc.pid, udp_port, f"ws://127.0.0.1:{ws_port}/ws{query}")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class Clients:
    conns: list[Any] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    received: int = 0
    readers: list[asyncio.Task[None]] = field(default_factory=list)

    async def open(self, url: str, n: int, topics: list[str]) -> None:
        _raise_fd_limit()
        for start in range(0, n, 50):
            batch = await asyncio.gather(
                *(_subscribed(url, topics) for _ in range(min(50, n - start)))
            )
            self.conns.extend(batch)

    def start_reading(self) -> None:
        self.readers = [asyncio.create_task(self._read(ws)) for ws in self.conns]

    async def _read(self, ws: Any) -> None:
        async for text in ws:
            i = text.find(MARK)
            if i >= 0:
                now = time.time()
                start = i + len(MARK)
                self.latencies.append(now - float(text[start : text.index('"', start)]))
                self.received += 1

    async def close(self) -> None:
        for task in self.readers:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws in self.conns), return_exceptions=True)


async def _subscribed(url: str, topics: list[str]) -> Any:
    ws = await websockets.connect(url, max_queue=None, ping_interval=None, close_timeout=1)
    await ws.send(json.dumps({"op": "subscribe", "topics": topics}))
    while json.loads(await ws.recv()).get("type") != "snapshot":
        pass
    return ws


async def publish(srv: Server, count: int, rate: float) -> None:
    """Send `count` status messages at `rate` per second to the server's UDP port."""
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        asyncio.DatagramProtocol, remote_addr=("127.0.0.1", srv.udp_port)
    )
    try:
        start = time.monotonic()
        for i in range(count):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            transport.sendto(json.dumps(status_message(time.time())).encode())
    finally:
        transport.close()


async def wait_received(clients: Clients, expected: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while clients.received < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


if __name__ == "__main__":
    _raise_fd_limit()
    mode, udp, ws = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    serve = {"hub": _serve_hub, "baseline": _serve_baseline}[mode]
    asyncio.run(serve(udp, ws))
