"""Crashes during a storm: while contact events pour in over several connections, a server
worker (an HTTP worker or the job runner) is killed with SIGKILL twenty times, and once the
whole server, which is then started again. The senders retry until acknowledged, as providers
do. Nothing acknowledged may be lost, nothing applied twice, and the queue must drain: jobs
cut short are found dead by queue_job's runner and run again."""

import os
import random
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
    duplicate_partners,
    event_states,
    expected_books,
    say,
    shuffled_copies,
)

SIZES = {"small": (40, 5, 5), "full": (200, 5, 20)}  # contacts by versions, worker kills


def _kill_workers(campaign, kills, stop, killed):
    """Kill a random worker of the server ``kills`` times, spread over the storm; then the
    whole server once, and start it again."""
    rng = random.Random(kills)
    while len(killed) < kills and not stop.is_set():
        time.sleep(rng.uniform(0.3, 1.5))
        workers = [
            pid for pid in benchkit.descendants(campaign.server.pid) if pid != campaign.server.pid
        ]
        if workers:
            victim = rng.choice(workers)
            try:
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)
            except ProcessLookupError:
                pass
    if stop.is_set():
        return
    os.killpg(campaign.server.pid, signal.SIGKILL)
    campaign.server.wait()
    killed.append("server")
    time.sleep(2)
    campaign.start()


def run(campaign):
    contacts, versions, kills = SIZES[campaign.scale]
    run_id = uuid.uuid4().hex[:6]
    events = contact_history(run_id, contacts, versions)
    say(f"crash: {len(events)} events, each twice; {kills} workers killed, then the server")
    sender = Sender(campaign.endpoint("test"), connections=6)
    stop, killed = threading.Event(), []
    killer = threading.Thread(target=_kill_workers, args=(campaign, kills, stop, killed))
    killer.start()
    try:
        # Twice each: what a provider does when it cannot tell whether a delivery landed.
        sender.deliver_all(shuffled_copies(events, 2, seed=len(events)))
    finally:
        killer.join()
        stop.set()
    drained = campaign.wait_drained("test")

    acknowledged = set(sender.acknowledged)
    stored = {
        row[0]
        for row in campaign.sql(
            "SELECT external_id FROM saas_event WHERE backend_id = %s AND external_id LIKE %s",
            (campaign.backends["test"]["id"], f"evt_{run_id}_%"),
        )
    }
    states = event_states(campaign, "test", run_id)
    final = books(campaign, "test", run_id)
    expected = expected_books(events, run_id)
    wrong = sum(1 for contact in expected if final.get(contact) != expected[contact])
    duplicates = duplicate_partners(campaign, run_id)
    dead = campaign.sql(
        "SELECT count(*) FROM queue_job WHERE exc_name = 'JobFoundDead' AND state = 'failed'"
    )[0][0]
    return [
        Figure("kills (workers, then the server)", len(killed), len(killed) == kills + 1),
        Figure("answers by status", dict(sender.answers)),
        Figure("acknowledged events lost", len(acknowledged - stored), not acknowledged - stored),
        Figure(
            "event states (settled: applied, or stale)", states, set(states) <= {"done", "stale"}
        ),
        Figure("contacts whose books differ from an in-order delivery", wrong, wrong == 0),
        Figure("duplicate partners", len(duplicates), not duplicates),
        Figure("jobs failed as found dead", dead, dead == 0),
        Figure("seconds to drain after the storm", round(drained, 1)),
    ]
