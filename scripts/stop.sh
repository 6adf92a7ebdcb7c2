#!/usr/bin/env bash
# Stop the servers started by `make demo`: Odoo (SIGTERM lets it finish running requests and
# jobs), its localstripe and its fake HubSpot.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DB=${DB:-saas_demo}

stop() {
    local name=$1 pidfile=$2
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        kill -TERM "$(cat "$pidfile")"
        for _ in $(seq 30); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.5; done
        echo "[demo] $name stopped"
    else
        echo "[demo] $name not running"
    fi
    rm -f "$pidfile"
}

stop Odoo "$ROOT/.run/odoo-$DB.pid"
stop localstripe "$ROOT/.run/localstripe-$DB.pid"
stop "fake HubSpot" "$ROOT/.run/hubspot-$DB.pid"
