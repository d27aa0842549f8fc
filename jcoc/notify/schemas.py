"""Webhook admin request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

EventName = Literal[
    "created",
    "acknowledged",
    "assigned",
    "in_progress",
    "commented",
    "resolved",
    "closed",
    "reopened",
    "escalated",
    "reminder",
    "updated",
]


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    url: AnyHttpUrl = Field(description="Receiver URL (http or https).")
    events: list[EventName] = Field(default_factory=list, description="Empty means all.")
    secret: str | None = Field(
        default=None, min_length=16, max_length=200, description="Generated when absent."
    )


class WebhookPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    url: AnyHttpUrl | None = None
    events: list[EventName] | None = None
    active: bool | None = None


class WebhookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    url: str
    events: list[str]
    active: bool
    created_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="Signing secret, shown only now.")


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    event: str
    attempts: int
    next_attempt_at: datetime
    delivered_at: datetime | None
    failed_at: datetime | None
    last_error: str
    created_at: datetime
