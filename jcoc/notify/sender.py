"""Sends queued webhook deliveries: signed, retried with exponential backoff.

A failing receiver only delays its own deliveries; nothing else waits for it. Deliveries are
claimed with a lease (and `FOR UPDATE SKIP LOCKED` on PostgreSQL) so several processes
never send the same one at the same time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jcoc.bus import Bus
from jcoc.db.base import utcnow
from jcoc.notify import signing
from jcoc.notify.models import Webhook, WebhookDelivery

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=120)
BATCH = 50


@dataclass(frozen=True)
class _Job:
    id: int
    attempt: int
    event: str
    url: str
    secret: str
    payload: dict


def backoff(base_s: float, attempts: int, cap_s: float = 3600.0) -> timedelta:
    """Wait before retry number `attempts` (1, 2, …): base, 2·base, 4·base … up to an hour."""
    return timedelta(seconds=min(cap_s, base_s * 2 ** max(0, attempts - 1)))


def body_for(job: _Job, sent_at: datetime) -> bytes:
    """The exact bytes sent (and signed): the queued payload plus delivery fields."""
    doc = {
        **job.payload,
        "delivery_id": job.id,
        "attempt": job.attempt,
        "sent_at": sent_at.isoformat(),
    }
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


class WebhookSender:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime],
        backoff_s: float,
        max_attempts: int,
        timeout_s: float,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.backoff_s = backoff_s
        self.max_attempts = max_attempts
        self.timeout_s = timeout_s
        self.sent = 0
        self.failed = 0

    async def _claim(self, now: datetime) -> list[_Job]:
        async with self.sessions() as db_session:
            rows = (
                await db_session.execute(
                    select(WebhookDelivery, Webhook)
                    .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
                    .where(
                        WebhookDelivery.delivered_at.is_(None),
                        WebhookDelivery.failed_at.is_(None),
                        WebhookDelivery.next_attempt_at <= now,
                        Webhook.active.is_(True),
                    )
                    .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
                    .limit(BATCH)
                    .with_for_update(skip_locked=True, of=WebhookDelivery)
                )
            ).all()
            jobs = []
            for delivery, hook in rows:
                delivery.next_attempt_at = now + LEASE
                delivery.attempts += 1
                jobs.append(
                    _Job(
                        delivery.id,
                        delivery.attempts,
                        delivery.event,
                        hook.url,
                        hook.secret,
                        delivery.payload,
                    )
                )
            await db_session.commit()
            return jobs

    async def run_once(self) -> int:
        """Send every delivery due now; returns how many were attempted."""
        jobs = await self._claim(self.clock())
        if jobs:
            async with httpx.AsyncClient(timeout=self.timeout_s) as client:
                await asyncio.gather(*(self._send(client, job) for job in jobs))
        return len(jobs)

    async def _send(self, client: httpx.AsyncClient, job: _Job) -> None:
        sent_at = self.clock()
        body = body_for(job, sent_at)
        headers = {
            "Content-Type": "application/json",
            signing.SIGNATURE_HEADER: signing.sign(job.secret, body),
            signing.TIMESTAMP_HEADER: str(int(sent_at.timestamp())),
            signing.EVENT_HEADER: job.event,
            signing.DELIVERY_HEADER: str(job.id),
            "User-Agent": "JCOC-Webhook/1",
        }
        error = ""
        try:
            response = await client.post(job.url, content=body, headers=headers)
            if not response.is_success:
                error = f"HTTP {response.status_code}: {response.text[:200]}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        await self._finish(job, error)

    async def _finish(self, job: _Job, error: str) -> None:
        now = self.clock()
        async with self.sessions() as db_session:
            delivery = await db_session.get(WebhookDelivery, job.id)
            if delivery is None:
                return
            if not error:
                delivery.delivered_at = now
                delivery.last_error = ""
                self.sent += 1
            else:
                delivery.last_error = error
                if job.attempt >= self.max_attempts:
                    delivery.failed_at = now
                    self.failed += 1
                    log.warning("webhook delivery %s gave up: %s", job.id, error)
                else:
                    delivery.next_attempt_at = now + backoff(self.backoff_s, job.attempt)
                    log.info("webhook delivery %s failed (retrying): %s", job.id, error)
            await db_session.commit()

    async def run(self, bus: Bus, poll_s: float) -> None:
        """Send due deliveries every `poll_s`, and at once after an incident event."""
        async with bus.subscribe("incident", maxsize=100) as sub:
            while True:
                try:
                    await self.run_once()
                except Exception:
                    log.warning("webhook sender pass failed; retrying", exc_info=True)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(sub.get(), poll_s)


@contextlib.asynccontextmanager
async def webhook_sender(app: FastAPI) -> AsyncIterator[None]:
    """Component: the background webhook sender (`app.state.webhook_sender`)."""
    settings = app.state.settings
    sender = WebhookSender(
        sessions=app.state.sessions,
        clock=lambda: getattr(app.state, "clock", utcnow)(),
        backoff_s=settings.webhook_backoff_seconds,
        max_attempts=settings.webhook_max_attempts,
        timeout_s=settings.webhook_timeout_seconds,
    )
    app.state.webhook_sender = sender
    task = asyncio.create_task(
        sender.run(app.state.bus, settings.webhook_poll_seconds), name="webhook-sender"
    )
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
