#!/usr/bin/env bash
# Set up (if needed) and run the headline job.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/testbed exec linpack --arch mipsel --size paper1 "$@"
