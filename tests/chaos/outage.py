"""A database outage during a storm: while contact events pour in, PostgreSQL becomes
unreachable twice — connections refused and the open ones dropped for a few seconds, then
the server's connections terminated with the database still up. While storing is impossible
the route must answer 503 and nothing else (a 404 or a 500 is final for some providers);
once it is back, every event the senders retry lands exactly once and is processed."""

import os
import signal
import threading
import time
import uuid

import benchkit
from chaoskit import (
    Figure,
    Sender,
    books,
    contact_history,
    event_states,
    expected_books,
    say,
)

# Seconds within which the events of the storm are all settled once it ends.
DRAIN_TARGET = 60
SIZES = {"small": (40, 5, 3), "full": (200, 10, 10)}  # contacts by versions, outage seconds


def _outages(campaign, seconds, done):
    time.sleep(1)
    campaign.proxy.cut()
    # A worker lost meanwhile (recycled, crashed, killed): the server spawns another while
    # the database is still away.
    workers = [
        pid for pid in benchkit.descendants(campaign.server.pid) if pid != campaign.server.pid
    ]
    os.kill(workers[0], signal.SIGKILL)
    time.sleep(seconds)
    campaign.proxy.start()
    time.sleep(seconds)
    # Backends terminated (a failover, an administrator's pg_terminate_backend): the server
    # reconnects on its own.
    campaign.sql(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE datname = %s AND pid <> pg_backend_pid()",
        (campaign.db,),
    )
    done.set()


def run(campaign):
    contacts, versions, seconds = SIZES[campaign.scale]
    run_id = uuid.uuid4().hex[:6]
    events = contact_history(run_id, contacts, versions)
    say(f"outage: {len(events)} events; the database away {seconds} s, then its sessions killed")
    sender = Sender(campaign.endpoint("test"), connections=6, give_up_after=120)
    done = threading.Event()
    outages = threading.Thread(target=_outages, args=(campaign, seconds, done))
    outages.start()
    # Slow enough that the storm outlasts both outages.
    pace = (2 * seconds + 3) / len(events)
    for start in range(0, len(events), 6):
        sender.deliver_all(events[start : start + 6])
        time.sleep(pace * 6)
    outages.join()
    drained = campaign.wait_drained("test")

    answers = dict(sender.answers)
    unexpected = {status: count for status, count in answers.items() if status not in (200, 503)}
    stored = campaign.event_count("test", f"{run_id}_")
    expected = expected_books(events, run_id)
    final = books(campaign, "test", run_id)
    wrong = sum(1 for contact in expected if final.get(contact) != expected[contact])
    states = event_states(campaign, "test", run_id)
    return [
        Figure(
            "server still running", campaign.server.poll() is None, campaign.server.poll() is None
        ),
        Figure("answers by status", answers),
        Figure("answers other than 200 or 503", sum(unexpected.values()), not unexpected),
        Figure("503 answers during the outages", answers.get(503, 0), answers.get(503, 0) > 0),
        Figure("events stored (each once)", stored, stored == len(events)),
        Figure(
            "event states (settled: applied, or stale)", states, set(states) <= {"done", "stale"}
        ),
        Figure("contacts whose books differ from an in-order delivery", wrong, wrong == 0),
        # Jobs cut off by the outage run again within seconds, not at the periodic sweep.
        Figure("seconds to drain after the storm", round(drained, 1), drained < DRAIN_TARGET),
    ]
