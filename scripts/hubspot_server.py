"""Serve the fake HubSpot of the end-to-end tests (``tests/e2e/hubspot_peer.py``) for the demo,
on a fixed port, with its records kept in a file across restarts.

    HUBSPOT_STORE=.run/hubspot-saas_demo.pickle .venv/bin/python scripts/hubspot_server.py \
        --port 8269

Its REST API and its signed webhooks are the peer's, unchanged. Next to them, what a person
does in HubSpot's screens is done over a small loopback-only API of its own, the way
localstripe is configured through ``/_config``:

- ``POST /_config/webhook`` ``{"url", "subscriptions": [...]}``: the private app's webhook
  target and subscriptions (``deal.creation``, ``deal.propertyChange``, ``deal.deletion``…);
- ``POST /_config/objects/{type}`` ``{"properties", "associations": [[type, id, primary]]}``:
  a user creates a record (its events come from the CRM, not from an app);
- ``PATCH /_config/objects/{type}/{id}`` ``{"properties"}``: a user edits one.

The store is written after every change, aside then renamed, so that ``make stop`` at any
moment leaves the last whole state: the deals Odoo activated are still there at the next
``make demo``, with what Odoo wrote back to them.
"""

import argparse
import itertools
import os
import pickle
import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))

from crm_peer_server import json_response
from hubspot_peer import HubSpotError, HubSpotPeer

STORE = os.environ["HUBSPOT_STORE"]
# What makes the portal: records, associations, properties and pipelines, and where its
# webhooks go. Counters are kept as their next value.
STATE = (
    "objects",
    "associations",
    "properties",
    "property_groups",
    "pipelines",
    "webhook_url",
    "subscriptions",
)


class DemoHubSpot(HubSpotPeer):
    def handle(self, request):
        if not request.path.startswith("/_config/"):
            response = super().handle(request)
        else:
            try:
                response = json_response(200, self._configure(request))
            except HubSpotError as error:
                response = json_response(error.status, self._error(error))
        if request.method != "GET":
            self.save()
        return response

    def _configure(self, request):
        parts = request.path.strip("/").split("/")
        body = request.json() or {}
        if parts == ["_config", "webhook"] and request.method == "POST":
            self.subscribe(body["url"], *body.get("subscriptions", ()))
            return {"url": self.webhook_url, "subscriptions": self.subscriptions}
        if parts[:2] == ["_config", "objects"] and len(parts) == 3 and request.method == "POST":
            associations = [tuple(item) for item in body.get("associations", ())]
            return self.crm_create(parts[2], body.get("properties", {}), associations)
        if parts[:2] == ["_config", "objects"] and len(parts) == 4 and request.method == "PATCH":
            return self.crm_update(parts[2], parts[3], body.get("properties", {}))
        raise HubSpotError(404, "OBJECT_NOT_FOUND", f"no {request.method} {request.path}")

    def save(self):
        state = {name: getattr(self, name) for name in STATE}
        state["ids"] = {kind: next(counter) for kind, counter in self._ids.items()}
        state["event_ids"] = {key: next(counter) for key, counter in self._event_ids.items()}
        # Reading a counter advances it: it is set back to the value saved.
        self._restore_counters(state)
        with open(f"{STORE}.tmp", "wb") as file:
            pickle.dump(state, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(f"{STORE}.tmp", STORE)

    def load(self):
        try:
            with open(STORE, "rb") as file:
                state = pickle.load(file)
        except FileNotFoundError:
            return
        for name in STATE:
            setattr(self, name, state[name])
        self._restore_counters(state)

    def _restore_counters(self, state):
        """The id counters, each going on from its value in ``state``."""
        self._ids = {kind: itertools.count(value) for kind, value in state["ids"].items()}
        self._event_ids = {
            key: itertools.count(value) for key, value in state["event_ids"].items()
        }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    peer = DemoHubSpot()
    peer.load()
    peer.start(args.port)
    print(f"fake HubSpot on {peer.url} (store {STORE})", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    while not stopped.wait(1):
        pass
    # Webhooks still waiting are HubSpot's to retry: a stopped demo drops them.
    peer.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
