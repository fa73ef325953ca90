"""Load and soak: the server under a fixed-rate realistic mix for minutes, on N synthetic cases.

What it does, in one run:

1. Database: with ``DATABASE_URL`` a PostgreSQL URL, its own database ``vigil_load`` on that
   server (only host, port and credentials are taken from the URL; created, migrated, dropped at
   the end, also after an error or Ctrl-C); otherwise SQLite in a temporary data directory.
2. Production settings with fresh random keys (as ``bench/case_api.py``), N synthetic cases
   loaded with ``bulk_create`` (``case_api.load_world``: encrypted and blind-indexed identity
   fields, three migration stages per case, consents), a service provider of the caseworker's
   organisation and consent to referral on a sample of the caseworker's cases.
3. Starts ``vigil serve`` (gunicorn, ``--workers`` processes of ``--threads`` threads) on
   127.0.0.1 with ``DJANGO_SETTINGS_MODULE=load_settings``: the project's settings plus the
   trivial view ``GET /bench/ping/`` and an outermost middleware that returns each request's
   server CPU time (``load_cpu``).
4. Sends requests at a fixed rate (``--rate`` per second, open loop: the schedule does not wait for
   answers) from a pool of ``--clients`` threads, for ``--duration`` seconds after ``--warmup``
   seconds, over this mix (weights in ``MIX``), as the caseworker (half the cases are hers):

   ``ping``              GET /bench/ping/ (the baseline: same server and middleware, nothing else)
   ``case_list_page``    GET /cases/            ``case_detail_page``  GET /cases/<id>/
   ``case_list_api``     GET /api/cases/        ``case_detail_api``   GET /api/cases/<id>/
   ``screening_save``    POST /api/screenings/ (three answers)
   ``referral_create``   POST /api/referrals/ (consent to referral recorded)
   ``public_page``       GET /public/agencies/ or /public/offers/ (no login)

Prints errors (must be 0), p50/p95/p99 per operation, the server CPU per request of each
operation and its ratio to ``ping`` (issue 14's goal for case list and detail: at most 3x), the
resident memory of every server process after the warm-up and at the end (goal: under 10%
growth), and the cores 50 clients would need for a p95 of 150 ms::

    cores = 50 clients x server CPU per request / 0.150 s

(each of 50 requests in flight gets 1/50 of the cores it shares; the database's own CPU is extra on
PostgreSQL). Exit status 1 when a request failed or memory grew by 10% or more.

    .venv/bin/python bench/load.py                           # 100,000 cases, 10 minutes (make soak)
    .venv/bin/python bench/load.py --duration 60 --cases 20000
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import random
import signal
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import case_api  # noqa: E402  (bench/ helper: data loader, server start, token)

DB_NAME = os.environ.get("VIGIL_BENCH_PG_DB", "vigil_load")  # another name when benches share a server
GOAL_RATIO = 3.0
GOAL_P95_S = 0.150
GOAL_CLIENTS = 50
MIX = {
    "ping": 10,
    "case_list_page": 15,
    "case_detail_page": 20,
    "case_list_api": 10,
    "case_detail_api": 15,
    "screening_save": 10,
    "referral_create": 5,
    "public_page": 15,
}
GOAL_OPS = ("case_list_page", "case_detail_page", "case_list_api", "case_detail_api")
CPU_HEADER = "X-Bench-Cpu-Us"


# --- database --------------------------------------------------------------------------------------


def postgres_target() -> tuple[dict[str, Any], str] | None:
    """(psycopg keyword arguments of the maintenance database, the bench URL) or None: SQLite."""
    url = os.environ.get("DATABASE_URL", "").strip()
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        return None
    kwargs: dict[str, Any] = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": urllib.parse.unquote(parts.username or "postgres"),
        "dbname": "postgres",
        "connect_timeout": 5,
    }
    if parts.password:
        kwargs["password"] = urllib.parse.unquote(parts.password)
    netloc = parts.netloc.rsplit("@", 1)
    cred = (netloc[0] + "@") if len(netloc) == 2 else f"{kwargs['user']}@"
    return kwargs, f"postgresql://{cred}{netloc[-1]}/{DB_NAME}"


def pg_admin(conninfo: dict[str, Any], sql: str) -> None:
    import psycopg

    with psycopg.connect(**conninfo, autocommit=True) as conn:
        conn.execute(sql)


# --- processes -------------------------------------------------------------------------------------


def server_pids(master: int) -> list[int]:
    """The ``vigil serve`` process and its descendants (gunicorn's master and workers)."""
    out, todo = [], [master]
    while todo:
        pid = todo.pop()
        out.append(pid)
        with contextlib.suppress(OSError, ValueError):
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
    return out


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pids: list[int]) -> float:
    return sum(c for c in (case_api.proc_cpu(p) for p in pids) if c == c)


# --- the mix ---------------------------------------------------------------------------------------


class Mix:
    def __init__(self, world: Any, referral_cases: list[int], provider_id: int, token: str, cookie: str):
        self.world = world
        self.referral_cases = referral_cases
        self.provider_id = provider_id
        self.api = {
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        self.page = {"Cookie": cookie, "Accept": "text/html"}

    def request(self, op: str, rng: random.Random) -> tuple[str, str, bytes | None, dict[str, str]]:
        w = self.world
        if op == "ping":
            return "GET", "/bench/ping/", None, {}
        if op == "case_list_page":
            return "GET", "/cases/", None, self.page
        if op == "case_detail_page":
            return "GET", f"/cases/{rng.choice(w.case_ids)}/", None, self.page
        if op == "case_list_api":
            return "GET", "/api/cases/", None, self.api
        if op == "case_detail_api":
            return "GET", f"/api/cases/{rng.choice(w.case_ids)}/", None, self.api
        if op == "screening_save":
            answers = {ind: rng.random() < 0.3 for ind in rng.sample(w.indicators, 3)}
            body = {"case": rng.choice(w.case_ids), "ruleset": w.ruleset, "age": 30, "answers": answers}
            return "POST", "/api/screenings/", json.dumps(body).encode(), self.api
        if op == "referral_create":
            body = {
                "case": rng.choice(self.referral_cases),
                "provider": self.provider_id,
                "shared_fields": ["given_name", "primary_language"],
                "reason": "Synthetic referral of the load bench.",
            }
            return "POST", "/api/referrals/", json.dumps(body).encode(), self.api
        if op == "public_page":
            return "GET", rng.choice(("/public/agencies/", "/public/offers/")), None, {"Accept": "text/html"}
        raise ValueError(op)


def prepare(world: Any, n_referral_cases: int, seed: int) -> tuple[list[int], int, str]:
    """A provider, consent to referral on a sample of cases, and a session for the pages."""
    from datetime import date

    from django.conf import settings
    from django.test import Client

    from vigil.server.accounts.models import User
    from vigil.server.cases.models import Case, Consent
    from vigil.server.referrals.models import ServiceProvider

    user = User.objects.get(username=world.username)
    provider = ServiceProvider.objects.create(
        organisation_id=user.organisation_id,
        name="Synthetic shelter of the load bench",
        service_type=ServiceProvider.ServiceType.SHELTER,
        languages="ne,tl",
        active=True,
    )
    rng = random.Random(seed)
    sample = rng.sample(world.case_ids, min(n_referral_cases, len(world.case_ids)))
    Consent.objects.bulk_create(
        Consent(
            case_id=pk,
            purpose="referral",
            given=True,
            method="verbal",
            given_on=date(2025, 1, 2),
            recorded_by=user,
        )
        for pk in sample
    )
    assert Case.objects.filter(pk__in=sample, consents__purpose="referral").distinct().count() == len(sample)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return sample, provider.pk, f"{settings.SESSION_COOKIE_NAME}={session}"


# --- driving ---------------------------------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.cpu: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.examples: list[str] = []
        self.late = 0  # requests sent more than 100 ms after their scheduled time

    def pct(self, op: str, q: float) -> float:
        xs = sorted(self.latency[op])
        if not xs:
            return float("nan")
        return xs[max(0, min(len(xs) - 1, math.ceil(q * len(xs)) - 1))] * 1000


def drive(
    port: int,
    mix: Mix,
    rate: float,
    warmup: float,
    duration: float,
    clients: int,
    seed: int,
    on_warm: Any,
) -> Recorder:
    ops = list(MIX)
    weights = [MIX[o] for o in ops]
    rec = Recorder()
    local = threading.local()

    def connection() -> http.client.HTTPConnection:
        # gunicorn closes a keep-alive connection idle for 2 s: a request sent on it as it closes
        # would fail on the client's side (RemoteDisconnected); reconnect after 1 s idle instead.
        now = time.monotonic()
        if getattr(local, "conn", None) is not None and now - local.used > 1.0:
            local.conn.close()
            local.conn = None
        if getattr(local, "conn", None) is None:
            local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        local.used = now
        return local.conn  # type: ignore[no-any-return]

    def one(op: str, scheduled: float, measured: bool, k: int) -> None:
        method, path, body, headers = mix.request(op, random.Random(seed * 1_000_003 + k))
        t0 = time.perf_counter()
        status, cpu, data = 0, None, b""
        try:
            conn = connection()
            conn.request(method, path, body, headers)
            response = conn.getresponse()
            data = response.read()
            status = response.status
            cpu = response.getheader(CPU_HEADER)
        except (OSError, http.client.HTTPException) as exc:
            data = type(exc).__name__.encode()
            with contextlib.suppress(Exception):
                local.conn.close()
            local.conn = None
        t1 = time.perf_counter()
        local.used = time.monotonic()
        if not measured:
            return
        with rec.lock:
            if t0 - scheduled > 0.1:
                rec.late += 1
            if 200 <= status < 300:
                rec.latency[op].append(t1 - t0)
                if cpu is not None:
                    rec.cpu[op].append(int(cpu) / 1e6)
            else:
                rec.errors[op] += 1
                if len(rec.examples) < 10:
                    rec.examples.append(f"{op}: {method} {path} -> {status} {data[:200]!r}")

    rng = random.Random(seed)
    interval = 1.0 / rate
    start = time.perf_counter()
    warm_at, stop_at = start + warmup, start + warmup + duration
    warm_reported = False
    with ThreadPoolExecutor(max_workers=clients) as pool:
        k = 0
        next_at = start
        next_progress = warm_at + 60
        while next_at < stop_at:
            now = time.perf_counter()
            if now < next_at:
                time.sleep(next_at - now)
            measured = next_at >= warm_at
            if measured and not warm_reported:
                warm_reported = True
                on_warm()
            if next_at >= next_progress:
                next_progress += 60
                done = sum(len(v) for v in rec.latency.values())
                print(
                    f"  {next_at - warm_at:5.0f} s: {done:,} answered, {sum(rec.errors.values())} errors",
                    flush=True,
                )
            pool.submit(one, rng.choices(ops, weights)[0], next_at, measured, k)
            k += 1
            next_at = start + k * interval
    return rec


# --- main ------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--duration", type=float, default=600.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=60.0, help="unmeasured seconds before")
    parser.add_argument("--rate", type=float, default=20.0, help="requests per second, all operations")
    parser.add_argument("--clients", type=int, default=16, help="client threads (requests in flight at most)")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) + 1, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn process")
    parser.add_argument("--batch", type=int, default=2_000, help="cases per bulk insert transaction")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    if args.workers < 2:
        parser.error("--workers must be 2 or more (gunicorn; the CPU header needs its gthread workers)")

    target = postgres_target()
    tmp = tempfile.TemporaryDirectory(prefix="vigil-load-")
    created = False

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    try:
        if target is not None:
            conninfo, database_url = target
            pg_admin(conninfo, f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
            pg_admin(conninfo, f'CREATE DATABASE "{DB_NAME}"')
            created = True
            where = f"PostgreSQL {conninfo['host']}:{conninfo['port']}, database {DB_NAME}"
        else:
            database_url = ""
            where = f"SQLite in {tmp.name}"
        env = case_api.bench_environment(database_url or "unused", Path(tmp.name))
        env["DJANGO_SETTINGS_MODULE"] = "load_settings"
        env["VIGIL_API_RATE"] = "1000000/min"  # one user sends the whole mix (see load_settings)
        if not database_url:
            env.pop("DATABASE_URL")
            os.environ.pop("DATABASE_URL", None)
        os.environ.update(env)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        print(f"{where}; production settings, fresh random field keys")
        call_command("migrate", interactive=False, verbosity=0)
        t0 = time.perf_counter()
        world = case_api.load_world(args.cases, args.batch, seed=args.seed)
        referral_cases, provider_id, cookie = prepare(world, 2_000, args.seed)
        print(
            f"loaded {args.cases:,} cases in {time.perf_counter() - t0:.0f} s: "
            + ", ".join(f"{v:,} {k}" for k, v in world.counts.items())
        )
        connections.close_all()

        port = case_api.free_port()
        log_path = Path(tmp.name) / "server.log"
        print(
            f"vigil serve --workers {args.workers} --threads {args.threads} (gunicorn) "
            f"on 127.0.0.1:{port}; {args.rate:g} req/s for {args.warmup:g} s warm-up "
            f"+ {args.duration:g} s, {args.clients} clients"
        )
        with case_api.running_server(env, port, args.threads, log_path, args.workers) as proc:
            token = case_api.get_token(port, world.username, world.password)
            mix = Mix(world, referral_cases, provider_id, token, cookie)
            marks: dict[str, Any] = {}

            def on_warm() -> None:
                pids = server_pids(proc.pid)
                marks["pids"] = pids
                marks["rss0"] = {p: rss_kib(p) for p in pids}
                marks["cpu0"] = cpu_seconds(pids)
                marks["t0"] = time.perf_counter()

            rec = drive(port, mix, args.rate, args.warmup, args.duration, args.clients, args.seed, on_warm)
            pids_end = server_pids(proc.pid)
            rss1 = {p: rss_kib(p) for p in pids_end}
            cpu1 = cpu_seconds(marks["pids"])
            wall = time.perf_counter() - marks["t0"]
            if proc.poll() is not None:
                print(f"server died:\n{case_api.tail(log_path)}", file=sys.stderr)
                return 1
        return report(args, rec, marks, rss1, pids_end, cpu1 - marks["cpu0"], wall)
    except KeyboardInterrupt:
        print("load: interrupted; cleaning up", file=sys.stderr)
        return 130
    finally:
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        if created and target is not None:
            pg_admin(target[0], f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
            print(f"dropped database {DB_NAME}")
        tmp.cleanup()


def report(
    args: Any,
    rec: Recorder,
    marks: dict[str, Any],
    rss1: dict[int, int],
    pids_end: list[int],
    server_cpu: float,
    wall: float,
) -> int:
    total = sum(len(v) for v in rec.latency.values())
    errors = sum(rec.errors.values())
    print(
        f"\n{total:,} requests answered in {wall:.0f} s ({total / wall:.1f} req/s), errors {errors}, "
        f"sent late (>100 ms behind schedule) {rec.late}"
    )
    for line in rec.examples:
        print(f"  error: {line}")
    ping_cpu = sum(rec.cpu["ping"]) / max(1, len(rec.cpu["ping"]))
    print(
        f"\n{'operation':<18}{'n':>7}{'err':>5}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'CPU ms/req':>12}{'x ping':>8}{'cores*':>8}"
    )
    measured_cpu = 0.0
    for op in MIX:
        cpus = rec.cpu[op]
        mean = sum(cpus) / len(cpus) if cpus else float("nan")
        measured_cpu += sum(cpus)
        ratio = mean / ping_cpu if ping_cpu else float("nan")
        cores = GOAL_CLIENTS * mean / GOAL_P95_S
        print(
            f"{op:<18}{len(rec.latency[op]):>7}{rec.errors[op]:>5}{rec.pct(op, 0.5):>9.1f}"
            f"{rec.pct(op, 0.95):>9.1f}{rec.pct(op, 0.99):>9.1f}"
            f"{mean * 1000:>12.2f}{ratio:>8.1f}{cores:>8.1f}"
        )
        if op != "ping":
            print(
                f"BENCH load_{op}_cpu value={mean * 1000:.2f} unit=ms baseline={ping_cpu * 1000:.2f} "
                f"ratio={ratio:.2f}"
            )
    mix_cpu = measured_cpu / max(1, total)
    print(
        f"* cores for a p95 of 150 ms at {GOAL_CLIENTS} clients "
        f"= {GOAL_CLIENTS} x CPU per request / 0.150 s; "
        f"the whole mix: {GOAL_CLIENTS * mix_cpu / GOAL_P95_S:.1f} cores ({mix_cpu * 1000:.2f} ms/request)"
    )
    print(
        f"server processes' CPU from /proc: {server_cpu:.1f} s, "
        f"per request {server_cpu / max(1, total) * 1000:.2f} ms "
        f"(the middleware's per-request timer covers {measured_cpu / server_cpu:.0%} of it; the rest is "
        "gunicorn, the audit sealer and the scheduler)"
        if server_cpu
        else ""
    )
    goal_ok = all(sum(rec.cpu[op]) / max(1, len(rec.cpu[op])) <= GOAL_RATIO * ping_cpu for op in GOAL_OPS)
    print(f"case list and detail within {GOAL_RATIO:g}x the trivial view's CPU: {'yes' if goal_ok else 'NO'}")

    print("\nresident memory (KiB) after warm-up -> end:")
    worst = 0.0
    for pid in marks["pids"]:
        before = marks["rss0"].get(pid, 0)
        after = rss1.get(pid)
        if after is None:
            print(f"  pid {pid}: {before:,} -> (exited)")
            worst = float("inf")
            continue
        growth = (after - before) / before if before else 0.0
        worst = max(worst, growth)
        print(f"  pid {pid}: {before:,} -> {after:,} ({growth:+.1%})")
    for pid in pids_end:
        if pid not in marks["rss0"]:
            print(f"  pid {pid}: new after the warm-up (a worker was restarted), {rss1[pid]:,}")
            worst = float("inf")
    print(f"BENCH load_rss_growth value={worst * 100:.1f} unit=% baseline=10 ratio={worst / 0.10:.2f}")
    ok = errors == 0 and worst < 0.10
    print("result:", "ok (0 errors, memory growth under 10%)" if ok else "FAILED (errors or memory growth)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
