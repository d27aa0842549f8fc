"""Webhooks: registering receivers and queueing deliveries (the outbox).

Deliveries are added in the same transaction as the incident change they describe, so a
committed change always has its notifications queued and a rolled-back one has none.
`jcoc.notify.sender` sends them afterwards.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jcoc.db.base import utcnow
from jcoc.notify.models import Webhook, WebhookDelivery


async def enqueue(
    *, db_session: AsyncSession, event: str, payload: dict[str, Any], now: datetime | None = None
) -> list[WebhookDelivery]:
    """Queue `payload` for every active webhook that wants `event`."""
    hooks = (await db_session.scalars(select(Webhook).where(Webhook.active.is_(True)))).all()
    made = []
    for hook in hooks:
        if hook.events and event not in hook.events:
            continue
        delivery = WebhookDelivery(
            webhook_id=hook.id,
            event=event,
            payload=payload,
            next_attempt_at=now or utcnow(),
            created_at=now or utcnow(),
        )
        db_session.add(delivery)
        made.append(delivery)
    if made:
        await db_session.flush()
    return made


def new_secret() -> str:
    """A random signing secret for a webhook."""
    return "whsec_" + secrets.token_urlsafe(32)


async def create_webhook(
    *, db_session: AsyncSession, name: str, url: str, events: list[str], secret: str | None
) -> Webhook:
    """Register a receiver; its secret is generated when not given."""
    hook = Webhook(name=name, url=url, events=events, secret=secret or new_secret(), active=True)
    db_session.add(hook)
    await db_session.flush()
    return hook


async def list_webhooks(*, db_session: AsyncSession) -> Sequence[Webhook]:
    """All webhooks by id."""
    return (await db_session.scalars(select(Webhook).order_by(Webhook.id))).all()


async def list_deliveries(
    *, db_session: AsyncSession, webhook_id: int, limit: int = 100
) -> Sequence[WebhookDelivery]:
    """A webhook's deliveries, newest first."""
    return (
        await db_session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == webhook_id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    ).all()
