"""Month-end revenue recognition benchmark: ``recognize_until`` over 100,000 active schedules
(one entry per company, journal, month and currency), its peak memory, and the naive way (one
entry per schedule) on a sample, extrapolated.

One run, in its own database:

1. ``saas_deferred_revenue`` installed with the generic chart of accounts; a deferred revenue
   account, the recognition journal, two deferrable products (two income accounts) and
   ``--partners`` customers, through the ORM;
2. one posted customer invoice whose two lines bill the total of all the schedules, then
   ``--schedules`` yearly schedules of 1,200.00 (100.00 a month) inserted with SQL, as the ORM
   would create them, on that invoice's lines; ``--sample`` of them start in January, the
   others in February (the shortcut: the schedules share the invoice lines instead of having
   an invoice each; recognition reads only schedules and their rows, and the ledger balances
   exactly as with one invoice per schedule, since the lines bill the schedules' total);
3. ``recognize_until`` of January (the sample's rows), then of February (a row of every
   schedule: the measured month-end), each in its own process for its time and peak RSS;
4. March of the sample the naive way: for each schedule an entry of its own, posted, and its
   row marked, through the ORM; its time times ``--schedules / --sample`` is what the naive
   way would take for the month-end of step 3;
5. a check that the ledger's deferred revenue is the schedules' unrecognized amount, that every
   month has one entry, and the figures with PASS/MISS per target.

Targets: the month-end of 100,000 schedules in < 60 s; memory flat (the peak RSS growth of the
100,000-row run at most twice that of the sample's run, or 64 MB more); at least 20 times
faster than the naive way. A miss does not fail the run; an inconsistency does.

    .venv/bin/python tests/bench/recognition/run.py [--schedules 100000] [--sample 10000]
    .venv/bin/python tests/bench/recognition/run.py --schedules 2000 --sample 200   # quick
"""

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import psycopg2

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import benchkit  # noqa: E402

NAME = "recognition"
say = benchkit.sayer(NAME)
MODULES = "saas_deferred_revenue"

YEARLY_AMOUNT = 1200  # 100.00 a month on the months basis
FIRST_MONTH_END, MEASURED_MONTH_END, NAIVE_MONTH_END = (
    date(2025, 1, 31),
    date(2025, 2, 28),
    date(2025, 3, 31),
)
TARGET_SECONDS = 60.0
TARGET_SCHEDULES = 100_000
TARGET_RATIO = 20.0
FLAT_FACTOR, FLAT_SLACK_MB = 2.0, 64.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    benchkit.add_database_options(parser, "saas_bench_recognition")
    parser.add_argument(
        "--schedules",
        type=int,
        default=int(os.environ.get("BENCH_SCHEDULES", str(TARGET_SCHEDULES))),
    )
    parser.add_argument("--sample", type=int, default=int(os.environ.get("BENCH_SAMPLE", "10000")))
    parser.add_argument("--partners", type=int, default=1000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--until", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.sample = min(args.sample, args.schedules)
    args.run_dir = benchkit.run_dir(NAME)
    return args


# ---------------------------------------------------------------------------------------------
# Database: configure through the ORM (in a child process), generate with SQL
# ---------------------------------------------------------------------------------------------
def child(args, conf, phase, until=None):
    """Run ``phase`` of this script in a process of its own: its figures, from its
    ``BENCH_JSON`` line."""
    command = [
        benchkit.PYTHON,
        str(Path(sys.argv[0]).resolve()),
        "--child",
        phase,
        "--db",
        args.db,
    ]
    command += ["--schedules", str(args.schedules), "--sample", str(args.sample)]
    command += ["--partners", str(args.partners)]
    if until:
        command += ["--until", until.isoformat()]
    env = {**os.environ, "BENCH_CONF": str(conf)}
    result = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    return json.loads(benchkit.marked(result.stdout + result.stderr, "BENCH_JSON "))


def generate(args, setup):
    """Insert the schedules and their rows as ``_create_for_invoice_lines`` would: yearly,
    100.00 a month, on the setup invoice's two lines (alternately), customers in turn. The
    first ``--sample`` start in January, the others in February. Returns seconds taken."""
    started = time.monotonic()
    cnx = psycopg2.connect(dbname=args.db)
    with cnx, cnx.cursor() as cr:
        # The invoice's own schedules are replaced by the generated ones.
        cr.execute("DELETE FROM saas_revenue_schedule WHERE move_id = %s", (setup["invoice_id"],))
        cr.execute(
            """
            INSERT INTO saas_revenue_schedule (
                move_line_id, move_id, company_id, partner_id, product_id, income_account_id,
                deferred_account_id, currency_id, basis, start_date, end_date, amount,
                amount_currency, billed_date, create_uid, write_uid, create_date, write_date)
            SELECT line.id, line.move_id, line.company_id,
                   (%(partners)s::int[])[1 + n %% cardinality(%(partners)s::int[])],
                   line.product_id, line.saas_deferred_income_account_id, line.account_id,
                   line.currency_id, 'months',
                   start_date, (start_date + interval '1 year - 1 day')::date,
                   %(amount)s, %(amount)s, line.date, 1, 1, now() at time zone 'UTC',
                   now() at time zone 'UTC'
              FROM generate_series(0, %(count)s - 1) AS n
              CROSS JOIN LATERAL (
                  SELECT CASE WHEN n < %(sample)s THEN date '2025-01-01'
                              ELSE date '2025-02-01' END AS start_date
              ) starts
              JOIN account_move_line line ON line.id = (%(lines)s::int[])[1 + n %% 2]
             ORDER BY n
            """,
            {
                "partners": setup["partner_ids"],
                "lines": setup["line_ids"],
                "amount": YEARLY_AMOUNT,
                "count": args.schedules,
                "sample": args.sample,
            },
        )
        cr.execute(
            """
            INSERT INTO saas_revenue_schedule_line (
                schedule_id, company_id, currency_id, partner_id, product_id, billed_date,
                subscription_id, date, amount, amount_currency, state,
                create_uid, write_uid, create_date, write_date)
            SELECT schedule.id, schedule.company_id, schedule.currency_id, schedule.partner_id,
                   schedule.product_id, schedule.billed_date, schedule.subscription_id,
                   (date_trunc('month', schedule.start_date) + (month || ' month')::interval
                    + interval '1 month - 1 day')::date,
                   schedule.amount / 12, schedule.amount_currency / 12, 'planned',
                   1, 1, now() at time zone 'UTC', now() at time zone 'UTC'
              FROM saas_revenue_schedule schedule
             CROSS JOIN generate_series(0, 11) AS month
             WHERE schedule.move_id = %s
             ORDER BY schedule.id, month
            """,
            (setup["invoice_id"],),
        )
        cr.execute("ANALYZE saas_revenue_schedule")
        cr.execute("ANALYZE saas_revenue_schedule_line")
    cnx.close()
    return time.monotonic() - started


def check_books(args, setup):
    """Inconsistencies between the ledger and the schedules, as messages."""
    problems = []
    cnx = psycopg2.connect(dbname=args.db)
    with cnx.cursor() as cr:
        cr.execute(
            """
            SELECT COALESCE(SUM(balance), 0) FROM account_move_line
             WHERE account_id = %s AND parent_state = 'posted'
            """,
            (setup["deferred_account_id"],),
        )
        ledger = cr.fetchone()[0]
        cr.execute(
            """
            SELECT COALESCE(SUM(amount), 0) FROM saas_revenue_schedule_line
             WHERE state = 'planned' AND company_id = %s
            """,
            (setup["company_id"],),
        )
        unrecognized = cr.fetchone()[0]
        if -ledger != unrecognized:
            problems.append(
                f"deferred revenue in the ledger {-ledger} != unrecognized schedules "
                f"{unrecognized}"
            )
        cr.execute(
            """
            SELECT state, COUNT(*) FROM saas_revenue_schedule_line
             WHERE date <= %s GROUP BY state
            """,
            (NAIVE_MONTH_END,),
        )
        states = dict(cr.fetchall())
        # January and March of the sample, February of every schedule; March of the others is
        # left planned.
        expected = {"posted": 2 * args.sample + args.schedules}
        if args.schedules > args.sample:
            expected["planned"] = args.schedules - args.sample
        if states != expected:
            problems.append(f"rows due by March: {states}, expected {expected}")
    cnx.close()
    return problems


# ---------------------------------------------------------------------------------------------
# Phases run in their own process (--child)
# ---------------------------------------------------------------------------------------------
def open_registry(args):
    from odoo.modules.registry import Registry  # noqa: PLC0415
    from odoo.tools import config  # noqa: PLC0415

    config.parse_config(["-c", os.environ["BENCH_CONF"], "-d", args.db], setup_logging=True)
    return Registry(args.db)


def phase_setup(env, args):
    """Company settings, products, customers and the invoice billing every schedule."""
    from odoo import Command  # noqa: PLC0415

    company = env.company
    if not env["account.account"].search_count([("company_ids", "in", company.ids)]):
        env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
    deferred = env["account.account"].create(
        {"name": "Deferred Revenue", "code": "289100", "account_type": "liability_current"}
    )
    income = env["account.account"].search(
        [("company_ids", "in", company.ids), ("account_type", "=", "income")], limit=1
    )
    income_support = income.copy({"code": "400900", "name": "Support revenue"})
    company.write(
        {
            "saas_deferred_revenue_account_id": deferred.id,
            "saas_revenue_journal_id": env["account.journal"]
            .search([("company_id", "=", company.id), ("type", "=", "general")], limit=1)
            .id,
            "saas_revenue_basis": "months",
        }
    )
    products = env["product.product"].create(
        [
            {
                "name": name,
                "saas_defer_revenue": True,
                "taxes_id": [Command.clear()],
                "property_account_income_id": account.id,
            }
            for name, account in (("Plan", income), ("Support", income_support))
        ]
    )
    partners = env["res.partner"].create([{"name": f"Customer {n}"} for n in range(args.partners)])
    # The two lines bill the schedules made on each (alternately, the first one more if odd).
    counts = ((args.schedules + 1) // 2, args.schedules // 2)
    invoice = env["account.move"].create(
        {
            "move_type": "out_invoice",
            "partner_id": partners[0].id,
            "invoice_date": "2025-01-01",
            "date": "2025-01-01",
            "invoice_line_ids": [
                Command.create(
                    {
                        "product_id": product.id,
                        "quantity": count,
                        "price_unit": YEARLY_AMOUNT,
                        "tax_ids": [Command.clear()],
                        "saas_service_start": "2025-01-01",
                        "saas_service_end": "2025-12-31",
                    }
                )
                for product, count in zip(products, counts, strict=True)
                if count
            ],
        }
    )
    invoice.action_post()
    return {
        "company_id": company.id,
        "deferred_account_id": deferred.id,
        "invoice_id": invoice.id,
        "line_ids": invoice.invoice_line_ids.sorted("id").ids * (2 if counts[1] == 0 else 1),
        "partner_ids": partners.ids,
    }


def measured(work):
    """``work()``'s result, and the figures of its run: seconds, this process's resident memory
    before it and at its peak, the share of the CPUs others took meanwhile."""
    before = benchkit.snapshot()
    base_rss = benchkit.rss_mib()
    started = time.monotonic()
    result = work()
    figures = {
        "seconds": time.monotonic() - started,
        "rss_base_mb": base_rss,
        "rss_peak_mb": benchkit.peak_rss_mib(),
        "others_cpu": benchkit.others_share(before, benchkit.snapshot()),
    }
    return result, figures


def phase_fast(env, args):
    until = date.fromisoformat(args.until)

    def month_end():
        moves = env["saas.revenue.schedule"].recognize_until(until, company_ids=env.company.ids)
        env.cr.commit()
        return moves

    moves, figures = measured(month_end)
    return {
        **figures,
        "moves": len(moves),
        "move_lines": len(moves.line_ids),
        "rows": env["saas.revenue.schedule.line"].search_count([("move_id", "in", moves.ids)]),
    }


def phase_naive(env, args):
    """One entry per schedule for the month of ``--until``, posted, and its row marked: what
    recognition does without aggregating."""
    from odoo import Command  # noqa: PLC0415

    until = date.fromisoformat(args.until)
    company = env.company
    # The sample's rows of the month: they come first, the sample's schedules being first.
    rows = env["saas.revenue.schedule.line"].search(
        [("state", "=", "planned"), ("date", "<=", until)], order="date, id", limit=args.sample
    )

    def one_entry_each():
        for row in rows:
            one_entry(row)
        env.cr.commit()

    def one_entry(row):
        schedule = row.schedule_id
        move = env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": company.saas_revenue_journal_id.id,
                "date": until,
                "ref": f"Revenue recognition {schedule.id}",
                "line_ids": [
                    Command.create(
                        {"account_id": schedule.deferred_account_id.id, "balance": row.amount}
                    ),
                    Command.create(
                        {"account_id": schedule.income_account_id.id, "balance": -row.amount}
                    ),
                ],
            }
        )
        move._post(soft=False)
        row.write({"state": "posted", "move_id": move.id, "posted_date": until})

    _nothing, figures = measured(one_entry_each)
    return {**figures, "moves": len(rows), "rows": len(rows)}


PHASES = {"setup": phase_setup, "fast": phase_fast, "naive": phase_naive}


def run_child(args):
    from odoo import SUPERUSER_ID, api  # noqa: PLC0415

    registry = open_registry(args)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        figures = PHASES[args.child](env, args)
        cr.commit()
    print("BENCH_JSON " + json.dumps(figures), flush=True)


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------
def prepare(args, name=NAME):
    """A database with the schedules generated: ``(conf, setup figures)``. ``name`` is the
    benchmark's, for its output."""
    benchkit.empty_dir(args.run_dir)
    conf = benchkit.write_conf(args.run_dir, args.db, max_cron_threads="0")
    if getattr(args, "reuse_db", False) and benchkit.db_exists(args.db):
        sys.exit("--reuse-db needs the setup state of a fresh run: drop it or run without")
    benchkit.drop_db(args.db)
    benchkit.say(name, f"installing {MODULES} into {args.db}")
    benchkit.install(conf, args.db, MODULES, args.run_dir / "install.log")
    setup = child(args, conf, "setup")
    seconds = generate(args, setup)
    rows = args.schedules * 12
    benchkit.say(name, f"{args.schedules:,} schedules ({rows:,} rows) in {seconds:.1f} s")
    return conf, setup


def main():
    args = parse_args()
    if args.child:
        return run_child(args)
    conf, setup = prepare(args)
    try:
        sample = child(args, conf, "fast", FIRST_MONTH_END)
        say(
            f"warm-up month-end of the sample: {sample['rows']:,} rows in "
            f"{sample['seconds']:.2f} s, {sample['moves']} entry"
        )
        fast = child(args, conf, "fast", MEASURED_MONTH_END)
        naive = child(args, conf, "naive", NAIVE_MONTH_END)
        problems = check_books(args, setup)
        if fast["moves"] != 1 or fast["rows"] != args.schedules:
            problems.append(
                f"month-end posted {fast['moves']} entries for {fast['rows']} rows, expected 1 "
                f"for {args.schedules}"
            )
    finally:
        if not args.keep_db:
            benchkit.drop_db(args.db)

    projected = fast["seconds"] * TARGET_SCHEDULES / args.schedules
    naive_projected = naive["seconds"] * args.schedules / max(args.sample, 1)
    ratio = naive_projected / fast["seconds"] if fast["seconds"] else float("inf")
    growth = fast["rss_peak_mb"] - fast["rss_base_mb"]
    sample_growth = sample["rss_peak_mb"] - sample["rss_base_mb"]
    flat = growth <= max(FLAT_FACTOR * sample_growth, sample_growth + FLAT_SLACK_MB)
    say(
        f"month-end of {args.schedules:,} schedules: {fast['seconds']:.2f} s "
        f"({args.schedules / fast['seconds']:,.0f} rows/s), {fast['moves']} entry of "
        f"{fast['move_lines']} lines; peak RSS {fast['rss_peak_mb']:.0f} MB "
        f"(+{growth:.0f} MB; +{sample_growth:.0f} MB for {args.sample:,})"
    )
    say(
        f"naive, one entry per schedule: {naive['rows']:,} in {naive['seconds']:.2f} s, "
        f"{args.schedules:,} projected {naive_projected:.1f} s: {ratio:.1f}x slower"
    )
    busy = max(sample["others_cpu"], fast["others_cpu"], naive["others_cpu"])
    if busy > benchkit.BUSY_WARNING:
        say(f"others kept {busy:.0%} of the CPUs busy: figures are disturbed")
    say(
        f"{benchkit.verdict(projected < TARGET_SECONDS)} {TARGET_SCHEDULES:,} schedules in "
        f"{projected:.1f} s (< {TARGET_SECONDS:.0f} s"
        + ("" if args.schedules == TARGET_SCHEDULES else ", projected linearly")
        + ")"
    )
    say(f"{benchkit.verdict(flat)} memory flat: +{growth:.0f} MB vs +{sample_growth:.0f} MB")
    say(
        f"{benchkit.verdict(ratio >= TARGET_RATIO)} {ratio:.1f}x the naive way "
        f"(>= {TARGET_RATIO:.0f}x)"
    )
    for problem in problems:
        say(f"INCONSISTENT {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
