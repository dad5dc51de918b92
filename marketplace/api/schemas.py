"""Wire models of the REST API that are not shared domain models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from proapp.domain import User

__all__ = ["HealthOut", "LoginIn", "PhotoOut", "RefreshIn", "TokenOut"]


class _In(BaseModel):
    # Request bodies refuse unknown fields: a typo must not pass silently.
    model_config = ConfigDict(extra="forbid")


class LoginIn(_In):
    """``POST /v1/auth/login`` body."""

    email: Annotated[str, Field(min_length=3, max_length=254)]
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class RefreshIn(_In):
    """``POST /v1/auth/refresh`` and ``/v1/auth/logout`` body."""

    refresh_token: Annotated[str, Field(min_length=1, max_length=512)]


class TokenOut(BaseModel):
    """A new session: bearer access token (short-lived) and refresh token (rotating)."""

    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires")
    user: User


class HealthOut(BaseModel):
    """``GET /v1/health``."""

    status: Literal["ok"] = "ok"


class PhotoOut(BaseModel):
    """A photo attached to a job, request or estimate."""

    id: str
    target_kind: str
    target_id: str
    blob_hash: str
    caption: str
    uploaded_by: str
    created_at: str
