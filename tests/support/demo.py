"""The fixed demo accounts (see BRIEF/README) and a login helper for tests."""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass

__all__ = [
    "CUSTOMERS",
    "DISPATCHER",
    "OWNER",
    "STAFF",
    "TECHNICIANS",
    "DemoAccount",
    "login",
]


@dataclass(frozen=True)
class DemoAccount:
    """One seeded demo account of the "BrightFix Home Services" business."""

    role: str
    email: str
    password: str
    name: str | None = None


OWNER = DemoAccount("owner", "owner@brightfix.example", "demo-owner-pass")
DISPATCHER = DemoAccount("dispatcher", "dispatch@brightfix.example", "demo-dispatch-pass")
TESS = DemoAccount("technician", "tess@brightfix.example", "demo-tech-pass", "Tess Rivera")
MARCO = DemoAccount("technician", "marco@brightfix.example", "demo-tech-pass", "Marco Chen")
PRIYA = DemoAccount("technician", "priya@brightfix.example", "demo-tech-pass", "Priya Patel")
TECHNICIANS = (TESS, MARCO, PRIYA)
STAFF = (OWNER, DISPATCHER)
CUSTOMERS = tuple(
    DemoAccount("customer", f"{name}@customer.example", "demo-customer-pass")
    for name in ("alice", "bob", "carmen")
)


def login(base_url: str, account: DemoAccount) -> dict[str, object]:
    """POST /v1/auth/login and return the JSON body (access_token, refresh_token, user...).

    Uses urllib so that it works without the client package; raises on non-200.
    """
    body = json.dumps({"email": account.email, "password": account.password}).encode()
    request = urllib.request.Request(
        base_url + "/v1/auth/login",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        result: dict[str, object] = json.loads(response.read())
        return result
