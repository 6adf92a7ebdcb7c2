"""Deferred revenue reports benchmark: the waterfall and the roll-forward over 1,000,000
schedule rows, queried as the web client does.

One run, in its own database, generated as by the recognition benchmark
(``tests/bench/recognition/run.py``, whose setup this reuses): ``--lines / 12`` yearly
schedules over ``--partners`` customers, half of them from January and half from February,
January and February recognized (one entry each). Then, each ``--repeat`` times, the best
time kept:

* waterfall pivot: ``formatted_read_grouping_sets`` of the amount by billed month and
  recognition month (the four grouping sets the pivot asks for), then by customer;
* waterfall graph: ``formatted_read_group`` by recognition month and state;
* roll-forward list: ``web_search_read`` of its first 80 rows with every column;
* roll-forward pivot: ``formatted_read_grouping_sets`` of every measure by month.

Targets: each report < 3 s. A miss does not fail the run; totals that do not add up do.

    .venv/bin/python tests/bench/reports/run.py [--lines 1000000] [--repeat 3]
    .venv/bin/python tests/bench/reports/run.py --lines 24000    # a quick check
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import benchkit  # noqa: E402

# The recognition benchmark's database, setup and generator, shared rather than copied.
from recognition import run as recognition  # noqa: E402

NAME = "reports"
say = benchkit.sayer(NAME)
TARGET_LINES = 1_000_000
TARGET_SECONDS = 3.0
WATERFALL_MEASURES = ["__count", "amount:sum"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--lines", type=int, default=int(os.environ.get("BENCH_LINES", str(TARGET_LINES)))
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--partners", type=int, default=1000)
    benchkit.add_database_options(parser, "saas_bench_reports", reuse=False)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--until", help=argparse.SUPPRESS)
    # The recognition phases read these names.
    parser.add_argument("--schedules", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--sample", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.schedules = args.schedules or max(1, -(-args.lines // 12))
    args.sample = args.sample if args.sample is not None else args.schedules // 2
    args.run_dir = benchkit.run_dir(NAME)
    return args


def best_of(repeat, query):
    """Best time of ``repeat`` runs of ``query`` and its last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.monotonic()
        result = query()
        best = min(best, time.monotonic() - started)
    return best, result


def phase_reports(env, args):
    waterfall = env["saas.revenue.waterfall"]
    rollforward = env["saas.revenue.rollforward"]
    rows, columns = "billed_month:month", "recognition_month:month"
    before = benchkit.snapshot()
    timings = {}
    timings["waterfall pivot"], pivot = best_of(
        args.repeat,
        lambda: waterfall.formatted_read_grouping_sets(
            [], [[], [rows], [columns], [rows, columns]], WATERFALL_MEASURES
        ),
    )
    timings["waterfall by customer"], _groups = best_of(
        args.repeat,
        lambda: waterfall.formatted_read_grouping_sets(
            [], [[], ["partner_id"], [columns], ["partner_id", columns]], WATERFALL_MEASURES
        ),
    )
    timings["waterfall graph"], _groups = best_of(
        args.repeat,
        lambda: waterfall.formatted_read_group([], [columns, "state"], WATERFALL_MEASURES),
    )
    # Every amount column of the roll-forward: the list shows them all, the pivot sums them.
    amounts = [name for name, field in rollforward._fields.items() if field.type == "monetary"]
    shown = ["company_id", "account_id", "date", "company_currency_id", *amounts]
    specification = {name: {} for name in shown}
    timings["roll-forward list"], listed = best_of(
        args.repeat,
        lambda: rollforward.web_search_read([], specification, limit=80, count_limit=10001),
    )
    timings["roll-forward pivot"], rolled = best_of(
        args.repeat,
        lambda: rollforward.formatted_read_grouping_sets(
            [], [[], ["date:month"]], [f"{name}:sum" for name in amounts]
        ),
    )
    total = pivot[0][0]
    return {
        "timings": timings,
        "rows": total["__count"],
        "waterfall_total": total["amount:sum"],
        "rollforward_rows": listed["length"],
        "difference": rolled[0][0]["difference:sum"],
        "others_cpu": benchkit.others_share(before, benchkit.snapshot()),
    }


def run_child(args):
    recognition.PHASES["reports"] = phase_reports
    recognition.run_child(args)


def main():
    args = parse_args()
    if args.child:
        return run_child(args)
    conf, _setup = recognition.prepare(args, NAME)
    try:
        for month_end in (recognition.FIRST_MONTH_END, recognition.MEASURED_MONTH_END):
            recognition.child(args, conf, "fast", month_end)
        # What autovacuum does after such a month-end, before anyone opens a report.
        benchkit.postgres(args.db, "ANALYZE")
        figures = recognition.child(args, conf, "reports")
    finally:
        if not args.keep_db:
            benchkit.drop_db(args.db)

    rows = args.schedules * 12
    problems = []
    if figures["rows"] != rows:
        problems.append(f"the waterfall has {figures['rows']} rows, expected {rows}")
    if round(figures["waterfall_total"], 2) != args.schedules * recognition.YEARLY_AMOUNT:
        problems.append(f"the waterfall totals {figures['waterfall_total']}")
    if round(figures["difference"], 2):
        problems.append(f"the roll-forward differs from the ledger by {figures['difference']}")
    say(f"{rows:,} schedule rows, {figures['rollforward_rows']} roll-forward rows")
    if figures["others_cpu"] > benchkit.BUSY_WARNING:
        say(f"others kept {figures['others_cpu']:.0%} of the CPUs busy: figures disturbed")
    projection = "" if rows >= TARGET_LINES else f", {rows:,} rows (target at {TARGET_LINES:,})"
    for report, seconds in figures["timings"].items():
        say(
            f"{benchkit.verdict(seconds < TARGET_SECONDS)} {report}: {seconds:.2f} s "
            f"(< {TARGET_SECONDS:.0f} s{projection})",
        )
    for problem in problems:
        say(f"INCONSISTENT {problem}")
    print(json.dumps(figures["timings"]), flush=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
