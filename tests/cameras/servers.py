"""Real camera servers for tests: rtsp-server-perl fed by ffmpeg, and an HTTP MJPEG server."""

from __future__ import annotations

import contextlib
import ctypes
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np

from tests.services import free_port, wait_port

RTSP_SERVER = shutil.which("rtsp-server-perl")
SERVER_SCRIPT = Path(__file__).with_name("rtsp_server.pl")
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def _die_with_parent() -> None:
    """Children get SIGTERM when the test process dies, so no server outlives a crash."""
    if _libc is not None:
        _libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _free_udp_base() -> int:
    """An even port p with p..p+40 free-looking (the server hands out RTP ports from it)."""
    for _ in range(50):
        base = free_port() & ~1
        if base + 40 < 65535:
            with (
                contextlib.suppress(OSError),
                socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s,
            ):
                s.bind(("127.0.0.1", base))
                return base
    raise RuntimeError("no free UDP port range")


class RtspServer:
    """A private rtsp-server-perl on free ports; `publish(clip)` feeds a mount with ffmpeg."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.client_port = free_port()
        self.source_port = free_port()
        self._proc: subprocess.Popen[bytes] | None = None
        self._publishers: dict[str, subprocess.Popen[bytes]] = {}

    def url(self, mount: str, credentials: str = "") -> str:
        auth = f"{credentials}@" if credentials else ""
        return f"rtsp://{auth}127.0.0.1:{self.client_port}/{mount}"

    def start(self) -> RtspServer:
        assert RTSP_SERVER, "rtsp-server-perl is not installed"
        log = (self.workdir / "rtsp-server.log").open("wb")
        self._proc = subprocess.Popen(
            [
                "perl",
                str(SERVER_SCRIPT),
                str(self.client_port),
                str(self.source_port),
                str(_free_udp_base()),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.workdir,
            preexec_fn=_die_with_parent,
        )
        wait_port(self.client_port, 20)
        wait_port(self.source_port, 20)
        return self

    def publish(self, mount: str, clip: Path) -> None:
        """Start streaming `clip` in a loop to `mount` (ffmpeg -re … -f rtsp)."""
        self.unpublish(mount)
        self._publishers[mount] = subprocess.Popen(
            [
                "ffmpeg",
                "-v",
                "error",
                "-re",
                "-stream_loop",
                "-1",
                "-i",
                str(clip),
                "-c",
                "copy",
                "-f",
                "rtsp",
                f"rtsp://127.0.0.1:{self.source_port}/{mount}",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )

    def unpublish(self, mount: str) -> None:
        """Kill the publisher of `mount` (the camera goes away)."""
        proc = self._publishers.pop(mount, None)
        if proc is not None:
            # SIGINT: ffmpeg sends TEARDOWN. After a SIGKILL rtsp-server-perl keeps the dead
            # mount and refuses every later publisher on that path until it restarts.
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)

    def stop(self) -> None:
        for mount in list(self._publishers):
            self.unpublish(mount)
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(5)


@contextlib.contextmanager
def rtsp_server(workdir: Path) -> Iterator[RtspServer]:
    server = RtspServer(workdir)
    try:
        yield server.start()
    finally:
        server.stop()


def moving_jpeg(index: int, width: int = 320, height: int = 240) -> bytes:
    """A textured picture with a square that moves with `index`."""
    rng = np.random.default_rng(index % 7)
    img = np.full((height, width, 3), 90, np.uint8)
    img[::8, :] = 200
    img[:, ::8] = 160
    img += rng.integers(0, 6, img.shape, dtype=np.uint8)
    x = (index * 9) % (width - 40)
    img[100:140, x : x + 40] = (30, 200, 240)
    ok, buf = cv2.imencode(".jpg", img)
    assert ok
    return buf.tobytes()


class MjpegServer:
    """A small threaded HTTP camera: `/stream.mjpg` (multipart) and `/snap.jpg`.

    Counts the connections it accepted per path, so tests can tell how many upstream
    connections the bridge opened.
    """

    def __init__(self, fps: float = 10.0) -> None:
        self.fps = fps
        self.port = free_port()
        self.connections: dict[str, int] = {}
        self.auth_header = ""
        self._httpd: ThreadingHTTPServer | None = None
        self._stop = threading.Event()

    def url(self, path: str = "/stream.mjpg", credentials: str = "") -> str:
        auth = f"{credentials}@" if credentials else ""
        return f"http://{auth}127.0.0.1:{self.port}{path}"

    def start(self) -> MjpegServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                owner.connections[self.path] = owner.connections.get(self.path, 0) + 1
                owner.auth_header = self.headers.get("Authorization", "")
                if self.path == "/snap.jpg":
                    body = moving_jpeg(int(time.monotonic() * owner.fps))
                    self.send_response(200)
                    self.send_header("Content-Type", "image/jpeg")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=cam")
                self.end_headers()
                index = 0
                with contextlib.suppress(OSError):
                    while not owner._stop.is_set():
                        body = moving_jpeg(index)
                        index += 1
                        self.wfile.write(
                            b"--cam\r\nContent-Type: image/jpeg\r\nContent-Length: "
                            + str(len(body)).encode()
                            + b"\r\n\r\n"
                            + body
                            + b"\r\n"
                        )
                        self.wfile.flush()
                        time.sleep(1.0 / owner.fps)

        self._stop.clear()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
