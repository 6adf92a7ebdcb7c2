#!/usr/bin/env bash
# Install the suite into a fresh database and run every test with pytest (pytest-odoo): the
# Odoo tests of each addon, the plain-Python tests of their lib/ packages and the
# cross-module tests in tests/. Non-zero exit status when any test fails. With TEST_PATHS, only
# those paths run, in one pytest.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ODOO_SRC=${ODOO_SRC:-$HOME/src/odoo-19.0}
VENV=${VENV:-$ROOT/.venv}
TEST_DB=${TEST_DB:-saas_test}
MODULES=${MODULES:-saas_connector_base,saas_stripe,saas_deferred_revenue,saas_crm_sync,saas_connector_test,saas_books_test}
LOG=$ROOT/.run/test-install-$TEST_DB.log
mkdir -p "$ROOT/.run"
rm -f "$LOG"

echo "[test] fresh database $TEST_DB with $MODULES"
"$VENV/bin/python" - "$TEST_DB" <<'PY'
import sys
import psycopg2
conn = psycopg2.connect(dbname="postgres")
conn.autocommit = True
with conn.cursor() as cr:
    cr.execute(f'DROP DATABASE IF EXISTS "{sys.argv[1]}" WITH (FORCE)')
PY
if ! "$VENV/bin/python" "$ODOO_SRC/odoo-bin" -c "$ROOT/odoo.conf" -d "$TEST_DB" --db-filter="^$TEST_DB\$" \
        -i "$MODULES" --without-demo --stop-after-init --workers=0 --max-cron-threads=0 \
        --log-level=warn --logfile="$LOG"; then
    tail -n 60 "$LOG"
    echo "[test] installing the suite failed (full log: $LOG)" >&2
    exit 1
fi

# Odoo only warns about a module name it cannot find: make that an error here.
installed=$(psql -Atq -d "$TEST_DB" -c "SELECT count(*) FROM ir_module_module WHERE state = 'installed' AND name = ANY(string_to_array('$MODULES', ','))")
if [ "$installed" != "$(tr ',' '\n' <<<"$MODULES" | wc -l)" ]; then
    grep -E 'WARNING|ERROR' "$LOG" | tail -n 20
    echo "[test] not every module of $MODULES got installed (full log: $LOG)" >&2
    exit 1
fi
# Warnings during installation (view access inconsistencies, bad data) are shown, not buried.
grep -E ' (WARNING|ERROR) ' "$LOG" | grep -vE "Running as user|unknown option 'saas_master_key'" || true

# Tests serve HTTP on their own port, so they run beside a `make demo` server.
TEST_PORT=${TEST_PORT:-$((${PORT:-8069} + 10))}
test_conf() {  # database, HTTP port → the configuration file of pytest on that database
    local conf=$ROOT/.run/test-odoo-$1.conf
    sed -e "s/^http_port = .*/http_port = $2/" -e "s/^gevent_port = .*/gevent_port = $(($2 + 3))/" \
        -e "s/^db_name = .*/db_name = $1/" "$ROOT/odoo.conf" >"$conf"
    echo "$conf"
}
TEST_CONF=$(test_conf "$TEST_DB" "$TEST_PORT")

cd "$ROOT"
# Tests run their jobs themselves; a job runner thread in the test process would run them
# concurrently (the end-to-end server gets its own runner back, see tests/e2e/conftest.py).
export ODOO_QUEUE_JOB_CHANNELS=root:0
PYTEST=("$VENV/bin/pytest" --odoo-http -p no:cacheprovider)
if [ -n "${TEST_PATHS:-}" ]; then
    exec "${PYTEST[@]}" --odoo-config="$TEST_CONF" --odoo-database="$TEST_DB" "$@" $TEST_PATHS
fi

# The whole suite. The books' property (tests/addons/saas_books_test) is the longest part and
# touches nothing the others do: it runs beside them, on a copy of the database, and its
# report follows theirs.
BOOKS=tests/addons/saas_books_test
BOOKS_DB=${TEST_DB}_books
BOOKS_LOG=$ROOT/.run/test-$BOOKS_DB.log
psql -q -d postgres -c "DROP DATABASE IF EXISTS \"$BOOKS_DB\" WITH (FORCE)" \
    -c "CREATE DATABASE \"$BOOKS_DB\" TEMPLATE \"$TEST_DB\""
echo "[test] the books' property runs beside the other tests, on $BOOKS_DB (log: $BOOKS_LOG)"
"${PYTEST[@]}" --odoo-config="$(test_conf "$BOOKS_DB" $((TEST_PORT + 5)))" \
    --odoo-database="$BOOKS_DB" "$@" "$BOOKS" >"$BOOKS_LOG" 2>&1 &
books=$!
trap 'kill "$books" 2>/dev/null || true' EXIT
status=0
"${PYTEST[@]}" --odoo-config="$TEST_CONF" --odoo-database="$TEST_DB" "$@" \
    --ignore="$BOOKS" addons tests || status=$?
# The chaos campaign at its small scale (tests/chaos; `make chaos` runs it whole): a real
# server on its own database, while the books' property still runs.
chaos_status=0
"$VENV/bin/python" tests/chaos/run.py --scale small --db "${TEST_DB}_chaos" \
    --port $((TEST_PORT + 20)) || chaos_status=$?
books_status=0
wait "$books" || books_status=$?
trap - EXIT
echo "[test] the books' property ($BOOKS):"
cat "$BOOKS_LOG"
if [ "$status" -ne 0 ] || [ "$books_status" -ne 0 ] || [ "$chaos_status" -ne 0 ]; then
    echo "[test] FAILED: other tests exit $status, books' property exit $books_status," \
        "chaos campaign exit $chaos_status" >&2
    exit 1
fi
