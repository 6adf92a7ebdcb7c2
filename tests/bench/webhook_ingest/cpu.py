"""How much CPU others took while the bench ran.

On a shared machine another process's load lowers every figure; a figure is only worth
comparing with the share of the CPUs others used meanwhile. "Ours" is this process and all its
descendants (wrk, the servers and their workers) plus the PostgreSQL backends serving the
bench database; everything else busy on the machine is "others".
"""

import os
from collections import defaultdict
from pathlib import Path

# Fields of /proc/<pid>/stat after the command name, counted from "state" = 0.
PPID, UTIME, STIME, CUTIME, CSTIME = 1, 11, 12, 13, 14


def _system_ticks():
    ticks = [int(value) for value in Path("/proc/stat").read_text().split()[1:9]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return sum(ticks) - idle, sum(ticks)


def _processes():
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        table[int(entry.name)] = (
            int(fields[PPID]),
            int(fields[UTIME]) + int(fields[STIME]),
            int(fields[CUTIME]) + int(fields[CSTIME]),
        )
    return table


def snapshot(extra_pids=()):
    """``(busy ticks, all ticks, ticks used by ours)`` now, for :func:`others_share`."""
    busy, total = _system_ticks()
    table = _processes()
    children = defaultdict(list)
    for pid, (ppid, _used, _reaped) in table.items():
        children[ppid].append(pid)
    me = os.getpid()
    ours, pending = set(), [me]
    while pending:
        pid = pending.pop()
        ours.add(pid)
        pending.extend(children[pid])
    ours.update(pid for pid in extra_pids if pid in table)
    # Children already reaped (each wrk run) count through this process's cutime/cstime.
    used = sum(table[pid][1] for pid in ours) + table[me][2]
    return busy, total, used


def ours_seconds(before, after):
    """CPU seconds our processes used between two snapshots."""
    return (after[2] - before[2]) / os.sysconf("SC_CLK_TCK")


def others_share(before, after):
    """Share of all CPUs that processes other than ours kept busy between two snapshots."""
    busy, total, ours = (late - early for early, late in zip(before, after, strict=True))
    return max(0.0, (busy - ours) / total) if total else 0.0
