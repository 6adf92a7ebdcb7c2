#!/usr/bin/env bash
# ruff (style and errors), pylint-odoo (Odoo/OCA conventions) and hadolint (Dockerfile).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${VENV:-$ROOT/.venv}
cd "$ROOT"
echo "[lint] ruff"
"$VENV/bin/ruff" check addons tests scripts
"$VENV/bin/ruff" format --check addons tests scripts
echo "[lint] pylint-odoo"
"$VENV/bin/pylint" --rcfile=.pylintrc --disable=manifest-superfluous-key addons/*/ tests/addons/*/
echo "[lint] hadolint"
"$VENV/bin/hadolint" docker/Dockerfile
echo "[lint] clean"
