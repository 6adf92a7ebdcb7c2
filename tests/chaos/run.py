"""The chaos campaign: what the suite promises — nothing received is lost, nothing is booked
twice, bad input never breaks it, nobody reaches what is not theirs — tried on a real server
the way an attacker and an unlucky operator would. Each scenario prints its figures with
PASS or MISS; the run exits non-zero when a figure misses (unlike a benchmark, every figure
here is a correctness property, not a speed).

    .venv/bin/python tests/chaos/run.py [--scale small|full] [--only crash,outage] [--keep-db]

``--scale small`` (CI, a few minutes) runs a small scenario of each kind; ``full`` (``make
chaos``) the whole campaign: 10,000 events three times shuffled, 20 worker kills and one of
the server, outages during a storm, 10,000 bad deliveries.
"""

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bad_input  # noqa: E402
import benchkit  # noqa: E402
import chaoskit  # noqa: E402
import crash  # noqa: E402
import disorder  # noqa: E402
import outage  # noqa: E402
import secrets_access  # noqa: E402

SCENARIOS = {
    "disorder": disorder.run,
    "crash": crash.run,
    "outage": outage.run,
    "bad_input": bad_input.run,
    "secrets": secrets_access.run,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("small", "full"), default="full")
    parser.add_argument("--only", help=f"comma-separated, among {', '.join(SCENARIOS)}")
    benchkit.add_database_options(parser, "saas_chaos", port=8290, reuse=False)
    args = parser.parse_args()
    chosen = args.only.split(",") if args.only else list(SCENARIOS)
    unknown = set(chosen) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")

    # One folder per database: a campaign of `make test` and one of `make chaos` may run at once.
    run_dir = benchkit.ROOT / ".run" / "chaos" / args.db
    benchkit.empty_dir(run_dir)
    campaign = chaoskit.Campaign(args.db, args.port, run_dir, args.scale)
    campaign.prepare()
    misses = []
    campaign.start()
    try:
        for name in chosen:
            started = time.monotonic()
            figures = SCENARIOS[name](campaign)
            for figure in figures:
                mark = "" if figure.passed is None else benchkit.verdict(figure.passed)
                chaoskit.say(f"{name}: {figure.label}: {figure.value} {mark}".rstrip())
                if figure.passed is False:
                    misses.append(f"{name}: {figure.label}")
            chaoskit.say(f"{name}: done in {time.monotonic() - started:.0f} s")
    finally:
        campaign.stop()
        campaign.proxy.cut()
        if not args.keep_db:
            benchkit.drop_db(args.db)
    held = "every figure held" if not misses else f"{len(misses)} missed: {'; '.join(misses)}"
    chaoskit.say(f"{len(chosen)} scenarios at {args.scale} scale: {held}")
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
