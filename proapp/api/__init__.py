"""The marketplace HTTP API client: one client class, one error tree, wire models.

Import the client from here (``from proapp.api import MarketplaceClient``). Layers that
must stay free of httpx (screen state) import the interface and errors from
`proapp.api.ports` and `proapp.api.errors` instead.
"""

from proapp.api.client import MarketplaceClient, error_from_response, tls_context
from proapp.api.errors import (
    ApiError,
    AuthenticationError,
    ConflictError,
    InsecureServerUrlError,
    InvalidResponseError,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    ServerUrlError,
    ValidationFailedError,
)
from proapp.api.models import (
    BlobStored,
    MutationResult,
    PullResponse,
    PushMutation,
    PushResponse,
    PushStopped,
    Session,
    SyncChange,
    SyncError,
    UploadSession,
)
from proapp.api.ports import MarketplaceApi, SyncApi, collect_pages
from proapp.api.urls import is_loopback_host, normalize_server_url

__all__ = [
    "ApiError",
    "AuthenticationError",
    "BlobStored",
    "ConflictError",
    "InsecureServerUrlError",
    "InvalidResponseError",
    "MarketplaceApi",
    "MarketplaceClient",
    "MutationResult",
    "NetworkError",
    "NotFoundError",
    "PermissionDeniedError",
    "PullResponse",
    "PushMutation",
    "PushResponse",
    "PushStopped",
    "RateLimitedError",
    "ServerError",
    "ServerUrlError",
    "Session",
    "SyncApi",
    "SyncChange",
    "SyncError",
    "UploadSession",
    "ValidationFailedError",
    "collect_pages",
    "error_from_response",
    "is_loopback_host",
    "normalize_server_url",
    "tls_context",
]
