"""The embedded demo server helpers that need no server: data dir, demo accounts."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from proapp.embedded import DemoAccount, app_data_dir, fetch_demo_accounts


def test_data_dir_honours_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "somewhere" / "proapp"
    monkeypatch.setenv("PROAPP_DATA_DIR", str(target))
    assert app_data_dir() == target
    assert target.is_dir()


def fake_run(stdout: str, returncode: int = 0) -> Any:
    def runner(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        assert command[1:] == ["-m", "marketplace", "demo-accounts"]
        return subprocess.CompletedProcess(command, returncode, stdout=stdout, stderr="boom")

    return runner


def test_demo_accounts_are_parsed_from_json(monkeypatch: pytest.MonkeyPatch) -> None:
    data = [
        {
            "role": "technician",
            "email": "tess@brightfix.example",
            "password": "demo-tech-pass",
            "name": "Tess Rivera",
        },
        {"role": "owner", "email": "owner@brightfix.example", "password": "demo-owner-pass"},
        {"role": "broken"},
    ]
    monkeypatch.setattr("proapp.embedded.subprocess.run", fake_run(json.dumps(data)))
    assert fetch_demo_accounts() == [
        DemoAccount("technician", "tess@brightfix.example", "demo-tech-pass", "Tess Rivera"),
        DemoAccount("owner", "owner@brightfix.example", "demo-owner-pass", ""),
    ]


@pytest.mark.parametrize(("stdout", "code"), [("not json", 0), ("[]", 1), ('{"a": 1}', 0)])
def test_demo_accounts_failures_give_an_empty_list(
    monkeypatch: pytest.MonkeyPatch, stdout: str, code: int
) -> None:
    monkeypatch.setattr("proapp.embedded.subprocess.run", fake_run(stdout, code))
    assert fetch_demo_accounts() == []
