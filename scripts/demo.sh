#!/usr/bin/env bash
# Set up (if needed) and run the headline job.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/testbed run linpack --src mipsel --dst sparc "$@"
