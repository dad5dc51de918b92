"""The HTTP contract of the marketplace server, checked against a live subprocess.

1. The OpenAPI document the running server publishes equals the committed
   docs/openapi.json, so API changes show up in review as a diff of that file.
2. Schemathesis generates requests for every operation from that document, as the demo
   technician, the demo owner and a demo customer, and checks that the server never
   answers 5xx and that every documented response matches its schema.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.demo import CUSTOMERS, OWNER, TESS, DemoAccount, login
from tests.support.servers import REPO_ROOT, MarketplaceServer, start_marketplace

COMMITTED_OPENAPI = REPO_ROOT / "docs" / "openapi.json"
HOOKS = REPO_ROOT / "tests" / "support" / "schemathesis_hooks.py"
REGENERATE = ".venv/bin/python -m marketplace openapi > docs/openapi.json   (from the repo root)"

# Bounded so the whole file stays well under three minutes; raise locally to dig deeper.
MAX_EXAMPLES = int(os.environ.get("PROAPP_SCHEMATHESIS_MAX_EXAMPLES", "15"))
# Fixed by default so CI is reproducible; set another seed to explore new inputs.
SEED = os.environ.get("PROAPP_SCHEMATHESIS_SEED", "20261126")
SCHEMATHESIS_TIMEOUT_S = 170


def _canonical(document: object) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _fetch_openapi(server: MarketplaceServer) -> object:
    with urllib.request.urlopen(server.url + "/openapi.json", timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture
def server(tmp_path: Path) -> Iterator[MarketplaceServer]:
    # A fresh database per test: the schemathesis runs write (commands, logouts...).
    with start_marketplace(tmp_path / "server") as running:
        yield running


def _diff(expected: str, actual: str) -> str:
    lines = difflib.unified_diff(
        expected.splitlines(keepends=True),
        actual.splitlines(keepends=True),
        fromfile="docs/openapi.json (committed)",
        tofile="/openapi.json (live server)",
        n=2,
    )
    return "".join(list(lines)[:200])


def test_live_openapi_matches_committed_document(server: MarketplaceServer) -> None:
    assert COMMITTED_OPENAPI.exists(), f"docs/openapi.json is missing; create it with: {REGENERATE}"
    committed = _canonical(json.loads(COMMITTED_OPENAPI.read_text()))
    live = _canonical(_fetch_openapi(server))
    assert live == committed, (
        f"The server's OpenAPI differs from docs/openapi.json. If the change is intended, "
        f"regenerate it with:\n    {REGENERATE}\n\n{_diff(committed, live)}"
    )


def test_openapi_command_prints_the_live_document(server: MarketplaceServer) -> None:
    # The regeneration command must produce what the server serves, or the hint above lies.
    result = subprocess.run(
        [sys.executable, "-m", "marketplace", "openapi"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert _canonical(json.loads(result.stdout)) == _canonical(_fetch_openapi(server))


# Technician and owner are the pro roles the app signs in as; a customer reaches the
# customer-side endpoints that the others only see answer 403.
@pytest.mark.parametrize("account", [TESS, OWNER, CUSTOMERS[0]], ids=lambda a: a.role)
def test_schemathesis_finds_no_server_errors(
    server: MarketplaceServer, account: DemoAccount, tmp_path: Path
) -> None:
    token = login(server.url, account)["access_token"]
    assert isinstance(token, str) and token
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", f"{server.url}/openapi.json",
        "--checks", "not_a_server_error,response_schema_conformance",
        "--max-examples", str(MAX_EXAMPLES),
        "--seed", SEED,
        "--header", f"Authorization: Bearer {token}",
        # Our bearer header must be the one sent, not a generated security parameter.
        "--generation-with-security-parameters", "false",
        "--generation-database", "none",
        "--request-timeout", "10",
        "--workers", "1",
        "--no-color",
        "--output-truncate", "false",
    ]  # fmt: skip
    result = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True,
        timeout=SCHEMATHESIS_TIMEOUT_S, check=False,
        env={**os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS)},
    )  # fmt: skip
    assert result.returncode == 0, (
        f"schemathesis found problems as {account.email} (seed {SEED}):\n"
        f"{result.stdout[-20000:]}\n{result.stderr[-5000:]}\n"
        f"--- server output ---\n{server.output()[-5000:]}"
    )
    # A run that tested nothing would also exit 0; make sure operations were exercised.
    tested = re.search(r"Tested: (\d+)", result.stdout)
    assert tested and int(tested.group(1)) > 0, result.stdout[-5000:]
