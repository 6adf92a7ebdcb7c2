#!/usr/bin/env bash
# Create (once) database $DB with the suite and Odoo's demo data, then start Odoo in the
# background with 2 HTTP workers, cron and the queue_job runner, localstripe (a fake Stripe)
# and a fake HubSpot next to it. The first time, a Stripe backend pointed at localstripe
# receives a small SaaS book through signed webhooks (scripts/demo_seed.py), and deals won in
# the fake HubSpot become subscriptions in it (scripts/demo_crm_seed.py). A second run finds
# all of it, keeps it in step (localstripe and HubSpot keep their state in
# .run/{localstripe,hubspot}-$DB.pickle across `make stop`) and reports it. `make stop` stops
# the three servers.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ODOO_SRC=${ODOO_SRC:-$HOME/src/odoo-19.0}
VENV=${VENV:-$ROOT/.venv}
DB=${DB:-saas_demo}
PORT=${PORT:-8069}
LOCALSTRIPE_PORT=${LOCALSTRIPE_PORT:-$((PORT + 100))}
LOCALSTRIPE_PYTHON=$ROOT/.venv-localstripe/bin/python
MODULES=saas_connector_base,saas_stripe,saas_deferred_revenue,saas_crm_sync
RUN=$ROOT/.run
PIDFILE=$RUN/odoo-$DB.pid
LOG=$RUN/odoo-$DB.log
LS_PIDFILE=$RUN/localstripe-$DB.pid
LS_LOG=$RUN/localstripe-$DB.log
LS_STORE=$RUN/localstripe-$DB.pickle
HUBSPOT_PORT=${HUBSPOT_PORT:-$((PORT + 200))}
HS_PIDFILE=$RUN/hubspot-$DB.pid
HS_LOG=$RUN/hubspot-$DB.log
HS_STORE=$RUN/hubspot-$DB.pickle
ODOO=("$VENV/bin/python" "$ODOO_SRC/odoo-bin" -c "$ROOT/odoo.conf" -d "$DB")
mkdir -p "$RUN"

say() { printf '[demo] %s\n' "$*"; }

installed() {
    psql -Atq -d "$DB" -c "SELECT count(*) FROM ir_module_module
        WHERE state = 'installed' AND name = ANY(string_to_array('$MODULES', ','))" 2>/dev/null
}

if [ "$(installed)" != "$(tr ',' '\n' <<<"$MODULES" | wc -l)" ]; then
    say "creating database $DB with the suite and demo data (about a minute)"
    rm -f "$LS_STORE" "$HS_STORE"  # a new book: localstripe and HubSpot start empty too
    "${ODOO[@]}" -i "$MODULES" --with-demo --stop-after-init --workers=0 --max-cron-threads=0 \
        --log-level=warn --logfile="$RUN/demo-install.log" \
        || { tail -n 40 "$RUN/demo-install.log"; exit 1; }
fi

if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    say "Odoo is already running (pid $(cat "$PIDFILE"))"
else
    : >"$LOG"
    nohup "${ODOO[@]}" --workers=2 --max-cron-threads=1 --load=base,web,queue_job,saas_connector_base \
        --http-port="$PORT" --logfile="$LOG" </dev/null >>"$LOG" 2>&1 &
    echo $! >"$PIDFILE"
    for _ in $(seq 60); do
        curl -fsS -o /dev/null "http://127.0.0.1:$PORT/web/login" 2>/dev/null && break
        kill -0 "$(cat "$PIDFILE")" 2>/dev/null || { tail -n 40 "$LOG"; exit 1; }
        sleep 1
    done
fi

curl -fsS -o /dev/null "http://127.0.0.1:$PORT/web/login" \
    || { say "Odoo does not answer on port $PORT; see $LOG"; exit 1; }
for _ in $(seq 20); do
    grep -q "queue job runner ready for db $DB" "$LOG" && break
    sleep 0.5
done
grep -q "queue job runner ready for db $DB" "$LOG" && runner="alive" || runner="not ready (see $LOG)"

# localstripe runs next to the Odoo server and is stopped with it (stop.sh). It keeps its state
# in a file of this database's, so that after `make stop` it is still the Stripe account whose
# book Odoo holds. A database created afresh starts with an empty one.
# start_peer NAME PIDFILE LOG URL TRIES COMMAND...: start a fake peer in the background unless
# it runs already, and wait (TRIES half-seconds) until URL answers (any HTTP status: the
# peers ask for credentials).
start_peer() {
    local name=$1 pidfile=$2 log=$3 url=$4 tries=$5
    shift 5
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        say "$name is already running (pid $(cat "$pidfile"))"
    else
        nohup "$@" </dev/null >"$log" 2>&1 &
        echo $! >"$pidfile"
        for _ in $(seq "$tries"); do
            curl -sS -o /dev/null "$url" 2>/dev/null && break
            kill -0 "$(cat "$pidfile")" 2>/dev/null || { tail -n 20 "$log"; exit 1; }
            sleep 0.5
        done
    fi
    curl -sS -o /dev/null "$url" || { say "$name does not answer at $url; see $log"; exit 1; }
}

LS_URL=http://127.0.0.1:$LOCALSTRIPE_PORT
[ -x "$LOCALSTRIPE_PYTHON" ] || { say "localstripe not found in $ROOT/.venv-localstripe: run make setup"; exit 1; }
# Usually up in a couple of seconds, but its imports alone can take half a minute on a busy
# machine.
LOCALSTRIPE_STORE=$LS_STORE start_peer localstripe "$LS_PIDFILE" "$LS_LOG" \
    "$LS_URL/v1/customers" 120 \
    "$LOCALSTRIPE_PYTHON" "$ROOT/scripts/localstripe_server.py" --port "$LOCALSTRIPE_PORT"

# The fake HubSpot of the end-to-end tests, its records kept in a file of this database's
# like localstripe's, and stopped with it.
HS_URL=http://127.0.0.1:$HUBSPOT_PORT
HUBSPOT_STORE=$HS_STORE start_peer "the fake HubSpot" "$HS_PIDFILE" "$HS_LOG" \
    "$HS_URL/crm/v3/pipelines/deals" 40 \
    "$VENV/bin/python" "$ROOT/scripts/hubspot_server.py" --port "$HUBSPOT_PORT"

# Creates the backend and plays the book only if the backend never received an event, so a
# second run just prints the summary. Then the same for the deals won in HubSpot.
"$VENV/bin/python" "$ROOT/scripts/demo_seed.py" --odoo "http://127.0.0.1:$PORT" --db "$DB" \
    --localstripe "$LS_URL"
"$VENV/bin/python" "$ROOT/scripts/demo_crm_seed.py" --odoo "http://127.0.0.1:$PORT" --db "$DB" \
    --localstripe "$LS_URL" --hubspot "$HS_URL"

cat <<MSG
[demo] Odoo is serving database $DB
       URL:     http://127.0.0.1:$PORT/web/login
       Login:   admin / admin
       Jobs:    queue_job runner $runner (channels in odoo.conf, [queue_job])
       Log:     $LOG
       Stripe:  localstripe on $LS_URL (log $LS_LOG), backend "Stripe (localstripe demo)"
       CRM:     fake HubSpot on $HS_URL (log $HS_LOG), backend "HubSpot (demo)"
       Stop:    make stop DB=$DB
MSG
