#!/usr/bin/env bash
# Set up (if needed), lint and run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check testbed tests benchmarks
exec .venv/bin/python -m pytest -q "$@"
