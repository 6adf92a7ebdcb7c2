#!/usr/bin/env bash
# Prepare everything `make demo`, `make test` and `make lint` need: the Odoo 19.0 source, the
# Debian build packages, a virtualenv, a reachable PostgreSQL and a generated odoo.conf.
# Idempotent: a second run only checks and returns in a few seconds.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ODOO_SRC=${ODOO_SRC:-$HOME/src/odoo-19.0}
VENV=${VENV:-$ROOT/.venv}
PORT=${PORT:-8069}
GEVENT_PORT=${GEVENT_PORT:-$((PORT + 3))}
DB=${DB:-saas_demo}
PYTHON=${PYTHON:-python3}
ODOO_UPSTREAM=https://github.com/odoo/odoo
DEB_BUILD_PACKAGES="libldap2-dev libsasl2-dev libpq-dev gcc"
# The browser of the tour tests (Odoo's HttpCase.start_tour). Pinned: Chromium 156 times out on
# a stock Odoo tour, 150 passes them all. Without a browser those tests fail.
CHROMIUM_VERSION=150.0.7871.100-1~deb12u1

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

# --- Odoo source -----------------------------------------------------------------------------
ensure_odoo_source() {
    if [ -x "$ODOO_SRC/odoo-bin" ]; then
        return
    fi
    say "no Odoo source at $ODOO_SRC; trying a shallow clone of $ODOO_UPSTREAM (19.0)"
    if timeout 900 git clone --quiet --depth 1 --branch 19.0 "$ODOO_UPSTREAM" "$ODOO_SRC.part" 2>/dev/null; then
        mv "$ODOO_SRC.part" "$ODOO_SRC"
        return
    fi
    rm -rf "$ODOO_SRC.part"
    die "Odoo 19.0 source not found at $ODOO_SRC and it could not be cloned.
  Put an Odoo 19.0 source tree there (the directory holding odoo-bin), e.g.
      git clone --depth 1 --branch 19.0 $ODOO_UPSTREAM $ODOO_SRC
  or point ODOO_SRC at an existing one: make test ODOO_SRC=/path/to/odoo"
}

# --- Debian build packages -------------------------------------------------------------------
ensure_debian_packages() {
    command -v dpkg-query >/dev/null || return 0
    local missing=""
    for pkg in $DEB_BUILD_PACKAGES; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
    done
    [ -z "$missing" ] && return
    if [ "$(id -u)" != 0 ]; then
        die "missing Debian packages:$missing — install them: sudo apt-get install$missing"
    fi
    say "installing Debian packages:$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
    restart_postgres_if_down
}

# apt may upgrade the PostgreSQL server under a running cluster: restart it if it stopped
# answering (see README, "PostgreSQL").
restart_postgres_if_down() {
    if ! pg_reachable && command -v pg_lsclusters >/dev/null; then
        say "restarting PostgreSQL after the package upgrade"
        pg_lsclusters -h | while read -r ver name _; do
            pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" restart || true
        done
    fi
}

# --- browser for the tour tests --------------------------------------------------------------
ensure_browser() {
    local bin
    for bin in google-chrome chromium chromium-browser google-chrome-stable; do
        command -v "$bin" >/dev/null && return
    done
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        say "WARNING: no Chromium: the browser tests will fail — install it:" \
            "sudo apt-get install chromium=$CHROMIUM_VERSION chromium-common=$CHROMIUM_VERSION"
        return
    fi
    say "installing Chromium $CHROMIUM_VERSION for the browser tests"
    apt-get update -qq
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            "chromium=$CHROMIUM_VERSION" "chromium-common=$CHROMIUM_VERSION" >/dev/null; then
        say "Chromium $CHROMIUM_VERSION is not available here; installing the distribution's"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    fi
    restart_postgres_if_down
}

# --- virtualenv ------------------------------------------------------------------------------
venv_fingerprint() {
    cat "$ODOO_SRC/requirements.txt" "$ROOT/requirements.txt" "$ROOT/scripts/setup.sh" | sha256sum | cut -d' ' -f1
}

# pip, minus the warnings about package mirrors listed in a machine-wide pip.conf that do not
# exist on this machine: they are noise, not problems of this project.
pip_install() {
    "$VENV/bin/pip" install -q "$@" 2> >(grep -v "is ignored: it is neither" >&2)
}

ensure_venv() {
    local stamp="$VENV/.saas-setup-stamp" fingerprint
    fingerprint=$(venv_fingerprint)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$fingerprint" ]; then
        return
    fi
    say "building the virtualenv in $VENV (a few minutes the first time)"
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    # Odoo's pins as constraints keep lxml, cryptography, requests… at the versions Odoo is
    # tested with; the three extra pins are needed on Python 3.11 (see README, "Setup details").
    # PIP_CONSTRAINT (not -c) so that pip's isolated build environments obey them too.
    {
        grep -v '^\s*#' "$ODOO_SRC/requirements.txt"
        echo "setuptools<81"
        echo "zope.interface==7.2"
        echo "zope.event==5.0"
    } >"$VENV/constraints.txt"
    export PIP_CONSTRAINT="$VENV/constraints.txt" PIP_DISABLE_PIP_VERSION_CHECK=1
    pip_install "setuptools<81" wheel
    pip_install -r "$ODOO_SRC/requirements.txt"
    pip_install -e "$ODOO_SRC" --config-settings editable_mode=compat
    pip_install -r "$ROOT/requirements.txt"
    echo "$fingerprint" >"$stamp"
}

# localstripe, the Stripe peer of the end-to-end tests, runs in a virtualenv of its own: its
# aiohttp stack must not meet Odoo's pins.
ensure_localstripe() {
    local venv="$ROOT/.venv-localstripe" stamp fingerprint
    stamp="$venv/.saas-setup-stamp"
    fingerprint=$(sha256sum "$ROOT/tests/e2e/requirements.txt" | cut -d' ' -f1)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$fingerprint" ]; then
        return
    fi
    say "building $venv for the Stripe peer of the end-to-end tests"
    [ -x "$venv/bin/python" ] || "$PYTHON" -m venv "$venv"
    "$venv/bin/pip" install -q -r "$ROOT/tests/e2e/requirements.txt" 2> >(grep -v "is ignored: it is neither" >&2)
    echo "$fingerprint" >"$stamp"
}

# --- PostgreSQL ------------------------------------------------------------------------------
pg_reachable() {
    "${VENV}/bin/python" - <<'PY' 2>/dev/null || psql -Atqc 'select 1' postgres >/dev/null 2>&1
import psycopg2
psycopg2.connect(dbname="postgres").close()
PY
}

ensure_postgres() {
    pg_reachable && return
    die "PostgreSQL is not reachable with the current libpq settings (PGHOST=${PGHOST:-<socket>}, PGPORT=${PGPORT:-5432}, PGUSER=${PGUSER:-$(id -un)}).
  Start it, e.g.: pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start
  and make sure a role named like your OS user exists (Odoo refuses to connect as 'postgres')."
}

# --- master key and odoo.conf ----------------------------------------------------------------
ensure_master_key() {
    # Secrets stored by the connector are encrypted with this key. It never goes to git: taken
    # from SAAS_MASTER_KEY when set, otherwise generated once into a git-ignored file.
    local keyfile="$ROOT/.saas_master_key"
    if [ -n "${SAAS_MASTER_KEY:-}" ]; then
        MASTER_KEY_LINE=""
        return
    fi
    if [ ! -s "$keyfile" ]; then
        "$VENV/bin/python" -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())' >"$keyfile"
        chmod 600 "$keyfile"
        say "generated a local master key in $keyfile (keep it: secrets in the database need it)"
    fi
    MASTER_KEY_LINE="saas_master_key = $(cat "$keyfile")"
}

write_odoo_conf() {
    local conf="$ROOT/odoo.conf" tmp
    tmp=$(mktemp)
    sed -e "s#@ADDONS_PATH@#$ODOO_SRC/addons,$ROOT/addons,$ROOT/tests/addons#" \
        -e "s#@DB@#$DB#" \
        -e "s#@PORT@#$PORT#" \
        -e "s#@GEVENT_PORT@#$GEVENT_PORT#" \
        -e "s#@DATA_DIR@#$ROOT/.odoo-data#" \
        -e "s#@MASTER_KEY_LINE@#$MASTER_KEY_LINE#" \
        "$ROOT/odoo.conf.template" >"$tmp"
    if ! cmp -s "$tmp" "$conf"; then
        mv "$tmp" "$conf"
        chmod 600 "$conf"
        say "wrote $conf"
    else
        rm -f "$tmp"
    fi
}

ensure_odoo_source
ensure_debian_packages
ensure_browser
ensure_venv
ensure_localstripe
ensure_postgres
ensure_master_key
write_odoo_conf
