"""One check of one target: HTTP(S) (expected status, optional keyword) or TCP connect."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    latency_ms: float | None
    message: str


async def check_http(
    client: httpx.AsyncClient, url: str, *, timeout_s: float, expect_status: int, keyword: str
) -> CheckResult:
    """GET `url`: ok when the status is `expect_status` and the body contains `keyword`."""
    start = time.perf_counter()
    try:
        response = await client.get(url, timeout=timeout_s)
    except httpx.TimeoutException:
        return CheckResult(False, None, f"no answer within {timeout_s:g} s")
    except httpx.HTTPError as exc:
        return CheckResult(False, None, f"{type(exc).__name__}: {exc}"[:300])
    latency = (time.perf_counter() - start) * 1000
    if response.status_code != expect_status:
        return CheckResult(False, latency, f"HTTP {response.status_code}, expected {expect_status}")
    if keyword and keyword not in response.text:
        return CheckResult(False, latency, f"keyword {keyword!r} not found in the page")
    return CheckResult(True, latency, f"HTTP {response.status_code}")


async def check_tcp(target: str, *, timeout_s: float) -> CheckResult:
    """Open a TCP connection to `host:port`."""
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        return CheckResult(False, None, f"target {target!r} is not host:port")
    start = time.perf_counter()
    try:
        _reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host.strip("[]"), int(port)), timeout_s
        )
    except TimeoutError:
        return CheckResult(False, None, f"no connection within {timeout_s:g} s")
    except OSError as exc:
        return CheckResult(False, None, f"connection failed: {exc.strerror or exc}"[:300])
    latency = (time.perf_counter() - start) * 1000
    writer.close()
    try:
        await writer.wait_closed()
    except OSError:
        pass
    return CheckResult(True, latency, "TCP connect ok")
