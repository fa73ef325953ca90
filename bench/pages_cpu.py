"""Server CPU per request of the case pages and APIs against the trivial view, in one process.

The quick loop of issue 14 (``bench/load.py`` is the real server under load): production settings
with fresh keys (``bench/load_settings.py``: the project's settings, the trivial view
``GET /bench/ping/`` and the per-request CPU timer ``load_cpu.CpuTimerMiddleware`` outermost),
SQLite in a temporary directory, N synthetic cases (``case_api.load_world``), then Django's test
client as the caseworker (a logged-in session for the pages, a token for the API). Each operation
is requested ``--repeat`` times per round, rounds interleaved, ``--rounds`` rounds; the figure of
an operation is the best round's mean of the ``X-Bench-Cpu-Us`` header (the same timer as under
load), and its ratio to the trivial view's, measured in the same process. SQLite's own work runs in
this process, so it is in the figures (on PostgreSQL it would not be).

    PYTHONPATH=src python bench/pages_cpu.py --cases 2000
    PYTHONPATH=src python bench/pages_cpu.py --cases 2000 --profile case_detail_page   # cProfile
    (PAGES_CPU_SORT=tottime PAGES_CPU_LINES=80 change the profile's order and length)
    PYTHONPATH=src python bench/pages_cpu.py --cases 2000 --queries case_detail_page   # its SQL

Prints one ``BENCH`` line per operation (value, baseline = the trivial view, ratio).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import case_api  # noqa: E402  (bench/ helper: data loader, environment)

CPU_HEADER = "X-Bench-Cpu-Us"
OPS = ("ping", "case_list_page", "case_detail_page", "case_list_api", "case_detail_api")
GOAL_RATIO = 3.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=20, help="requests per operation per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--profile", choices=OPS, help="cProfile this operation instead (sorted by cumtime)")
    parser.add_argument("--queries", choices=OPS, help="print the SQL of one request of this operation")
    args = parser.parse_args(argv)

    tmp = tempfile.TemporaryDirectory(prefix="vigil-pages-cpu-")
    try:
        env = case_api.bench_environment("unused", Path(tmp.name))
        env["DJANGO_SETTINGS_MODULE"] = "load_settings"
        env["VIGIL_API_RATE"] = "1000000/min"
        env.pop("DATABASE_URL")
        os.environ.pop("DATABASE_URL", None)
        os.environ.update(env)
        import django

        django.setup()
        from django.core.management import call_command
        from django.test import Client

        from vigil.server.accounts.models import User

        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)  # as ``vigil serve`` does
        world = case_api.load_world(args.cases, 2_000, seed=args.seed)
        user = User.objects.get(username=world.username)
        page = Client(HTTP_HOST="127.0.0.1")
        page.force_login(user)
        # The API with a token, as load.py does (obtained through the token endpoint).
        api = Client(HTTP_HOST="127.0.0.1")
        r = api.post(
            "/api/auth/token/",
            {"username": world.username, "password": world.password},
            content_type="application/json",
        )
        token = r.json().get("token") if r.status_code in (200, 201) else None
        if not token:
            print(f"no API token: {r.status_code} {r.content[:200]!r}", file=sys.stderr)
            return 1
        anon = Client(HTTP_HOST="127.0.0.1")
        rng = random.Random(args.seed)

        def request(op: str) -> Any:
            if op == "ping":
                return anon.get("/bench/ping/")
            if op == "case_list_page":
                return page.get("/cases/", HTTP_ACCEPT="text/html")
            if op == "case_detail_page":
                return page.get(f"/cases/{rng.choice(world.case_ids)}/", HTTP_ACCEPT="text/html")
            if op == "case_list_api":
                return api.get(
                    "/api/cases/", HTTP_AUTHORIZATION=f"Token {token}", HTTP_ACCEPT="application/json"
                )
            if op == "case_detail_api":
                return api.get(
                    f"/api/cases/{rng.choice(world.case_ids)}/",
                    HTTP_AUTHORIZATION=f"Token {token}",
                    HTTP_ACCEPT="application/json",
                )
            raise ValueError(op)

        def cpu_of(op: str) -> float:
            response = request(op)
            if response.status_code != 200:
                raise SystemExit(f"{op}: {response.status_code} {response.content[:300]!r}")
            return int(response[CPU_HEADER]) / 1e3

        for op in OPS:  # warm every path (templates compiled, translations loaded)
            for _ in range(3):
                cpu_of(op)
        if args.queries:
            from django.db import connection
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(connection) as ctx:
                request(args.queries)
            for i, q in enumerate(ctx.captured_queries, 1):
                print(f"{i:3} {q['sql'][:300]}")
            return 0
        if args.profile:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            prof.enable()
            for _ in range(args.repeat * args.rounds):
                request(args.profile)
            prof.disable()
            sort = os.environ.get("PAGES_CPU_SORT", "cumulative")
            lines = int(os.environ.get("PAGES_CPU_LINES", "60"))
            pstats.Stats(prof).sort_stats(sort).print_stats(lines)
            return 0
        best: dict[str, float] = {op: float("inf") for op in OPS}
        for _ in range(args.rounds):
            for op in OPS:
                mean = sum(cpu_of(op) for _ in range(args.repeat)) / args.repeat
                best[op] = min(best[op], mean)
        ping = best["ping"]
        print(f"{args.cases:,} cases, SQLite, in-process; best of {args.rounds} rounds of {args.repeat}")
        print(f"{'operation':<18}{'CPU ms/req':>12}{'x trivial':>11}")
        for op in OPS:
            print(f"{op:<18}{best[op]:>12.2f}{best[op] / ping:>11.1f}")
        for op in OPS[1:]:
            print(
                f"BENCH pages_cpu_{op} value={best[op]:.2f} unit=ms baseline={ping:.2f} "
                f"ratio={best[op] / ping:.2f}"
            )
        ok = all(best[op] <= GOAL_RATIO * ping for op in OPS[1:])
        print(f"case list and detail within {GOAL_RATIO:g}x the trivial view's CPU: {'yes' if ok else 'NO'}")
        return 0
    finally:
        tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
