#!/usr/bin/env bash
# The whole test suite, as CI runs it: lint, then every test through the real parts.
# pcscd and the simulators are started by the test fixtures themselves (tests/harness/).
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM=offscreen
echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== pytest"
exec .venv/bin/python -m pytest -v -m "not slow" "$@"
