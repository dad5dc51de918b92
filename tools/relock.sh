#!/usr/bin/env bash
# Re-resolve uv.lock after editing dependencies in pyproject.toml, and export the
# hashed requirement files that dev.py and phone builds install from.
set -euo pipefail
cd "$(dirname "$0")/.."
uv=.venv/bin/uv
"$uv" lock -q
"$uv" export -q --frozen --format requirements-txt --all-extras --group dev --no-emit-project -o requirements/dev.txt
"$uv" export -q --frozen --format requirements-txt --extra mobile --no-dev --no-emit-project -o requirements/phone.txt
