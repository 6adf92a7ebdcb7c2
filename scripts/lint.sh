#!/usr/bin/env bash
# ruff (style and errors), pylint-odoo (Odoo/OCA conventions), hadolint (Dockerfile) and the
# addons' README.rst against their readme/ fragments.
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
echo "[lint] README.rst generated from readme/"
"$VENV/bin/python" scripts/readme.py --check
echo "[lint] clean"
