#!/usr/bin/env bash
# Stop the server started by `make demo` (SIGTERM lets Odoo finish running requests and jobs).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PIDFILE=$ROOT/.run/odoo-${DB:-saas_demo}.pid
if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    kill -TERM "$(cat "$PIDFILE")"
    for _ in $(seq 30); do kill -0 "$(cat "$PIDFILE")" 2>/dev/null || break; sleep 0.5; done
    echo "[demo] stopped"
else
    echo "[demo] not running"
fi
rm -f "$PIDFILE"
