#!/usr/bin/env bash
# Regenerate each addon's translation template (i18n/<module>.pot) from the database that
# `make test` installed, so the templates list every term of the current code.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ODOO_SRC=${ODOO_SRC:-$HOME/src/odoo-19.0}
VENV=${VENV:-$ROOT/.venv}
TEST_DB=${TEST_DB:-saas_test}
CONF=$ROOT/.run/test-odoo-$TEST_DB.conf
[ -f "$CONF" ] || { echo "[i18n] run 'make test' first: it installs the suite in $TEST_DB" >&2; exit 1; }
"$VENV/bin/python" "$ODOO_SRC/odoo-bin" i18n export -c "$CONF" -d "$TEST_DB" \
    saas_connector_base saas_stripe saas_deferred_revenue saas_crm_sync 2>&1 | grep -E "Exporting|ERROR" || true
