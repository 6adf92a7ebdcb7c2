#!/usr/bin/env bash
# The permutation property of the books at length: many generated books, each delivered in
# order, in several random orders, every event twice and shuffled, and with events dropped
# then recovered through reconciliation and Re-sync; prints how many deliveries held, book by
# book as the run goes (in $BOOK_REPORT) and in all.
# SOAK_SEEDS (default 1-100) and SOAK_PERMUTATIONS (default 5) size the run.
# Installs the suite in its own database ($TEST_DB, default saas_soak) as `make test` does.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export TEST_DB=${TEST_DB:-saas_soak}
export BOOK_SEEDS=${SOAK_SEEDS:-1-100}
export BOOK_PERMUTATIONS=${SOAK_PERMUTATIONS:-5}
export BOOK_DELIVERIES=all
export TEST_PATHS=tests/addons/saas_books_test
export BOOK_REPORT=$ROOT/.run/soak-$TEST_DB.txt
mkdir -p "$ROOT/.run"
rm -f "$BOOK_REPORT"
status=0
bash "$ROOT/scripts/test.sh" "$@" || status=$?
[ -f "$BOOK_REPORT" ] && sed 's/^/[soak] /' "$BOOK_REPORT"
grep -q '^permutation invariance' "$BOOK_REPORT" 2>/dev/null || echo "[soak] no summary: the run stopped before the end"
exit "$status"
