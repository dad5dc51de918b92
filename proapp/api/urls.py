"""Checking a marketplace server address before anything is sent to it.

Kept free of httpx so the sign-in screen's state can validate what the pro typed and
show the same plain-words message the client would raise.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit, urlunsplit

from proapp.api.errors import InsecureServerUrlError, ServerUrlError

__all__ = ["is_loopback_host", "normalize_server_url"]


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and loopback IPs (``127.0.0.0/8``, ``::1``).

    Only the exact name ``localhost`` counts; ``localhost.example.com`` is a remote host.
    """
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def normalize_server_url(url: str) -> str:
    """Return the server's base URL without a trailing slash, or raise.

    Rules: scheme ``https``, or ``http`` only to a loopback host (passwords and tokens
    must never cross a network unencrypted); a host is required; no user info, query or
    fragment. A path prefix is kept (``https://example.com/marketplace``).

    Raises:
        InsecureServerUrlError: ``http://`` to a host that is not this machine.
        ServerUrlError: anything else that is not a usable server address.
    """
    text = url.strip()
    if not text:
        raise ServerUrlError("Type the server address, like https://pros.example.com.")
    try:
        parts = urlsplit(text)
        port = parts.port  # raises ValueError for a non-numeric or out-of-range port
    except ValueError as exc:
        raise ServerUrlError(
            f"'{text}' is not a valid server address. Type it like https://pros.example.com."
        ) from exc
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"} or not parts.hostname:
        raise ServerUrlError(
            f"'{text}' is not a server address. Type it with https://, "
            "like https://pros.example.com."
        )
    if parts.username is not None or parts.password is not None:
        raise ServerUrlError(
            "Leave your name and password out of the server address; "
            "type them in the sign-in fields."
        )
    if parts.query or parts.fragment:
        raise ServerUrlError(
            f"'{text}' has extra parts after the address. Type only the address, "
            "like https://pros.example.com."
        )
    host = parts.hostname
    if scheme == "http" and not is_loopback_host(host):
        raise InsecureServerUrlError(
            f"'{text}' uses plain http://, which would send your password unencrypted. "
            "Use the server's https:// address instead.",
            details={"host": host},
        )
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc = f"{netloc}:{port}"
    return urlunsplit((scheme, netloc, parts.path.rstrip("/"), "", ""))
