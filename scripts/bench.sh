#!/usr/bin/env bash
# Run every benchmark under tests/bench — one folder each, driven by its run.py — and print
# their results. Not part of `make test` or CI: each takes minutes and wants a quiet machine.
# BENCH=name runs only that one (a shell pattern: BENCH='webhook_*').
# A benchmark that misses a target still succeeds; the exit status is non-zero only when one
# could not run or found an inconsistency (e.g. an acknowledged event that was not stored).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${VENV:-$ROOT/.venv}
BENCH=${BENCH:-*}

# The load generator of webhook_ingest is Debian's wrk: installed here when running as root.
if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null ||
            { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
    else
        echo "[bench] wrk is missing: sudo apt-get install wrk" >&2
        exit 1
    fi
fi

status=0
ran=0
for driver in "$ROOT"/tests/bench/$BENCH/run.py; do
    [ -f "$driver" ] || continue
    name=$(basename "$(dirname "$driver")")
    echo "[bench] $name"
    ran=$((ran + 1))
    if ! "$VENV/bin/python" "$driver"; then
        echo "[bench] $name FAILED" >&2
        status=1
    fi
done
if [ "$ran" = 0 ]; then
    echo "[bench] no benchmark matches tests/bench/$BENCH/run.py" >&2
    exit 1
fi
exit $status
