"""The one error tree of the API client.

Every failure of a call to the marketplace reaches callers as an `ApiError` subclass;
no httpx exception ever escapes the client (the low-level cause is kept as
``__cause__`` for logs and debugging). Callers choose behaviour by class (sign in
again, retry later, show "not found") and show `ApiError.message`, which is written in
plain words for the person using the app: what happened and what to do next.

    ApiError                      anything that went wrong talking to the marketplace
    ├── ServerUrlError            the server address is malformed or not allowed
    │   └── InsecureServerUrlError   plain http:// to a host that is not this machine
    ├── NetworkError              unreachable, connection lost, timed out
    ├── AuthenticationError       401: not signed in, session expired, wrong password
    ├── PermissionDeniedError     403
    ├── NotFoundError             404
    ├── ConflictError             409: the thing changed or is in the wrong state
    ├── ValidationFailedError     400/422: the request was refused as invalid
    ├── RateLimitedError          429: too many requests; `retry_after` seconds
    └── ServerError               5xx, or a response the client cannot read
        └── InvalidResponseError  2xx whose body does not match the contract
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "ApiError",
    "AuthenticationError",
    "ConflictError",
    "InsecureServerUrlError",
    "InvalidResponseError",
    "NetworkError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "ServerError",
    "ServerUrlError",
    "ValidationFailedError",
]


class ApiError(Exception):
    """Base of every API client error.

    Attributes:
        code: stable machine-readable code: the server's ``code`` when it sent one
            (``"unauthorized"``, ``"estimate_window_closed"``...), else a client code
            such as ``"network"``.
        message: what happened and what to do next, in plain words (safe to show).
        details: JSON-friendly extra facts from the server's error body.
        status: the HTTP status, or None when no response arrived.
    """

    default_code = "error"
    default_message = "Something went wrong talking to the server. Try again in a moment."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: Mapping[str, Any] | None = None,
        status: int | None = None,
    ) -> None:
        self.code = code or self.default_code
        self.message = message or self.default_message
        self.details: dict[str, Any] = dict(details or {})
        self.status = status
        super().__init__(self.message)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, status={self.status!r}, "
            f"message={self.message!r})"
        )


class ServerUrlError(ApiError):
    """The server address cannot be used (not a URL, wrong scheme, no host...)."""

    default_code = "invalid_server_url"
    default_message = "That server address is not valid. Type it like https://pros.example.com."


class InsecureServerUrlError(ServerUrlError):
    """Plain ``http://`` to another machine: passwords and tokens would travel unencrypted.

    Only loopback addresses (``127.0.0.0/8``, ``::1``, ``localhost``) may use http.
    """

    default_code = "insecure_server_url"
    default_message = (
        "That server address uses plain http://, which would send your password "
        "unencrypted. Use its https:// address instead."
    )


class NetworkError(ApiError):
    """No usable response: the server is unreachable, the connection broke, or timed out."""

    default_code = "network"
    default_message = "Could not reach the server. Check your internet connection and try again."


class AuthenticationError(ApiError):
    """401: wrong email or password, or the session ended; sign in again."""

    default_code = "unauthorized"
    default_message = "Your session has ended. Sign in again to continue."


class PermissionDeniedError(ApiError):
    """403: signed in, but this account may not do or see that."""

    default_code = "forbidden"
    default_message = "Your account is not allowed to do that. Ask your office if you need it."


class NotFoundError(ApiError):
    """404: it does not exist (any more), or this account cannot see it."""

    default_code = "not_found"
    default_message = "That item was not found. It may have been removed; refresh and try again."


class ConflictError(ApiError):
    """409: the thing changed on the server or is in a state that forbids the action."""

    default_code = "conflict"
    default_message = "That changed on the server in the meantime. Refresh and try again."


class ValidationFailedError(ApiError):
    """400 or 422: the server refused the request as invalid; ``details`` says why."""

    default_code = "invalid"
    default_message = "The server did not accept that. Check what you entered and try again."


class RateLimitedError(ApiError):
    """429: too many requests. ``retry_after`` is the server's wait in seconds, if given."""

    default_code = "rate_limited"
    default_message = "Too many attempts in a short time. Wait a minute and try again."

    def __init__(
        self,
        message: str | None = None,
        *,
        retry_after: float | None = None,
        code: str | None = None,
        details: Mapping[str, Any] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message, code=code, details=details, status=status)
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx: the server failed. ``retry_after`` is set when it said when to come back."""

    default_code = "server_error"
    default_message = "The server had a problem. Try again in a few minutes."

    def __init__(
        self,
        message: str | None = None,
        *,
        retry_after: float | None = None,
        code: str | None = None,
        details: Mapping[str, Any] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message, code=code, details=details, status=status)
        self.retry_after = retry_after


class InvalidResponseError(ServerError):
    """A success status whose body does not match the API contract (likely a version skew)."""

    default_code = "invalid_response"
    default_message = "The server sent an answer this app cannot read. The app may need an update."
