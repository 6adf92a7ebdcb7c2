"""Start localstripe with its state kept in a file of the caller's choice.

Run with localstripe's own interpreter, the file in ``LOCALSTRIPE_STORE``:

    LOCALSTRIPE_STORE=.run/localstripe-saas_demo.pickle \
        .venv-localstripe/bin/python scripts/localstripe_server.py --port 8169

localstripe saves every change to ``/tmp/localstripe.pickle`` and reloads it at start unless
``--from-scratch``: one file shared by every instance on the machine (the end-to-end tests',
another checkout's demo). The demo needs its own Stripe to outlive ``make stop`` — the book in
Odoo must still be the book in Stripe when reconciliation compares them — so its store is
pointed at a file of its own; everything else is localstripe unchanged.
"""

import os
import pickle

from localstripe import resources, server

STORE = os.environ["LOCALSTRIPE_STORE"]


def load(store):
    try:
        with open(STORE, "rb") as file:
            saved = pickle.load(file)
    except FileNotFoundError:
        return
    store.clear()
    store.update(saved)


def dump(store):
    # Written aside then renamed: a server stopped mid-write leaves the previous state whole.
    with open(f"{STORE}.tmp", "wb") as file:
        pickle.dump(store, file, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(f"{STORE}.tmp", STORE)


resources.Store.try_load_from_disk = load
resources.Store.dump_to_disk = dump

if __name__ == "__main__":
    server.start()
