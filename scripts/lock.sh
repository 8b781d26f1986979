#!/usr/bin/env bash
# Refreshes requirements.lock: installs the newest release of everything into a throwaway
# virtual environment (install.sh --latest --dev, which also proves they install together and
# pass pip check), then records exactly what was installed. Review the diff, run the tests on
# it (bash scripts/install.sh --dev && .venv/bin/python -m pytest), then commit it.
#
#   bash scripts/lock.sh
#
# Environment: PYTHON, as for install.sh (the lock records which interpreter it was made on).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
bash "$ROOT/scripts/install.sh" --latest --dev --venv "$tmp/venv"
"$tmp/venv/bin/python" "$ROOT/scripts/lockfile.py" write
git -C "$ROOT" --no-pager diff --stat -- requirements.lock || true
