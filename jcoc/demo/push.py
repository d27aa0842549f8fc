"""HTTP client the simulated agencies push with, exactly as a real agency system would.

A refused or failed push never stops the simulation: a missing endpoint (404), a database
that is down (503), a rate limit (429) or a connection error is logged once per endpoint
and kind, and the batch is kept to be sent again on the next tick. A batch the server
rejects as invalid (other 4xx) is logged once and dropped, since resending cannot help.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from typing import Any

import httpx

log = logging.getLogger(__name__)

RETRYABLE = {404, 405, 408, 425, 429}
MAX_PENDING = 2000  # per endpoint and agency; beyond it the oldest items are dropped


@dataclass
class PushStats:
    requests: int = 0
    accepted: int = 0
    failed: int = 0
    rejected: int = 0
    dropped: int = 0


class PushClient:
    """Posts JSON batches with an agency's API key; remembers what failed to retry it."""

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        # Idle connections are dropped before uvicorn's 5 s keep-alive closes them under us.
        self.http = httpx.AsyncClient(
            base_url=base_url, timeout=timeout, limits=httpx.Limits(keepalive_expiry=2.0)
        )
        self._warned: set[tuple[str, str]] = set()
        self._failing: set[str] = set()
        self._pending: dict[tuple[str, str], deque[dict[str, Any]]] = {}
        self.stats = PushStats()
        self.last_status: int | None = None  # HTTP status of the latest post (None: no answer)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def push(
        self, path: str, key: str, field: str, items: list[dict[str, Any]], *, owner: str
    ) -> bool:
        """Send `items` (plus any left over from failed pushes) as `{field: [...]}`."""
        queue = self._pending.setdefault((owner, path), deque(maxlen=MAX_PENDING))
        before = len(queue) + len(items)
        queue.extend(items)
        self.stats.dropped += max(0, before - len(queue))
        if not queue:
            return True
        batch = list(queue)
        if await self.post(path, key, {field: batch}):
            queue.clear()
            return True
        return False

    async def post(self, path: str, key: str, body: dict[str, Any], *, label: str = "") -> bool:
        """One POST; True when the server took it (or refused it for good).

        Failures are logged once per `label` (default: the path) and kind of failure.
        """
        label = label or path
        self.stats.requests += 1
        self.last_status = None
        try:
            response = await self.http.post(
                path, json=body, headers={"Authorization": f"Bearer {key}"}
            )
        except httpx.HTTPError as exc:
            self.stats.failed += 1
            self._warn_once(label, type(exc).__name__, "cannot reach the server (%s); retrying")
            return False
        self.last_status = response.status_code
        if response.is_success:
            self.stats.accepted += 1
            if label in self._failing:
                self._failing.discard(label)
                self._warned = {w for w in self._warned if w[0] != label}
                log.info("demo push to %s works again", label)
            return True
        code = response.status_code
        if code in RETRYABLE or code >= 500:
            self.stats.failed += 1
            self._warn_once(label, str(code), "answered %s; will retry (endpoint missing or busy)")
            return False
        self.stats.rejected += 1
        self._warn_once(label, str(code), "refused the batch (%s): %s", response.text[:300])
        return True

    def _warn_once(self, path: str, kind: str, message: str, *args: object) -> None:
        self._failing.add(path)
        if (path, kind) in self._warned:
            return
        self._warned.add((path, kind))
        log.warning("demo push to %s " + message, path, kind, *args)

    async def login(self, username: str, password: str) -> str:
        """A session token for a demo user, or "" when the server refuses or is away."""
        try:
            response = await self.http.post(
                "/api/v1/auth/login", json={"username": username, "password": password}
            )
        except httpx.HTTPError:
            return ""
        if response.status_code != 200:
            return ""
        return str(response.json()["token"])
