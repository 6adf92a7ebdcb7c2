"""Duplicates and disorder at volume: a history of contact changes delivered once in source
order to one backend, and every event three times, shuffled, over several connections to
another. Both backends must end with the same books: per contact, the partner of its last
version (archived when its last event deleted it), and no partner twice."""

import uuid

from chaoskit import (
    Figure,
    Sender,
    books,
    contact_history,
    duplicate_partners,
    event_states,
    say,
    shuffled_copies,
)

SIZES = {"small": (60, 5), "full": (1000, 10)}  # contacts by versions: 300 and 10,000 events


def run(campaign):
    contacts, versions = SIZES[campaign.scale]
    run_id, reference_id = uuid.uuid4().hex[:6], uuid.uuid4().hex[:6]
    events = contact_history(run_id, contacts, versions)
    say(f"disorder: {len(events)} events in order to one backend, three times shuffled to another")

    in_order = Sender(campaign.endpoint("test_b"), connections=1)
    for event in contact_history(reference_id, contacts, versions):
        in_order.deliver(event)
    disorderly = Sender(campaign.endpoint("test"), connections=8)
    disorderly.deliver_all(shuffled_copies(events, 3, seed=len(events)))
    drained = campaign.wait_drained("test")
    campaign.wait_drained("test_b")

    expected = books(campaign, "test_b", reference_id)
    actual = books(campaign, "test", run_id)
    differing = sum(
        1
        for contact in expected.keys() | actual.keys()
        if expected.get(contact) != actual.get(contact)
    )
    stored = campaign.event_count("test", f"{run_id}_")
    states = event_states(campaign, "test", run_id)
    duplicates = duplicate_partners(campaign, run_id)
    return [
        Figure("deliveries (answers by status)", dict(disorderly.answers)),
        Figure("events stored (each once)", stored, stored == len(events)),
        Figure(
            "event states (settled: applied, or stale)", states, set(states) <= {"done", "stale"}
        ),
        Figure("contacts in the in-order books", len(expected), len(expected) == contacts),
        Figure(
            "contacts whose books differ from the in-order delivery", differing, differing == 0
        ),
        Figure("duplicate partners", len(duplicates), not duplicates),
        Figure("seconds to drain after the last delivery", round(drained, 1)),
    ]
