"""The CLI end to end: `serve --demo` in a real subprocess on loopback, `demo-accounts`,
`openapi`."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.support.demo import OWNER, TESS, login
from tests.support.servers import REPO_ROOT, start_marketplace


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "marketplace", *args], cwd=REPO_ROOT, capture_output=True,
        text=True, timeout=120, check=False,
    )


def _call(url: str, token: str, method: str = "GET", body: object | None = None,
          key: str | None = None) -> tuple[int, object]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _serve_and_use(tmp_path: Path, database_url: str | None) -> None:
    with start_marketplace(tmp_path / "srv", database_url=database_url, demo=True) as server:
        owner = login(server.url, OWNER)
        tess = login(server.url, TESS)
        status, jobs = _call(server.url + "/v1/jobs?limit=200", str(owner["access_token"]))
        assert status == 200 and isinstance(jobs, dict) and jobs["items"]
        # A command through the real process: the owner messages about a job.
        job_id = jobs["items"][0]["id"]
        status, message = _call(
            server.url + "/v1/messages", str(owner["access_token"]), "POST",
            {"message_id": str(uuid.uuid4()), "job_id": job_id, "body": "Hello"},
            key=str(uuid.uuid4()),
        )
        assert status == 201, message
        status, _ = _call(server.url + "/v1/me", str(tess["access_token"]))
        assert status == 200
        output = server.output()
    for secret in (OWNER.password, TESS.password, str(owner["access_token"])):
        assert secret not in output


def _count_rows(url: str, model: type[object]) -> int:
    from sqlalchemy import func, select

    from marketplace.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        engine.dispose()


def test_serve_demo_on_sqlite(tmp_path: Path) -> None:
    from marketplace import orm

    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    _serve_and_use(tmp_path, url)
    jobs = _count_rows(url, orm.Job)
    assert jobs > 0
    # A second start on the same database must not seed again (--demo seeds only once).
    with start_marketplace(tmp_path / "again", database_url=url, demo=True) as server:
        assert login(server.url, OWNER)["access_token"]
    assert _count_rows(url, orm.Job) == jobs
    assert _count_rows(url, orm.Business) >= 1


@pytest.mark.postgres
def test_serve_demo_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    _serve_and_use(tmp_path, postgres_url)


def test_demo_accounts_prints_json() -> None:
    result = _run("demo-accounts")
    assert result.returncode == 0, result.stderr
    accounts = json.loads(result.stdout)
    assert {"role": "owner", "email": OWNER.email, "password": OWNER.password} in [
        {k: a[k] for k in ("role", "email", "password")} for a in accounts]


def test_openapi_prints_the_document() -> None:
    result = _run("openapi")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["paths"]["/v1/health"]
    assert result.stdout == json.dumps(document, indent=2, sort_keys=True) + "\n"


def test_seed_command_creates_the_demo_business(tmp_path: Path) -> None:
    from sqlalchemy import func, select

    from marketplace import orm
    from marketplace.db import make_engine

    url = f"sqlite:///{tmp_path / 'seeded.sqlite3'}"
    result = _run("seed", "--database", url)
    assert result.returncode == 0, result.stderr
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            names = conn.scalars(select(orm.Business.name)).all()
            owners = conn.scalar(
                select(func.count()).select_from(orm.User).where(orm.User.email == OWNER.email)
            )
    finally:
        engine.dispose()
    assert "BrightFix Home Services" in names
    assert owners == 1


def test_customer_subcommand_is_delegated() -> None:
    result = _run("customer", "--help")
    assert result.returncode == 0, result.stderr
    assert "customer" in (result.stdout + result.stderr).lower()
