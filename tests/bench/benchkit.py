"""What every benchmark driver under ``tests/bench/<name>/run.py`` needs, in one place.

A driver puts this folder on ``sys.path`` once and imports this module::

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import benchkit

It gives: its run folder and output conventions, the shared command-line options, an
``odoo.conf`` derived from the project's, Odoo commands (install, shell), PostgreSQL access,
an Odoo server's start and stop, the memory of processes, and the CPU accounting that tells
how much other processes disturbed a figure.

It is not a benchmark itself: ``scripts/bench.sh`` runs ``tests/bench/*/run.py`` only.
"""

import configparser
import contextlib
import importlib.util
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import defaultdict
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parents[2]
ODOO_SRC = Path(os.environ.get("ODOO_SRC", Path.home() / "src" / "odoo-19.0"))
PYTHON = os.environ.get("BENCH_PYTHON", sys.executable)
# Beyond this share of the CPUs kept busy by other processes, figures are flagged as disturbed.
BUSY_WARNING = 0.10


# ---------------------------------------------------------------------------------------------
# Run folder, output, options
# ---------------------------------------------------------------------------------------------
def run_dir(name):
    """Where benchmark ``name`` writes its configuration and logs."""
    return ROOT / ".run" / "bench" / name


def empty_dir(path):
    """``path`` created empty: a run's logs are not mixed with the previous run's."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)


def say(name, message):
    """A progress or result line, prefixed with the benchmark's name."""
    print(f"[{name}] {message}", flush=True)


def sayer(name):
    """:func:`say` for benchmark ``name``: ``say = benchkit.sayer(NAME)``."""
    return lambda message: say(name, message)


def verdict(passed):
    return "PASS" if passed else "MISS"


def driver(name):
    """The ``run.py`` of benchmark ``name`` as a module, to reuse what it defines (its
    ``main`` does not run)."""
    spec = importlib.util.spec_from_file_location(
        f"bench_{name}", Path(__file__).resolve().parent / name / "run.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def begin(name, args):
    """The start of a run of benchmark ``name``: its run folder emptied, the others' load
    said when it is too much; ``(monotonic start, share of the CPUs others keep busy)``."""
    empty_dir(args.run_dir)
    started = time.monotonic()
    return started, busy_before(name)


def say_done(name, args, started):
    """The last line of a run: how long it took since ``started`` (monotonic) and where its
    logs are."""
    say(name, f"done in {time.monotonic() - started:.0f} s (logs in {args.run_dir})")


def add_database_options(parser, db, port=None, reuse=True):
    """``--db`` (default ``db``, or ``$BENCH_DB``), ``--port`` of the Odoo server when the
    benchmark starts one (default ``port``, or ``$BENCH_PORT``), ``--reuse-db`` unless
    ``reuse`` is false, ``--keep-db``."""
    parser.add_argument("--db", default=os.environ.get("BENCH_DB", db))
    if port is not None:
        parser.add_argument(
            "--port", type=int, default=int(os.environ.get("BENCH_PORT", str(port)))
        )
    if reuse:
        parser.add_argument(
            "--reuse-db",
            action="store_true",
            help="keep an existing bench database (no reinstall)",
        )
    parser.add_argument("--keep-db", action="store_true", help="do not drop it at the end")


def add_delivery_options(parser, db, port, timeout):
    """For the drivers that POST deliveries to a server they start: the database options of
    :func:`add_database_options`, ``--connections`` (concurrent deliveries, default 4) and
    ``--timeout`` (seconds to wait for the queue, default ``timeout``)."""
    add_database_options(parser, db, port=port)
    parser.add_argument("--connections", type=int, default=4, help="concurrent deliveries")
    parser.add_argument(
        "--timeout", type=int, default=timeout, help="seconds to wait for the queue"
    )


def parse_args(name, parser):
    """``parser``'s arguments, with ``run_dir``: benchmark ``name``'s run folder."""
    args = parser.parse_args()
    args.run_dir = run_dir(name)
    return args


# ---------------------------------------------------------------------------------------------
# Odoo: configuration and commands
# ---------------------------------------------------------------------------------------------
def write_conf(folder, db, *, port=None, job_channels=None, **options):
    """``folder/odoo.conf``: the project's ``odoo.conf`` (as deployed) on database ``db``,
    logging to ``folder/odoo.log``, without dbfilter (one database, as deployed: a dbfilter
    lists the databases on every cookie-less request).

    With ``port``, a production-like server on loopback: 2 HTTP workers, a cron thread,
    queue_job loaded. ``job_channels`` replaces queue_job's channels; ``options`` override
    any other option."""
    source = ROOT / "odoo.conf"
    if not source.exists():
        sys.exit(f"{source} is missing: run `make setup` first")
    conf = configparser.ConfigParser(interpolation=None)
    conf.read(source)
    settings = {"db_name": db, "logfile": str(folder / "odoo.log")}
    if port is not None:
        settings.update(
            {
                "http_interface": "127.0.0.1",
                "http_port": str(port),
                "gevent_port": str(port + 3),
                "workers": "2",
                "max_cron_threads": "1",
                "server_wide_modules": "base,web,queue_job,saas_connector_base",
                "list_db": "False",
            }
        )
    settings.update(options)
    conf["options"].update(settings)
    conf["options"].pop("dbfilter", None)
    if job_channels is not None:
        if not conf.has_section("queue_job"):
            conf.add_section("queue_job")
        conf["queue_job"]["channels"] = job_channels
    path = folder / "odoo.conf"
    with path.open("w") as handle:
        conf.write(handle)
    path.chmod(0o600)
    return path


def odoo_bin(conf, command, *arguments):
    """The command line of ``odoo-bin command -c conf arguments…``."""
    return [PYTHON, str(ODOO_SRC / "odoo-bin"), command, "-c", str(conf), *arguments]


def install(conf, db, modules, log):
    """Install ``modules`` into a new database ``db``, logging to ``log``; exit on failure."""
    log.unlink(missing_ok=True)
    command = odoo_bin(
        conf,
        "server",
        "-d",
        db,
        "-i",
        modules,
        "--stop-after-init",
        "--workers=0",
        "--max-cron-threads=0",
        "--log-level=warn",
        f"--logfile={log}",
    )
    if subprocess.run(command, check=False, timeout=1800).returncode:
        sys.exit(f"installing {modules} into {db} failed, see {log}")


def install_or_reuse(name, conf, args, modules):
    """The database ``args.db`` as it is with ``--reuse-db`` if it exists, else created
    afresh with ``modules``, logging to ``args.run_dir/install.log``. True when installed."""
    if args.reuse_db and db_exists(args.db):
        say(name, f"reusing database {args.db}")
        return False
    say(name, f"fresh database {args.db} with {modules}")
    drop_db(args.db)
    install(conf, args.db, modules, args.run_dir / "install.log")
    return True


def odoo_shell(conf, db, code, timeout=900):
    """Run the Python ``code`` in an Odoo shell on ``db``; its output. Exit if it fails."""
    result = subprocess.run(
        odoo_bin(conf, "shell", "-d", db, "--log-level=warn", "--no-http", "--workers=0"),
        input=code,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    if result.returncode:
        sys.exit(f"the Odoo shell failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout


def marked(output, marker):
    """The rest of the first line of ``output`` that starts with ``marker`` (how a child
    process hands back a value, e.g. ``BENCH_TOKEN=`` or ``BENCH_JSON ``); exit if none."""
    for line in output.splitlines():
        if line.startswith(marker):
            return line[len(marker) :]
    sys.exit(f"no {marker.strip()} line in:\n{output[-3000:]}")


# ---------------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------------
def postgres(dbname, query, params=()):
    """Run ``query`` on ``dbname`` (autocommit); its first row, or None."""
    cnx = psycopg2.connect(dbname=dbname)
    cnx.autocommit = True
    try:
        with cnx.cursor() as cr:
            cr.execute(query, params)
            return cr.fetchone() if cr.description else None
    finally:
        cnx.close()


def drop_db(dbname):
    postgres("postgres", f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


@contextlib.contextmanager
def bench_database(args):
    """The run's database ``args.db``, dropped when the block ends (even on an error) unless
    ``--keep-db``."""
    try:
        yield args.db
    finally:
        if not args.keep_db:
            drop_db(args.db)


def db_exists(dbname):
    return postgres("postgres", "SELECT 1 FROM pg_database WHERE datname = %s", (dbname,))


# ---------------------------------------------------------------------------------------------
# Servers
# ---------------------------------------------------------------------------------------------
def ensure_port_free(port):
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            sys.exit(f"port {port} is taken: pass another one (see --help)")


def start(command, log):
    """Start ``command`` in the background, its output in ``log``."""
    # Its own session, so that stopping it reaches its workers and nothing else.
    with log.open("w") as handle:
        return subprocess.Popen(
            command, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(process):
    """Stop a process from :func:`start` and its workers: politely, then after 30 s not."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_http(port, path, process, timeout=120):
    """Wait until something answers ``path`` on ``port``; exit if ``process`` dies first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the server on port {port} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers: up
        except OSError:
            time.sleep(0.2)
    sys.exit(f"nothing answered on port {port}{path} within {timeout} s")


def start_odoo(conf, port, log):
    """An Odoo server as ``conf`` describes it (see :func:`write_conf`), once it answers."""
    server = start(odoo_bin(conf, "server"), log)
    try:
        wait_http(port, "/web/health", server)
    except BaseException:
        stop(server)
        raise
    return server


# ---------------------------------------------------------------------------------------------
# Processes and memory
# ---------------------------------------------------------------------------------------------
# Fields of /proc/<pid>/stat after the command name, counted from "state" = 0.
PPID, UTIME, STIME, CUTIME, CSTIME = 1, 11, 12, 13, 14


def _processes():
    """``{pid: (parent pid, CPU ticks used, CPU ticks of its reaped children)}``."""
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


def _tree(pid, table):
    """``pid`` and every process below it in ``table``."""
    children = defaultdict(list)
    for child, (parent, _used, _reaped) in table.items():
        children[parent].append(child)
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(children[current])
    return found


def descendants(pid):
    """``pid`` and every process below it (a server's workers)."""
    return _tree(pid, _processes())


def rss_mib(pid="self"):
    """Resident memory of process ``pid`` now, in MiB (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def peak_rss_mib():
    """The highest resident memory this process has had, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------------------------------------
# CPU accounting
#
# On a shared machine another process's load lowers every figure; a figure is only worth
# comparing with the share of the CPUs others used meanwhile. "Ours" is this process and all
# its descendants (load generators, servers and their workers) plus the PostgreSQL backends
# named; everything else busy on the machine is "others".
# ---------------------------------------------------------------------------------------------
def _system_ticks():
    ticks = [int(value) for value in Path("/proc/stat").read_text().split()[1:9]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return sum(ticks) - idle, sum(ticks)


def snapshot(extra_pids=()):
    """``(busy ticks, all ticks, ticks used by ours)`` now, for :func:`others_share`."""
    busy, total = _system_ticks()
    table = _processes()
    me = os.getpid()
    ours = set(_tree(me, table))
    ours.update(pid for pid in extra_pids if pid in table)
    # Children already reaped (each load generator run) count through this process's
    # cutime/cstime.
    used = sum(table[pid][1] for pid in ours) + table[me][2]
    return busy, total, used


def ours_seconds(before, after):
    """CPU seconds our processes used between two snapshots."""
    return (after[2] - before[2]) / os.sysconf("SC_CLK_TCK")


def others_share(before, after):
    """Share of all CPUs that processes other than ours kept busy between two snapshots."""
    busy, total, ours = (late - early for early, late in zip(before, after, strict=True))
    return max(0.0, (busy - ours) / total) if total else 0.0


def warn_disturbed(labels):
    """Under a table of figures: which rows other processes disturbed, if any."""
    if labels:
        print(
            f"WARNING: other processes took more than {BUSY_WARNING:.0%} of the CPUs during: "
            f"{'; '.join(labels)}. Those figures are low; run again on a quiet machine."
        )


def busy_before(name):
    """Share of the CPUs other processes keep busy during a second, said when it is too much
    for the figures to mean anything."""
    before = snapshot()
    time.sleep(1)
    busy = others_share(before, snapshot())
    if busy > BUSY_WARNING:
        say(
            name, f"WARNING: other processes keep {busy:.0%} of the CPUs busy; figures will be low"
        )
    return busy
