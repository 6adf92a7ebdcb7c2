"""Waiting for asynchronous outcomes: webhooks arrive about a second after the API call and
are processed by the queue_job runner after that."""

import time


def wait_until(check, env, timeout=120, interval=0.5):
    """Poll ``check(env)`` in fresh transactions until it returns a truthy value. The timeout
    is generous: ``make test`` runs the books' property beside these tests on the same CPUs,
    and only a failure ever waits it out."""
    deadline = time.monotonic() + timeout
    while True:
        env.cr.rollback()
        env.invalidate_all()
        result = check(env)
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)


def settled(backend):
    """A check for :func:`wait_until`: the events of ``backend`` once none of them waits to
    be processed any more."""

    def check(env):
        events = env["saas.event"].search([("backend_id", "=", backend.id)])
        return all(event.state not in ("received", "queued") for event in events) and events

    return check
