"""Webhook administration (admins only). Secrets are shown once, at creation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response, status

from jcoc.audit import service as audit
from jcoc.auth.deps import Admin
from jcoc.db.deps import SessionDep
from jcoc.notify import service
from jcoc.notify.models import Webhook
from jcoc.notify.schemas import DeliveryOut, WebhookCreated, WebhookIn, WebhookOut, WebhookPatch

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])


async def _get(db_session: SessionDep, webhook_id: int) -> Webhook:
    hook = await db_session.get(Webhook, webhook_id)
    if hook is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"webhook {webhook_id} not found")
    return hook


@router.get("", response_model=list[WebhookOut], summary="Webhooks")
async def list_webhooks(db_session: SessionDep, _: Admin) -> list[Webhook]:
    return list(await service.list_webhooks(db_session=db_session))


@router.post("", response_model=WebhookCreated, status_code=201, summary="Add a webhook")
async def create_webhook(
    body: WebhookIn, request: Request, db_session: SessionDep, principal: Admin
) -> WebhookCreated:
    hook = await service.create_webhook(
        db_session=db_session,
        name=body.name,
        url=str(body.url),
        events=list(body.events),
        secret=body.secret,
    )
    await audit.record(
        db_session=db_session,
        principal_or_actor=principal,
        action="webhook.create",
        target=f"webhook:{hook.id}",
        request=request,
        detail={"name": hook.name, "url": hook.url, "events": hook.events},
    )
    await db_session.commit()
    return WebhookCreated(**WebhookOut.model_validate(hook).model_dump(), secret=hook.secret)


@router.patch("/{webhook_id}", response_model=WebhookOut, summary="Change a webhook")
async def update_webhook(
    webhook_id: int, body: WebhookPatch, request: Request, db_session: SessionDep, principal: Admin
) -> Webhook:
    hook = await _get(db_session, webhook_id)
    changes = body.model_dump(exclude_unset=True, mode="json")
    for name, value in changes.items():
        if value is not None:
            setattr(hook, name, value)
    await audit.record(
        db_session=db_session,
        principal_or_actor=principal,
        action="webhook.update",
        target=f"webhook:{hook.id}",
        request=request,
        detail=changes,
    )
    await db_session.commit()
    return hook


@router.delete("/{webhook_id}", status_code=204, summary="Delete a webhook")
async def delete_webhook(
    webhook_id: int, request: Request, db_session: SessionDep, principal: Admin
) -> Response:
    hook = await _get(db_session, webhook_id)
    await db_session.delete(hook)
    await audit.record(
        db_session=db_session,
        principal_or_actor=principal,
        action="webhook.delete",
        target=f"webhook:{webhook_id}",
        request=request,
        detail={"name": hook.name},
    )
    await db_session.commit()
    return Response(status_code=204)


@router.get(
    "/{webhook_id}/deliveries", response_model=list[DeliveryOut], summary="Delivery attempts"
)
async def deliveries(
    webhook_id: int,
    db_session: SessionDep,
    _: Admin,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryOut]:
    await _get(db_session, webhook_id)
    rows = await service.list_deliveries(db_session=db_session, webhook_id=webhook_id, limit=limit)
    return [DeliveryOut.model_validate(r) for r in rows]
