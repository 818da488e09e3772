#!/usr/bin/env bash
# Set up a virtualenv (.venv) with the project and its dev tools, then run every check.
# Usage: bash tests/run.sh [pytest args...]   (from anywhere; works on a fresh machine)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# The system pip (23.2) has resolver bugs: upgrade it inside the venv first.
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev,bench]'
echo "== ruff check";         .venv/bin/ruff check .
echo "== ruff format --check"; .venv/bin/ruff format --check .
echo "== mypy newscrawl";      .venv/bin/mypy newscrawl
echo "== pytest";              .venv/bin/python -m pytest "$@"
