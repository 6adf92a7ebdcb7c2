"""Scale-out on two nodes: two servers on one database, each with its workers and its
queue_job runner, the senders spread over both as a load balancer would. A storm on one
node, then the same on two (how long each takes to be stored and settled), then a storm
during which one node is killed with SIGKILL and the other finishes. Whatever the nodes,
every event is stored once and applied in its object's order: the books are those of an
in-order delivery, and no partner exists twice."""

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
    duplicate_partners,
    event_states,
    expected_books,
    say,
    settled,
    shuffled_copies,
)

SIZES = {"small": (40, 5), "full": (500, 10)}  # contacts by versions: 200 and 5,000 events


def _storm(campaign, endpoints, contacts, versions, kill=None):
    """A storm of every event twice, shuffled, on ``endpoints``; ``kill`` is called halfway.
    Returns the run id, the events, the sender and the seconds until all were settled."""
    run_id = uuid.uuid4().hex[:6]
    events = contact_history(run_id, contacts, versions)
    sender = Sender(endpoints, connections=8, give_up_after=300)
    started = time.monotonic()
    if kill:
        threading.Timer(1.0, kill).start()
    sender.deliver_all(shuffled_copies(events, 2, seed=len(events)))
    campaign.wait_drained("test")
    return run_id, events, sender, time.monotonic() - started


def _figures(campaign, label, run_id, events, sender):
    stored = campaign.event_count("test", f"{run_id}_")
    expected = expected_books(events, run_id)
    final = books(campaign, "test", run_id)
    wrong = sum(1 for contact in expected if final.get(contact) != expected[contact])
    duplicates = duplicate_partners(campaign, run_id)
    lost = set(sender.acknowledged) - {
        row[0]
        for row in campaign.sql(
            "SELECT external_id FROM saas_event WHERE external_id LIKE %s", (f"evt_{run_id}_%",)
        )
    }
    states = settled(event_states(campaign, "test", run_id))
    return [
        Figure(f"{label}: answers by status", dict(sender.answers)),
        Figure(f"{label}: acknowledged events lost", len(lost), not lost),
        Figure(f"{label}: events stored (each once)", stored, stored == len(events)),
        Figure(f"{label}: {states.label}", states.value, states.passed),
        Figure(
            f"{label}: contacts whose books differ from an in-order delivery", wrong, not wrong
        ),
        Figure(f"{label}: duplicate partners", len(duplicates), not duplicates),
    ]


def run(campaign):
    contacts, versions = SIZES[campaign.scale]
    say(f"two nodes: storms of {contacts * versions} events, each twice")
    one = campaign.endpoint("test")
    run_id, events, sender, alone = _storm(campaign, [one], contacts, versions)
    figures = _figures(campaign, "one node", run_id, events, sender)

    node, url = campaign.second_node()
    try:
        two = [one, one.replace(campaign.url, url)]
        run_id, events, sender, together = _storm(campaign, two, contacts, versions)
        figures += _figures(campaign, "two nodes", run_id, events, sender)
        ratio = alone / together
        # Two nodes on the same two CPUs can only share them: the target is to lose nothing
        # to their contention on the database (at least one node's throughput).
        figures.append(
            Figure(
                "two nodes' throughput / one node's",
                round(ratio, 2),
                ratio >= 1.0 if campaign.scale == "full" else None,
            )
        )

        def kill_second_node():
            os.killpg(node.pid, signal.SIGKILL)

        run_id, events, sender, _seconds = _storm(
            campaign, two, contacts, versions, kill=kill_second_node
        )
        figures += _figures(campaign, "one of two nodes killed", run_id, events, sender)
    finally:
        if node.poll() is None:
            benchkit.stop(node)
    dead = campaign.sql(
        "SELECT count(*) FROM queue_job WHERE exc_name = 'JobFoundDead' AND state = 'failed'"
    )[0][0]
    figures.append(Figure("jobs failed as found dead", dead, dead == 0))
    return figures
