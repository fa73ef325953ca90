"""The inspection plan (vigil.inspections.planning): rank WORKPLACES workplaces (default 200,000)
with FINDINGS past findings (default 1,000,000), against a straightforward per-workplace loop run
in the same process on the same data.

Baselines (``--baseline``):
- ``orm`` (default): the register and the findings are written to a fresh SQLite database with the
  server's own models (``vigil.server.inspections``), then a per-workplace Django ORM loop reads
  each workplace's past findings with one query, its recruiters and their registry status, and
  scores it with the one-workplace reference (``score_workplace``), then sorts. Filling the
  database is not timed. The server's own path (``services.plan_columns``: one query per table,
  then the numpy rank) is timed on the same database too, both ways: the reference path reads
  every finding, the fast path the stored findings totals (``FindingTotals``, one row per
  workplace, rebuilt after the bulk fill, not timed); they must give the same result.
- ``python``: the same loop over Python objects in memory (findings grouped by workplace first).

Both results are compared (every score within 1e-9, the same order) before the times count. Peak
memory is measured with tracemalloc in a second run of each (ours on the full data, the baseline's
on the first 10,000 workplaces, as it holds one workplace at a time). The ORM loop takes
milliseconds per workplace, so by default it is timed on its first 10,000 workplaces and
extrapolated (``--baseline-sample 0`` runs it on all of them); its scores are checked against
ours on those workplaces, and the server's path is checked against ours on all of them.

Prints
BENCH inspection_plan_<n>x<m> value=<s> unit=s baseline=<loop s> ratio=<loop s / our s>
BENCH inspection_plan_<n>x<m>_server value=<s> unit=s baseline=<loop s> ratio=<loop s / server s>
BENCH inspection_plan_<n>x<m>_server_vs_reference value=<s> unit=s baseline=<reference s> ratio=<...>
BENCH inspection_plan_<n>x<m>_peak_mem value=<MB> unit=MB baseline=<loop MB> ratio=<loop MB / our MB>

    .venv/bin/python bench/inspection_plan.py [--workplaces N] [--findings M] [--baseline orm|python]
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np

from vigil.inspections.planning import (
    FINDING_KINDS,
    FindingColumns,
    PastFinding,
    Workplace,
    WorkplaceColumns,
    load_weights,
    rank,
    score_workplace,
)

AS_OF = date(2026, 6, 1)
SECTORS = np.array(["A", "0111", "0311", "1410", "1520", "F", "4100", "G", "5610", "97", "J", "C"])
REGIONS = np.array([f"R{i:02d}" for i in range(20)])
TOP = 100  # explained lines printed by a worklist page


def build(n: int, m: int, seed: int = 0) -> tuple[WorkplaceColumns, FindingColumns]:
    rng = np.random.default_rng(seed)
    never = rng.random(n) < 0.2
    last = np.datetime64(AS_OF, "D") - rng.integers(0, 4000, n).astype("timedelta64[D]")
    wp = WorkplaceColumns(
        ids=np.array([f"wp{i:07d}" for i in range(n)]),
        names=np.array([f"Workplace {i}" for i in range(n)]),
        sector=SECTORS[rng.integers(0, SECTORS.size, n)],
        region=REGIONS[rng.integers(0, REGIONS.size, n)],
        open_complaints=rng.poisson(0.3, n).astype(np.int64),
        unlicensed_recruiters=(rng.random(n) < 0.05).astype(np.int64),
        breaching_recruiters=rng.poisson(0.1, n).astype(np.int64),
        supply_exposure=np.where(rng.random(n) < 0.5, np.nan, rng.random(n)),
        last_visit=np.where(never, np.datetime64("NaT", "D"), last),
    )
    # findings concentrate on some workplaces (a Zipf-like skew), as inspections do
    weights = rng.pareto(1.5, n) + 1
    wpos = rng.choice(n, size=m, p=weights / weights.sum()).astype(np.int64)
    kind = rng.choice(len(FINDING_KINDS), size=m, p=[0.8, 0.17, 0.03]).astype(np.int8)
    found = np.datetime64(AS_OF, "D") - rng.integers(0, 3650, m).astype("timedelta64[D]")
    return wp, FindingColumns(wpos, kind, found)


def as_records(wp: WorkplaceColumns, n: int | None = None) -> list[Workplace]:
    k = len(wp) if n is None else n
    out = []
    for i in range(k):
        lv = wp.last_visit[i]
        ex = float(wp.supply_exposure[i])
        out.append(
            Workplace(
                str(wp.ids[i]),
                str(wp.names[i]),
                str(wp.sector[i]),
                str(wp.region[i]),
                int(wp.open_complaints[i]),
                int(wp.unlicensed_recruiters[i]),
                int(wp.breaching_recruiters[i]),
                None if np.isnan(ex) else ex,
                None if np.isnat(lv) else lv.astype(date),
            )
        )
    return out


def ours(wp: WorkplaceColumns, f: FindingColumns) -> tuple[list[str], dict[str, float]]:
    plan = rank(wp, f, load_weights(), as_of=AS_OF)
    plan.lines(limit=TOP)
    ids = wp.ids[plan.order].tolist()
    return ids, dict(zip(ids, plan.scores[plan.order].tolist(), strict=True))


def python_loop(
    records: list[Workplace], f: FindingColumns, ids: np.ndarray
) -> tuple[list[str], dict[str, float]]:
    w = load_weights()
    by_wp: dict[str, list[PastFinding]] = {}
    for pos, kind, day in zip(f.workplace.tolist(), f.kind.tolist(), f.found_on.tolist(), strict=True):
        by_wp.setdefault(str(ids[pos]), []).append(PastFinding(str(ids[pos]), FINDING_KINDS[kind], day))
    scored = []
    for wpl in records:
        comps = score_workplace(wpl, by_wp.get(wpl.id, []), w, AS_OF)
        scored.append((-sum(c.points for c in comps), wpl.id))
    scored.sort()
    return [i for _s, i in scored], {i: -s for s, i in scored}


# --- the ORM baseline -----------------------------------------------------------------------

BREACHING_POOL = 10  # agencies of the registry with a fee breach, linked to the workplaces


def setup_django(data_dir: str) -> None:
    os.environ["VIGIL_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "vigil.server.settings"
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def fill_db(wp: WorkplaceColumns, f: FindingColumns) -> None:
    """The register, the registry's breaching agencies and the findings, with the server's models;
    a workplace's unlicensed recruiters are recruiters not in the registry."""
    from django.db import connection, transaction

    from vigil.server.accounts.models import Organisation
    from vigil.server.inspections.models import Finding
    from vigil.server.inspections.models import Workplace as WP
    from vigil.server.recruitment.models import Agency, FeeReport, Licence

    records = as_records(wp)
    with transaction.atomic():
        org = Organisation.objects.create(name="Bench inspectorate", kind="labour_inspectorate")
        pool = []
        for k in range(BREACHING_POOL):
            a = Agency.objects.create(legal_name=f"Agency {k}", registration_number=f"AG{k}", country="FRA")
            Licence.objects.create(agency=a, number=f"L{k}", issuer="Ministry", valid_from=date(2020, 1, 1))
            FeeReport.objects.create(
                agency=a,
                amount=300,
                currency="USD",
                purpose="recruitment fee",
                payee="recruiter",
                channel="upfront",
            )
            pool.append(a)
        WP.objects.bulk_create(
            [
                WP(
                    organisation=org,
                    name=r.name,
                    registration_number=r.id,
                    sector=r.sector,
                    region=r.region,
                    open_complaints=r.open_complaints,
                    unregistered_recruiters=r.unlicensed_recruiters,
                    supply_exposure=r.supply_exposure,
                    last_visit=r.last_visit,
                )
                for r in records
            ],
            batch_size=5000,
        )
    pk = dict(WP.objects.values_list("registration_number", "pk"))
    pks = np.array([pk[str(i)] for i in wp.ids])
    through = WP.recruiters.through
    with transaction.atomic():
        links = [
            through(workplace_id=int(pks[i]), agency_id=pool[k].pk)
            for i in np.flatnonzero(wp.breaching_recruiters).tolist()
            for k in range(min(int(wp.breaching_recruiters[i]), BREACHING_POOL))
        ]
        through.objects.bulk_create(links, batch_size=5000)
        step = 50_000
        for s in range(0, len(f), step):
            Finding.objects.bulk_create(
                [
                    Finding(
                        workplace_id=int(pks[p]),
                        kind=FINDING_KINDS[k],
                        found_on=d,
                        category="wages" if k == 0 else "",
                    )
                    for p, k, d in zip(
                        f.workplace[s : s + step].tolist(),
                        f.kind[s : s + step].tolist(),
                        f.found_on[s : s + step].tolist(),
                        strict=True,
                    )
                ],
                batch_size=5000,
            )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")


def server_plan(fast: bool = True) -> tuple[list[str], dict[str, float]]:
    """The server's worklist (``services.rank_plan``): the workplaces, then the stored findings
    totals (``fast``) or every finding (the reference path), then the numpy rank."""
    from vigil.server.inspections import services
    from vigil.server.inspections.models import Workplace as WP

    plan, pks = services.rank_plan(WP.objects.all(), weights=load_weights(), as_of=AS_OF, fast=fast)
    plan.lines(limit=TOP)
    reg = dict(WP.objects.values_list("pk", "registration_number"))
    ids = [reg[pks[i]] for i in plan.order.tolist()]
    return ids, dict(zip(ids, plan.scores[plan.order].tolist(), strict=True))


def orm_loop(limit: int | None = None) -> tuple[list[str], dict[str, float]]:
    """Per workplace: its findings (one query), its recruiters and their registry status."""
    from vigil.server.inspections.models import Finding
    from vigil.server.inspections.models import Workplace as WP

    w = load_weights()
    scored = []
    qs = WP.objects.order_by("pk")
    for row in (qs[:limit] if limit else qs).iterator(chunk_size=2000):
        findings = [
            PastFinding(row.registration_number, k, d)
            for k, d in Finding.objects.filter(workplace_id=row.pk).values_list("kind", "found_on")
        ]
        unlicensed, breaching = row.unregistered_recruiters, 0
        for agency in row.recruiters.all():
            if agency.licence_status() in ("none", "expired", "suspended", "revoked"):
                unlicensed += 1
            if (
                agency.fee_reports.filter(breach=True).exists()
                or agency.sanctions.exists()
                or (agency.complaints.filter(status="upheld").exists())
            ):
                breaching += 1
        wpl = Workplace(
            row.registration_number,
            row.name,
            row.sector,
            row.region,
            row.open_complaints,
            unlicensed,
            breaching,
            row.supply_exposure,
            row.last_visit,
        )
        comps = score_workplace(wpl, findings, w, AS_OF)
        scored.append((-sum(c.points for c in comps), wpl.id))
    scored.sort()
    return [i for _s, i in scored], {i: -s for s, i in scored}


def check(a: tuple[list[str], dict[str, float]], b: tuple[list[str], dict[str, float]]) -> None:
    ids_a, sa = a
    ids_b, sb = b
    assert set(sa) == set(sb), "not the same workplaces"
    worst = max(abs(sa[k] - sb[k]) for k in sa)
    assert worst < 1e-9, f"scores differ by {worst}"
    # the same order, except between scores equal to within rounding (ties go by id in both)
    va = np.array([sa[k] for k in ids_a])
    vb = np.array([sa[k] for k in ids_b])
    assert np.allclose(va, vb, atol=1e-9), "not the same ranking"


def peak_mb(fn: Callable[[], Any]) -> float:
    gc.collect()
    tracemalloc.start()
    fn()
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workplaces", type=int, default=200_000)
    ap.add_argument("--findings", type=int, default=1_000_000)
    ap.add_argument("--baseline", choices=("orm", "python"), default="orm")
    ap.add_argument(
        "--baseline-sample",
        type=int,
        default=10_000,
        help="orm: time the loop on this many workplaces and extrapolate (0: all of them)",
    )
    args = ap.parse_args(argv)
    n, m = args.workplaces, args.findings
    wp, f = build(n, m)
    name = f"inspection_plan_{n}x{m}"

    rank(wp, f, load_weights(), as_of=AS_OF)  # warm-up (imports, weights file)
    t = time.perf_counter()
    got = ours(wp, f)
    our_s = time.perf_counter() - t
    print(
        f"ours: ranked {n:,} workplaces with {m:,} past findings in {our_s:.3f} s "
        f"(and explained the first {TOP} lines)"
    )

    tmp = None
    server_s = None
    reference_s = 0.0
    if args.baseline == "orm":
        tmp = tempfile.TemporaryDirectory(prefix="vigil-bench-")
        setup_django(tmp.name)
        t = time.perf_counter()
        fill_db(wp, f)
        print(
            f"baseline: filled SQLite with {n:,} workplaces and {m:,} findings "
            f"in {time.perf_counter() - t:.1f} s (not timed)"
        )
        from vigil.server.inspections import services

        t = time.perf_counter()
        kept = services.rebuild_totals()
        print(f"findings totals of {kept:,} workplaces stored in {time.perf_counter() - t:.1f} s (not timed)")
        t = time.perf_counter()
        reference = server_plan(fast=False)
        reference_s = time.perf_counter() - t
        check(got, reference)
        t = time.perf_counter()
        served = server_plan()
        server_s = time.perf_counter() - t
        check(reference, served)
        print(
            f"ours through the server, reference path (every finding read, then numpy): "
            f"{reference_s:.3f} s; same scores and ranking"
        )
        print(
            f"ours through the server, fast path (the stored findings totals, then numpy): "
            f"{server_s:.3f} s; same scores and ranking as the reference path"
        )
        k = n if args.baseline_sample <= 0 else min(args.baseline_sample, n)
        t = time.perf_counter()
        base = orm_loop(limit=k)
        base_s = (time.perf_counter() - t) * n / k
        label = (
            "per-workplace Django ORM loop over SQLite (its findings and recruiters queried per workplace)"
        )
        if k < n:
            label += f", timed on its first {k:,} workplaces and extrapolated to {n:,}"
        mem_base = peak_mb(lambda: orm_loop(limit=min(k, 10_000))) * n / min(k, 10_000)
        got_sample = (got[0], {i: got[1][i] for i in base[1]})
        got = (sorted(got_sample[1], key=lambda i: (-got_sample[1][i], i)), got_sample[1])
    else:
        records = as_records(wp)
        t = time.perf_counter()
        base = python_loop(records, f, wp.ids)
        base_s = time.perf_counter() - t
        label = "per-workplace Python loop (findings grouped by workplace first)"
        mem_base = peak_mb(lambda: python_loop(records, f, wp.ids))
    check(got, base)
    print(f"baseline ({label}): {base_s:.2f} s; same scores and ranking")
    mem_ours = peak_mb(lambda: ours(wp, f))
    print(
        f"peak traced memory: ours {mem_ours:.0f} MB, baseline {mem_base:.0f} MB"
        + (" (extrapolated from its first workplaces)" if args.baseline == "orm" else "")
    )
    print(f"BENCH {name} value={our_s:.3f} unit=s baseline={base_s:.3f} ratio={base_s / our_s:.1f}")
    if server_s is not None:
        print(
            f"BENCH {name}_server value={server_s:.3f} unit=s baseline={base_s:.3f} "
            f"ratio={base_s / server_s:.1f}"
        )
        print(
            f"BENCH {name}_server_vs_reference value={server_s:.3f} unit=s baseline={reference_s:.3f} "
            f"ratio={reference_s / server_s:.1f}"
        )
    print(
        f"BENCH {name}_peak_mem value={mem_ours:.1f} unit=MB baseline={mem_base:.1f} "
        f"ratio={mem_base / mem_ours:.2f}"
    )
    if tmp is not None:
        tmp.cleanup()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
