"""``python -m marketplace customer ...`` against a live demo server (real subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from marketplace.customer.cli import main
from marketplace.demo_photos import make_site_photo, photo_sha256
from tests.support.servers import REPO_ROOT, MarketplaceServer, start_marketplace


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MarketplaceServer]:
    # One demo server for the module: starting and seeding takes a couple of seconds.
    with start_marketplace(tmp_path_factory.mktemp("cli-server")) as running:
        yield running


class Cli:
    """Runs the customer CLI in-process as one demo customer, parsing the JSON output."""

    def __init__(self, server: MarketplaceServer, capsys: pytest.CaptureFixture[str],
                 email: str = "alice@customer.example",
                 password: str = "demo-customer-pass") -> None:
        self.base = ["--server", server.url, "--email", email, "--password", password]
        self.capsys = capsys

    def run(self, *args: str) -> tuple[int, Any, str]:
        self.capsys.readouterr()
        code = main([*self.base, *args])
        out, err = self.capsys.readouterr()
        return code, json.loads(out) if out.strip() else None, err

    def ok(self, *args: str) -> Any:
        code, out, err = self.run(*args)
        assert code == 0, err
        return out

    def fails(self, *args: str) -> dict[str, Any]:
        code, out, err = self.run(*args)
        assert code == 1, out
        body: dict[str, Any] = json.loads(err)
        return body


@pytest.fixture
def alice(server: MarketplaceServer, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(server, capsys)


def _windows(days: int = 3) -> list[str]:
    base = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=days)
    args: list[str] = []
    for i in range(3):
        start = base + timedelta(days=i)
        args += ["--window", f"{start.isoformat()}/{(start + timedelta(hours=2)).isoformat()}"]
    return args


ADDRESS = ["--line1", "1420 Pine St", "--city", "Seattle", "--state", "WA",
           "--postal-code", "98101"]


def test_buy_choose_windows_message_and_cancel(alice: Cli) -> None:
    services = alice.ok("services")
    tv = next(s for s in services if s["title"].startswith("TV Wall Mounting with Bracket"))
    job = alice.ok("buy", "--service-id", tv["id"], "--share-phone", *ADDRESS)
    assert job["status"] == "PENDING_SCHEDULE" and job["price_cents"] == tv["price_cents"]
    assert job["customer_phone"]  # shared at checkout (R10)

    refused = alice.fails("windows", "choose", job["id"], *_windows()[:4])
    assert refused["code"] == "invalid" and refused["details"]["given"] == 2
    chosen = alice.ok("windows", "choose", job["id"], *_windows())
    assert len(chosen["preferred_windows"]) == 3

    sent = alice.ok("message", "--job", job["id"], "--body", "Gate code is 1234")
    assert sent["author_role"] == "customer"
    thread = alice.ok("message", "--job", job["id"])
    assert [m["body"] for m in thread["items"]] == ["Gate code is 1234"]

    listed = alice.ok("list", "jobs")
    assert job["id"] in [j["id"] for j in listed["jobs"]]
    assert alice.ok("show", "job", job["id"])["id"] == job["id"]

    cancelled = alice.ok("cancel", job["id"], "--reason", "Changed my mind")
    assert cancelled["status"] == "CANCELLED"
    assert alice.fails("cancel", job["id"])["code"] == "invalid_transition"


def test_custom_request_with_a_photo(alice: Cli, tmp_path: Path) -> None:
    photo = tmp_path / "wall.jpg"
    photo.write_bytes(make_site_photo(7, "Garage wall"))
    business = next(b for b in alice.ok("businesses") if b["name"] == "BrightFix Home Services")
    request = alice.ok(
        "request", "create", "--business-id", business["id"], "--title", "Garage shelving",
        "--description", "Two 8 ft units", "--dimensions", "Wall 16 ft", "--photo", str(photo),
        *ADDRESS,
    )
    assert request["status"] == "OPEN"
    assert request["site_photo_hashes"] == [photo_sha256(photo.read_bytes())]
    assert alice.ok("request", "show", request["id"])["title"] == "Garage shelving"
    missing = alice.fails("request", "create", "--business-id", business["id"], "--title", "x",
                          "--photo", str(tmp_path / "nope.jpg"), *ADDRESS)
    assert missing["code"] == "invalid"


def test_decide_seeded_visits_and_estimates(server: MarketplaceServer,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    carmen = Cli(server, capsys, "carmen@customer.example")
    visits = carmen.ok("list", "visits")["visits"]
    proposed = next(v for v in visits if v["status"] == "PROPOSED")
    accepted = carmen.ok("visit", "accept", proposed["id"])
    assert accepted["status"] == "ACCEPTED" and accepted["accepted_at"]
    assert carmen.fails("visit", "decline", proposed["id"])["code"] == "invalid_transition"

    bob = Cli(server, capsys, "bob@customer.example")
    estimates = bob.ok("list", "estimates")["estimates"]
    open_ones = [e for e in estimates if e["status"] == "SUBMITTED"]
    by_request: dict[str, list[dict[str, Any]]] = {}
    for estimate in open_ones:
        by_request.setdefault(estimate["request_id"], []).append(estimate)
    request_id, competing = next((r, es) for r, es in by_request.items() if len(es) >= 2)
    declined = bob.ok("estimate", "decline", competing[0]["id"])
    assert declined["status"] == "DECLINED"
    job = bob.ok("estimate", "accept", competing[1]["id"])
    assert job["origin"] == "ESTIMATE" and job["price_cents"] == competing[1]["total_cents"]
    assert bob.ok("request", "show", request_id)["status"] == "BOOKED"


def test_reviews_and_the_90_day_window(server: MarketplaceServer,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    alice = Cli(server, capsys)
    jobs = alice.ok("list", "jobs")["jobs"]
    completed = [j for j in jobs if j["status"] == "COMPLETED"]
    now = datetime.now(UTC)
    old = next(j for j in completed
               if datetime.fromisoformat(j["ordered_at"]) < now - timedelta(days=90))
    assert alice.fails("review", old["id"], "--rating", "5")["code"] == "review_window_closed"
    recent = [j for j in completed
              if datetime.fromisoformat(j["ordered_at"]) > now - timedelta(days=80)]
    results = [alice.run("review", j["id"], "--rating", "5", "--comment", "Great")
               for j in recent]
    assert any(code == 0 for code, _out, _err in results)
    # Seeded reviews already exist on some: one review per job.
    assert all(code == 0 or json.loads(err)["code"] == "conflict"
               for code, _out, err in results)


def test_wrong_password_and_usage_errors(server: MarketplaceServer,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    wrong = Cli(server, capsys, password="not-the-password")
    assert wrong.fails("services")["code"] == "unauthorized"
    assert main(["--server", server.url, "--email", "a@b.c", "--password", "x",
                 "review", "not-a-job", "--rating", "five"]) == 2
    assert main(["--help"]) == 0
    unreachable = Cli(server, capsys)
    unreachable.base[1] = "http://127.0.0.1:9"  # nothing listens on the discard port
    assert unreachable.fails("services")["code"] == "unreachable"


def test_the_module_entry_point_runs_the_customer_cli(server: MarketplaceServer) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "marketplace", "customer", "--server", server.url,
         "--email", "bob@customer.example", "--password", "demo-customer-pass", "services"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    titles = [s["title"] for s in json.loads(result.stdout)]
    assert "Furniture Assembly (up to 3 items)" in titles
