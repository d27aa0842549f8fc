"""Request and response bodies of the auth routes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class LoginOut(BaseModel):
    token: str = Field(description="Bearer token; also set as the `jcoc_session` cookie.")
    expires_at: datetime
    username: str
    role: str


class MeOut(BaseModel):
    kind: str
    name: str
    role: str
