"""The static checks CI relies on, run as tests so `python3 dev.py test` enforces them.

Each test runs the real tool in a subprocess with the configuration in pyproject.toml and
puts the tool's own output in the failure message.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from uv import find_uv_bin

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

# What proapp.domain may import besides itself (BRIEF: stdlib, pydantic, holidays,
# tzdata/zoneinfo). import-linter forbids a list of known I/O packages; this allow-list
# catches anything else new (a stray `requests`, `flet`, `numpy`...).
DOMAIN_ALLOWED_THIRD_PARTY = {
    "pydantic",
    "pydantic_core",
    "annotated_types",
    "typing_extensions",
    "holidays",
    "tzdata",
}
# Standard-library modules that are I/O or process state, banned from the pure domain.
DOMAIN_BANNED_STDLIB = {"sqlite3", "socket", "subprocess", "urllib", "http", "asyncio"}


def run(command: list[str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )


def describe(result: subprocess.CompletedProcess[str]) -> str:
    return (
        f"`{' '.join(result.args)}` exited with {result.returncode}\n"
        f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
    )


def test_ruff_check_is_clean() -> None:
    result = run([sys.executable, "-m", "ruff", "check", "--no-cache", "."])
    assert result.returncode == 0, describe(result)


def test_mypy_is_clean() -> None:
    # Files and strictness come from [tool.mypy]; the cache lives in the checkout so
    # repeated runs are fast.
    result = run([sys.executable, "-m", "mypy"])
    assert result.returncode == 0, describe(result)


def test_import_contracts_are_kept() -> None:
    result = run([str(BIN / "lint-imports"), "--no-cache"])
    assert result.returncode == 0, describe(result)
    assert "0 broken" in result.stdout, describe(result)


def _imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_domain_imports_only_allowed_packages() -> None:
    offenders: list[str] = []
    files = sorted((ROOT / "proapp" / "domain").rglob("*.py"))
    assert files, "proapp/domain has no Python files: is the path right?"
    for path in files:
        for root in sorted(_imported_roots(path)):
            allowed = (
                root in ("proapp", "__future__")
                or root in DOMAIN_ALLOWED_THIRD_PARTY
                or (root in sys.stdlib_module_names and root not in DOMAIN_BANNED_STDLIB)
            )
            if not allowed:
                offenders.append(f"{path.relative_to(ROOT)} imports {root}")
    assert not offenders, "proapp.domain must stay pure:\n" + "\n".join(offenders)


def test_domain_allow_list_check_can_fail(tmp_path: Path) -> None:
    # Guards the check above against silently accepting everything.
    probe = tmp_path / "probe.py"
    probe.write_text("import sqlite3\nfrom httpx import Client\nfrom . import sibling\n")
    assert _imported_roots(probe) == {"sqlite3", "httpx"}


def test_uv_lock_matches_pyproject() -> None:
    # --offline: tests never download; an up-to-date lock needs no network to verify.
    result = run([find_uv_bin(), "lock", "--check", "--offline"])
    assert result.returncode == 0, (
        describe(result) + "\nRun tools/relock.sh after changing dependencies."
    )


def _without_header(text: str) -> list[str]:
    # The header comment records the command line (including -o PATH), not content.
    lines = text.splitlines()
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return lines


# Must match the export flags in tools/relock.sh.
EXPORTS = {
    "requirements/dev.txt": ["--all-extras", "--group", "dev"],
    "requirements/phone.txt": ["--extra", "mobile", "--no-dev"],
}


@pytest.mark.parametrize("target", sorted(EXPORTS))
def test_requirements_file_matches_lock(target: str) -> None:
    result = run(
        [
            find_uv_bin(), "export", "--quiet", "--frozen", "--offline",
            "--format", "requirements-txt", *EXPORTS[target], "--no-emit-project",
        ]
    )  # fmt: skip
    assert result.returncode == 0, describe(result)
    committed = (ROOT / target).read_text()
    assert _without_header(committed) == _without_header(result.stdout), (
        f"{target} is out of date with uv.lock; run tools/relock.sh"
    )


# Compiled (non-pure-Python) packages allowed in the phone build. `flet build` can only
# use compiled packages that Flet's mobile package index ships prebuilt, so adding one
# here needs that checked first (DESIGN.md section 3).
PHONE_COMPILED_ALLOWED = {
    "pydantic-core": "prebuilt in Flet's mobile index",
    "pillow": "prebuilt in Flet's mobile index",
    "msgpack": "dependency of flet itself (and has a pure-Python fallback)",
    # KNOWN RISK: keyring -> secretstorage -> cryptography/cffi on sys_platform == 'linux'.
    # Android's Python may report 'linux'; verify Flet's index has them, or move keyring
    # out of the phone dependencies (phones use Flet's secure storage anyway).
    "cffi": "via keyring/secretstorage on linux (see KNOWN RISK)",
    "cryptography": "via keyring/secretstorage on linux (see KNOWN RISK)",
}


def test_phone_build_has_no_unexpected_compiled_packages() -> None:
    from importlib import metadata

    compiled: list[str] = []
    for line in (ROOT / "requirements" / "phone.txt").read_text().splitlines():
        if not line or not line[0].isalpha():
            continue
        name = line.split("==", 1)[0].strip()
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # not for this platform (e.g. pywin32-ctypes); nothing to inspect
        if any(str(f).endswith((".so", ".pyd")) for f in dist.files or ()):
            compiled.append(name)
    assert compiled, "found no compiled package at all: is the check still working?"
    unexpected = sorted(set(compiled) - set(PHONE_COMPILED_ALLOWED))
    assert not unexpected, (
        f"requirements/phone.txt gained compiled packages {unexpected}; a phone build "
        "needs them prebuilt by Flet's mobile index. Check, then extend the allow-list."
    )


def test_relock_script_uses_the_same_export_flags() -> None:
    # If someone edits tools/relock.sh, the freshness check above must follow.
    script = (ROOT / "tools" / "relock.sh").read_text()
    for target, flags in EXPORTS.items():
        line = next((ln for ln in script.splitlines() if ln.rstrip().endswith(target)), "")
        assert all(flag in line.split() for flag in flags), (target, line)


def test_every_test_folder_is_a_package() -> None:
    # Test modules share basenames across folders (test_models.py in unit/ and
    # integration/); without __init__.py pytest's rootdir-based import would clash.
    missing = sorted(
        str(folder.relative_to(ROOT))
        for folder in {path.parent for path in (ROOT / "tests").rglob("*.py")}
        if not (folder / "__init__.py").exists()
    )
    assert not missing, f"add an empty __init__.py to: {', '.join(missing)}"


def test_ci_runs_the_readme_test_command() -> None:
    # README promises that CI runs exactly what a developer runs.
    readme = (ROOT / "README.md").read_text()
    ci_script = (ROOT / ".ci" / "run").read_text()
    for command in ("python3 dev.py app", "python3 dev.py test"):
        assert command in readme, command
    run_lines = [ln.strip() for ln in ci_script.splitlines() if not ln.strip().startswith("#")]
    assert any(ln.startswith("python3 dev.py test") for ln in run_lines), ci_script
