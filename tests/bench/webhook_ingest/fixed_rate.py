"""An open-loop load generator: requests start on a fixed schedule whatever the server does.

wrk sends the next request when the previous one is answered, so a slow answer delays the
requests behind it and they never show up as slow (coordinated omission). Here request i is
due at start + i / rate and its latency counts from that moment, waiting for a free connection
included. Debian has no wrk2, hence this.
"""

import http.client
import queue
import threading
import time


def percentile(sorted_values, fraction):
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[index]


def run(host, port, requests, *, rate, duration, connections=8, grace=5.0):
    """POST ``requests`` (a list of ``(path, headers, body)``) at ``rate`` per second for
    ``duration`` seconds over up to ``connections`` concurrent connections.

    A server slower than ``rate`` makes the backlog grow without end: requests still waiting
    ``grace`` seconds after the schedule's end are dropped and counted as ``skipped``.
    Returns ``{"sent", "skipped", "duration_s", "p50_ms", "p99_ms", "max_ms", "statuses",
    "errors"}``.
    """
    total = min(len(requests), int(rate * duration))
    due = queue.Queue()
    latencies, statuses, errors, skipped = [], {}, [], []
    lock = threading.Lock()
    deadline = time.perf_counter() + duration + grace

    def worker():
        connection = http.client.HTTPConnection(host, port, timeout=10)
        while True:
            item = due.get()
            if item is None:
                return
            scheduled, (path, headers, body) = item
            if time.perf_counter() > deadline:
                with lock:
                    skipped.append(scheduled)
                continue
            try:
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
                if response.will_close:
                    connection.close()
            except OSError as error:
                connection.close()
                with lock:
                    errors.append(repr(error))
                continue
            elapsed = time.perf_counter() - scheduled
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1

    workers = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for thread in workers:
        thread.start()
    start = time.perf_counter()
    for index in range(total):
        scheduled = start + index / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        due.put((scheduled, requests[index]))
    for _ in workers:
        due.put(None)
    for thread in workers:
        thread.join()
    latencies.sort()
    return {
        "sent": total - len(skipped),
        "skipped": len(skipped),
        "duration_s": time.perf_counter() - start,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": (latencies[-1] if latencies else 0.0) * 1000,
        "statuses": statuses,
        "errors": errors,
    }
