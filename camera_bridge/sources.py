"""Upstream readers: RTSP/file through PyAV, MJPEG and JPEG snapshots through httpx.

A source is opened, yields frames from `frames()` until it fails or ends, and is closed;
the stream (`camera_bridge.stream`) does the reconnecting. Each counts the video packets
it receives in `packets` (the camera's real frame rate, even when it decodes only keyframes).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit, urlunsplit

import av
import httpx

from camera_bridge.frame import Frame
from camera_bridge.urls import redact_url, scheme_of

MAX_JPEG_BYTES = 8 * 1024 * 1024


class _RedactUrls(logging.Filter):
    """httpx logs request URLs at INFO: redact camera credentials from them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_url(str(a)) if isinstance(a, httpx.URL) else a for a in record.args
            )
        return True


logging.getLogger("httpx").addFilter(_RedactUrls())


def _http_client(url: str, timeout: float) -> tuple[httpx.Client, str]:
    """A client with the URL's user:password as Basic auth, and the URL without them."""
    parts = urlsplit(url)
    auth = None
    if parts.username is not None:
        auth = httpx.BasicAuth(unquote(parts.username), unquote(parts.password or ""))
        parts = parts._replace(netloc=parts.netloc.rsplit("@", 1)[1])
    client = httpx.Client(timeout=timeout, follow_redirects=True, auth=auth)
    return client, urlunsplit(parts)


class Source(Protocol):
    packets: int
    keyframes_only: bool

    def open(self) -> None: ...
    def frames(self) -> Iterator[Frame]: ...
    def close(self) -> None: ...


class AvSource:
    """RTSP (UDP or TCP) and video files (looped, paced at their own rate) through PyAV."""

    def __init__(
        self, url: str, *, transport: str = "tcp", timeout: float = 8.0, loop: bool = True
    ) -> None:
        self.url = url
        self.transport = transport
        self.timeout = timeout
        self.is_file = scheme_of(url) == "file"
        self.loop = loop and self.is_file
        self.packets = 0
        self.decode_errors = 0
        self.keyframes_only = False
        self._container: Any = None

    def _target(self) -> str:
        if self.url.startswith("file://"):
            return unquote(urlsplit(self.url).path)
        return self.url

    def open(self) -> None:
        options: dict[str, str] = {}
        if scheme_of(self.url) in ("rtsp", "rtsps"):
            options = {
                "rtsp_transport": self.transport,
                "timeout": str(int(self.timeout * 1_000_000)),
                "fflags": "nobuffer",
                "analyzeduration": "1000000",  # codec parameters come in the SDP: probe briefly
            }
        elif self.is_file and not Path(self._target()).is_file():
            raise FileNotFoundError(f"no video file at {self._target()}")
        self._container = av.open(
            self._target(), options=options, timeout=(self.timeout, self.timeout)
        )
        if not self._container.streams.video:
            raise ValueError("no video stream")

    def frames(self) -> Iterator[Frame]:
        while True:
            yield from self._one_pass()
            if not self.loop:
                raise EOFError("stream ended")
            self.close()
            self.open()

    def _one_pass(self) -> Iterator[Frame]:
        container = self._container
        stream = container.streams.video[0]
        ctx = stream.codec_context
        mode = ""
        base = stream.time_base or 0
        start_wall: float | None = None
        start_pts: float | None = None
        consecutive_errors = 0
        for packet in container.demux(stream):
            if packet.size == 0:
                continue
            self.packets += 1
            wanted = "NONKEY" if self.keyframes_only else "DEFAULT"
            if wanted != mode:
                ctx.skip_frame = wanted
                mode = wanted
            if self.is_file:
                ts = packet.pts if packet.pts is not None else packet.dts
                if ts is not None and base:
                    t = float(ts * base)
                    if start_wall is None or start_pts is None:
                        start_wall, start_pts = time.monotonic(), t
                    delay = start_wall + (t - start_pts) - time.monotonic()
                    if delay > 0:
                        time.sleep(min(delay, 1.0))
            try:
                decoded = packet.decode()
            except (av.error.FFmpegError, ValueError):
                self.decode_errors += 1
                consecutive_errors += 1
                if consecutive_errors > 50:
                    raise
                continue
            consecutive_errors = 0
            for frame in decoded:
                if frame.is_corrupt:  # decoded with concealment: the stream is damaged
                    self.decode_errors += 1
                yield Frame(av_frame=frame)

    def close(self) -> None:
        if self._container is not None:
            try:
                self._container.close()
            finally:
                self._container = None


class MjpegSource:
    """HTTP multipart MJPEG (`multipart/x-mixed-replace`); JPEGs are passed on undecoded."""

    def __init__(self, url: str, *, timeout: float = 8.0) -> None:
        self.url = url
        self.timeout = timeout
        self.packets = 0
        self.decode_errors = 0
        self.keyframes_only = False
        self._client: httpx.Client | None = None
        self._response: httpx.Response | None = None

    def open(self) -> None:
        self._client, url = _http_client(self.url, self.timeout)
        request = self._client.build_request("GET", url)
        self._response = self._client.send(request, stream=True)
        if self._response.status_code != 200:
            raise ConnectionError(f"MJPEG camera answered HTTP {self._response.status_code}")

    def frames(self) -> Iterator[Frame]:
        assert self._response is not None
        buf = bytearray()
        for chunk in self._response.iter_bytes():
            buf += chunk
            while True:
                start = buf.find(b"\xff\xd8")
                if start < 0:
                    del buf[:-1]
                    break
                end = buf.find(b"\xff\xd9", start + 2)
                if end < 0:
                    if len(buf) - start > MAX_JPEG_BYTES:
                        raise ValueError("MJPEG part larger than 8 MiB")
                    if start:
                        del buf[:start]
                    break
                jpeg = bytes(buf[start : end + 2])
                del buf[: end + 2]
                self.packets += 1
                yield Frame(jpeg=jpeg)
        raise EOFError("MJPEG stream ended")

    def close(self) -> None:
        if self._response is not None:
            self._response.close()
            self._response = None
        if self._client is not None:
            self._client.close()
            self._client = None


class JpegPollSource:
    """An HTTP JPEG snapshot URL polled at the camera's expected rate."""

    def __init__(self, url: str, *, fps: float = 1.0, timeout: float = 8.0) -> None:
        self.url = url
        self.interval = 1.0 / max(fps, 0.01)
        self.timeout = timeout
        self.packets = 0
        self.decode_errors = 0
        self.keyframes_only = False
        self._client: httpx.Client | None = None
        self._plain_url = url

    def open(self) -> None:
        self._client, self._plain_url = _http_client(self.url, self.timeout)

    def frames(self) -> Iterator[Frame]:
        assert self._client is not None
        next_at = time.monotonic()
        while True:
            response = self._client.get(self._plain_url)
            if response.status_code != 200:
                raise ConnectionError(f"snapshot URL answered HTTP {response.status_code}")
            if not response.content.startswith(b"\xff\xd8"):
                raise ValueError("snapshot URL did not return a JPEG")
            self.packets += 1
            yield Frame(jpeg=response.content)
            next_at += self.interval
            time.sleep(max(0.0, next_at - time.monotonic()))

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def is_mjpeg_url(url: str) -> bool:
    """HTTP URLs are MJPEG streams unless they look like a snapshot (…jpg, snapshot, snap)."""
    path = urlsplit(url).path.lower()
    return not (path.endswith((".jpg", ".jpeg")) or "snap" in path)


def open_source(url: str, *, transport: str, expected_fps: float, timeout: float) -> Source:
    """The right reader for a camera URL."""
    scheme = scheme_of(url)
    if scheme == "sim":
        from camera_bridge.sim import SimSource

        return SimSource(url, fps=expected_fps)
    if scheme in ("http", "https"):
        if is_mjpeg_url(url):
            return MjpegSource(url, timeout=timeout)
        return JpegPollSource(url, fps=expected_fps, timeout=timeout)
    if scheme in ("rtsp", "rtsps", "file"):
        return AvSource(url, transport=transport, timeout=timeout)
    raise ValueError(f"unsupported camera URL scheme {scheme!r}")
