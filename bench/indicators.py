"""The national indicators over 1,000,000 cases: the columnar engine against one ORM query per cell.

1. Makes a fresh database (SQLite in a temporary directory by default; with ``DATABASE_URL`` a
   PostgreSQL database ``vigil_bench_indicators`` on that server, dropped at the end), migrates
   it and fills it with bulk inserts: N synthetic cases (persons with no identity data), their
   work stage, referrals, follow-ups and screenings, a registry of agencies with licences and
   sanctions.
2. Ours: ``vigil.server.national.columns.load`` (one query per source compiled by the ORM, only
   the columns an indicator reads, the rows returned by the database as one ``group_concat`` /
   ``string_agg`` text that polars' CSV reader splits) then ``vigil.stats.indicators.compute``:
   every indicator of ``nap-2026`` with all its disaggregations by year, each cell
   disclosure-checked (k = 11). Timed as load + compute, and each part.
3. Baseline, in the same run: the same cells each computed by one ORM query (``filter(...)
   .count()``, ``values(...).distinct().count()`` for distinct counts; the median of a cell by
   reading its durations), as a straightforward implementation would. It is timed on a random
   sample of cells (``--sample``, 40 by default) and scaled to the number of cells (printed as
   such); the sampled cells' values are checked equal to ours before disclosure.

Prints the figures and
BENCH indicators_1m value=<s> unit=s baseline=<s, scaled> ratio=<baseline / ours>

    .venv/bin/python bench/indicators.py [--cases N] [--sample S]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import random
import sys
import tempfile
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np

PG_DB = os.environ.get("VIGIL_BENCH_PG_DB", "vigil_bench_indicators")


def _pg(url: str) -> tuple[str, dict[str, Any]]:
    parts = urlsplit(url)
    bench_url = urlunsplit(parts._replace(path=f"/{PG_DB}"))
    kwargs = {
        "host": parts.hostname or "localhost",
        "port": parts.port or 5432,
        "user": parts.username or os.environ.get("USER", "postgres"),
        "password": parts.password or "",
        "dbname": "postgres",
        "autocommit": True,
    }
    return bench_url, kwargs


def setup(cases: int) -> tuple[Any, str]:
    url = os.environ.get("DATABASE_URL", "").strip()
    tmp = tempfile.TemporaryDirectory(prefix="vigil-bench-ind-")
    os.environ["VIGIL_DATA_DIR"] = tmp.name
    os.environ.setdefault("VIGIL_ENV", "development")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigil.server.settings")
    backend = "sqlite"
    if url:
        import psycopg

        bench_url, kwargs = _pg(url)
        with psycopg.connect(**kwargs) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{PG_DB}"')
        os.environ["DATABASE_URL"] = bench_url
        backend = "postgresql"
    import django

    django.setup()
    from django.core.management import call_command

    t0 = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"{backend}: migrated in {time.perf_counter() - t0:.1f} s")
    return tmp, backend


def _insert(model: Any, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Bulk insert with the cursor (no model instances): ``columns`` are attnames; every other
    concrete field gets its default prepared for the database."""
    from django.db import connection
    from django.utils import timezone

    fields = [f for f in model._meta.concrete_fields if not f.primary_key or f.attname in columns]
    extra = [f for f in fields if f.attname not in columns]
    constants = []
    for f in extra:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            value = timezone.now()
        else:
            value = f.get_default()
        constants.append(f.get_db_prep_save(value, connection))
    names = [*columns, *(f.attname for f in extra)]
    cols = ", ".join(connection.ops.quote_name(model._meta.get_field(n).column) for n in names)
    marks = ", ".join(["%s"] * len(names))
    sql = f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({cols}) VALUES ({marks})"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # COPY: minutes faster than executemany at 1M rows
            table = connection.ops.quote_name(model._meta.db_table)
            with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row((*r, *constants))
            return
        for start in range(0, len(rows), 50_000):
            chunk = [(*r, *constants) for r in rows[start : start + 50_000]]
            cursor.executemany(sql, chunk)


def fill(n: int, seed: int = 11) -> None:
    from django.db import transaction

    from vigil.server.accounts.models import Organisation
    from vigil.server.cases.models import Case, MigrationStage, Person, Screening
    from vigil.server.followups.models import FollowUp
    from vigil.server.recruitment.models import Agency, Licence, Sanction
    from vigil.server.referrals.models import Referral, ServiceProvider

    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    with transaction.atomic():
        orgs = [
            Organisation.objects.create(name=f"Bench org {kind}", kind=kind)
            for kind in ("labour_inspectorate", "police", "ngo", "trade_union", "shelter")
        ]
        providers = [
            ServiceProvider.objects.create(organisation=orgs[4], name=f"Bench {kind}", service_type=kind)
            for kind in ("shelter", "medical", "psychosocial", "legal", "livelihood")
        ]
        genders = np.array(["Feminine", "Masculine", "NonSpecifiedUnknown", ""])
        cits = np.array(["NPL", "MDA", "PHL", "IND", "UKR", "THA", "VNM", "NGA", "ROU", "ETH"])
        org_ids = np.array([o.pk for o in orgs])
        p_org = rng.integers(0, len(orgs), n)
        g = genders[rng.choice(4, n, p=[0.48, 0.42, 0.05, 0.05])]
        born = rng.integers(1955, 2010, n)
        cit = cits[rng.integers(0, len(cits), n)]
        _insert(
            Person,
            ["id", "gender", "birth_year", "citizenship", "organisation_id"],
            [(i + 1, str(g[i]), int(born[i]), str(cit[i]), int(org_ids[p_org[i]])) for i in range(n)],
        )
        status = np.array(
            ["", "PossibleVictimOfTrafficking", "ActualVictimOfTrafficking", "NotAVictimOfTrafficking"]
        )[rng.choice(4, n, p=[0.25, 0.35, 0.25, 0.15])]
        sectors = np.array(list("ACFGHIQRST"))[rng.integers(0, 10, n)]
        forms = np.array(
            [
                '["ForcedLabour"]',
                '["SexualExploitation"]',
                '["ForcedLabour", "SexualExploitation"]',
                '["ForcedCriminality"]',
                "[]",
            ]
        )[rng.choice(5, n, p=[0.55, 0.25, 0.1, 0.05, 0.05])]
        opened = np.datetime64("2021-01-01") + rng.integers(0, 5 * 365, n)
        opened_list = opened.astype("datetime64[D]").astype(object)
        _insert(
            Case,
            [
                "id",
                "reference",
                "person_id",
                "organisation_id",
                "trafficking_status",
                "sector",
                "exploitation_types",
                "opened_on",
                "status",
            ],
            [
                (
                    i + 1,
                    f"BN-{i:08d}",
                    i + 1,
                    int(org_ids[p_org[i]]),
                    str(status[i]),
                    str(sectors[i]),
                    str(forms[i]),
                    opened_list[i],
                    "Active",
                )
                for i in range(n)
            ],
        )
        regions = np.array([f"Region {r}" for r in range(12)])[rng.integers(0, 12, n)]
        _insert(
            MigrationStage,
            ["case_id", "stage", "country", "place"],
            [(i + 1, "work", "QAT", str(regions[i])) for i in range(n)],
        )
        ref_idx = np.flatnonzero(rng.random(n) < 0.4)
        ref_status = np.array(["pending", "accepted", "completed", "declined", "revoked"])[
            rng.choice(5, len(ref_idx), p=[0.2, 0.35, 0.3, 0.1, 0.05])
        ]
        prov = np.array([p.pk for p in providers])[rng.integers(0, len(providers), len(ref_idx))]
        lag = rng.integers(0, 60, len(ref_idx))
        tz = dt.UTC
        _insert(
            Referral,
            ["case_id", "provider_id", "status", "shared_fields", "decided_at"],
            [
                (
                    int(c) + 1,
                    int(prov[j]),
                    str(ref_status[j]),
                    "[]",
                    dt.datetime.combine(opened_list[c] + dt.timedelta(days=int(lag[j])), dt.time(12), tz)
                    if ref_status[j] != "pending"
                    else None,
                )
                for j, c in enumerate(ref_idx)
            ],
        )
        fu_idx = np.flatnonzero(rng.random(n) < 0.35)
        outcomes = np.array(["", "safe", "in_services", "re_exploited", "lost_contact"])[
            rng.choice(5, len(fu_idx), p=[0.2, 0.4, 0.2, 0.05, 0.15])
        ]
        risk = rng.random(len(fu_idx)) < 0.08
        _insert(
            FollowUp,
            ["case_id", "kind", "due_on", "outcome", "retrafficking_risk", "notes"],
            [
                (
                    int(c) + 1,
                    "check_in",
                    opened_list[c] + dt.timedelta(days=90),
                    str(outcomes[j]),
                    bool(risk[j]),
                    "",
                )
                for j, c in enumerate(fu_idx)
            ],
        )
        sc_idx = np.flatnonzero(rng.random(n) < 0.6)
        sc_out = np.array(["positive", "negative", "insufficient"])[rng.integers(0, 3, len(sc_idx))]
        _insert(
            Screening,
            ["case_id", "ruleset", "ruleset_version", "answers", "determination", "outcome"],
            [
                (int(c) + 1, "ilo-ec-2009-adult-labour", "bench", "{}", "{}", str(sc_out[j]))
                for j, c in enumerate(sc_idx)
            ],
        )
        for a in range(400):
            agency = Agency.objects.create(
                legal_name=f"Bench agency {a}",
                country="NPL",
                last_inspection=dt.date(2021, 1, 1) + dt.timedelta(days=int(rng.integers(0, 1800)))
                if a % 3
                else None,
            )
            Licence.objects.create(
                agency=agency,
                number=f"BL-{a}",
                issuer="Bench",
                valid_from=dt.date(2021 + a % 5, 1, 1),
                status=["active", "suspended", "revoked"][a % 3],
            )
            if a % 4 == 0:
                Sanction.objects.create(
                    agency=agency,
                    kind=["warning", "fine", "suspension"][a % 3],
                    imposed_on=dt.date(2021 + a % 5, 6, 1),
                )
    print(
        f"filled {n:,} cases (+ stages, {len(ref_idx):,} referrals, {len(fu_idx):,} follow-ups, "
        f"{len(sc_idx):,} screenings, 400 agencies) in {time.perf_counter() - t0:.1f} s"
    )


def _q(flt: Any, source: str, prefix: str = "") -> Any:
    """A ``Q`` for one filter of the set over ``source`` (the baseline's query)."""
    from django.db.models import Exists, OuterRef, Q

    from vigil.stats.indicators import AnyOf, Condition, Has

    q = Q()
    for clause in flt.clauses:
        if isinstance(clause, Condition):
            if clause.column not in FIELDS[source]:  # a derived column: the cell's query handles it
                continue
            path = prefix + FIELDS[source][clause.column]
            if clause.present is not None:
                part = Q(**{f"{path}__isnull": False})
                field = MODELS[source]._meta.get_field(path) if "__" not in path else None
                if field is not None and field.get_internal_type() in ("CharField", "TextField"):
                    part &= ~Q(**{path: ""})
                q &= part if clause.present else ~part
            else:
                part = Q(**{f"{path}__in": list(clause.values)})
                q &= ~part if clause.negate else part
        elif isinstance(clause, AnyOf):
            alt = Q(pk__in=[])
            for option in clause.options:
                alt |= _q(option, source, prefix)
            q &= alt
        elif isinstance(clause, Has):
            model = MODELS[clause.source]
            sub = model.objects.filter(_q(clause.where, clause.source), case_id=OuterRef("pk"))
            q &= ~Exists(sub) if clause.negate else Exists(sub)
    return q


FIELDS: dict[str, dict[str, str]] = {}
MODELS: dict[str, Any] = {}


def baseline_cell(iset: Any, ind: Any, year: int, dim_id: str, category: str) -> Any:
    """One cell of an indicator's numerator (and denominator) by one ORM query each."""
    from django.db.models import F, TextField
    from django.db.models.functions import Cast

    from vigil.stats.indicators import TOTAL

    model = MODELS[ind.source]
    fields = FIELDS[ind.source]
    period_path = fields.get(ind.period) or ("case__" + FIELDS["cases"][ind.period])
    qs = model.objects.filter(**{f"{period_path}__year": year})
    if dim_id != TOTAL:
        dim = iset.dimensions[dim_id]
        prefix = "" if ind.source == "cases" else "case__"
        if dim.bands and category == "":
            qs = qs.filter(**{f"{prefix}person__birth_year__isnull": True})
        elif dim.bands:
            low, high = next((lo, hi) for label, lo, hi in dim.bands if label == category)
            qs = qs.filter(
                **{
                    f"{prefix}person__birth_year__gte": year - high,
                    f"{prefix}person__birth_year__lte": year - low,
                }
            )
        elif dim.column == "region":
            qs = qs.filter(**{f"{prefix}stages__stage": "work", f"{prefix}stages__place": category})
        elif dim.column == "exploitation_types":
            qs = qs.annotate(forms=Cast("exploitation_types", TextField()))
            if category == dim.multiple:
                qs = qs.filter(forms__contains='", "')
            else:
                qs = qs.filter(forms=f'["{category}"]' if category else "[]")
        else:
            path = fields.get(dim.column) or ("case__" + FIELDS["cases"][dim.column])
            qs = qs.filter(**{path: category})
    num = qs.filter(_q(ind.numerator, ind.source))
    out = []
    if ind.statistic == "median_days":
        _start, _end = ind.duration
        values = [
            (b.date() - a).days
            for a, b in num.annotate(first=F("referrals__decided_at"))
            .filter(referrals__status__in=["accepted", "completed"])
            .values_list("opened_on", "first")
            if b is not None and b.date() >= a
        ]
        out.append(float(np.median(values)) if values else None)
    elif ind.distinct:
        out.append(num.values(fields[ind.distinct]).distinct().count())
    else:
        out.append(num.count())
    if ind.denominator is not None:
        out.append(qs.filter(_q(ind.denominator, ind.source)).count())
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=40)
    args = parser.parse_args()
    tmp, backend = setup(args.cases)
    try:
        fill(args.cases)
        from django.apps import apps

        from vigil.server.cases.models import Case
        from vigil.server.national import columns
        from vigil.stats.indicators import compute, load_set

        iset = load_set("nap-2026")
        for name, source in iset.sources.items():
            FIELDS[name] = dict(source.orm_fields)
            with contextlib.suppress(LookupError, ValueError):
                MODELS[name] = apps.get_model(source.orm_model)
        t0 = time.perf_counter()
        prepared = columns.load(iset, Case.objects.all(), restrict_children=False)
        t_load = time.perf_counter() - t0
        t1 = time.perf_counter()
        results = compute(iset, prepared, period="year", k=11)
        t_compute = time.perf_counter() - t1
        ours = t_load + t_compute
        cells = []
        for res in results:
            if res.hidden:
                continue
            ind = iset.indicator(res.id)
            for dim_id, table in res.tables.items():
                for year in table.rows[:-1]:
                    for cat in table.cols[:-1]:
                        cells.append((ind, int(year), dim_id, cat))
        hidden = [r.id for r in results if r.hidden]
        suppressed = sum(len(t.suppressed) for r in results for t in r.tables.values())
        print(
            f"ours: {len(results) - len(hidden)} indicators ({len(hidden)} hidden: {', '.join(hidden)}), "
            f"{len(cells):,} interior cells, {suppressed:,} suppressed (k = 11)"
        )
        print(f"ours: load {t_load:.2f} s (one query per source) + compute {t_compute:.2f} s = {ours:.2f} s")
        # the baseline on a sample of cells, checked against our counts before disclosure
        raw = compute(iset, prepared, period="year", k=1)
        raw_by = {(r.id, d): t for r in raw if not r.hidden for d, t in r.tables.items()}
        rng = random.Random(5)
        sample = rng.sample(cells, min(args.sample, len(cells)))
        t2 = time.perf_counter()
        mismatches = 0
        for ind, year, dim_id, cat in sample:
            got = baseline_cell(iset, ind, year, dim_id, cat)
            table = raw_by[(ind.id, dim_id)]
            i, j = table.rows.index(str(year)), table.cols.index(cat)
            mine = table.values[i][j] if ind.statistic == "median_days" else table.numerators[i][j]
            if got[0] != mine:
                mismatches += 1
                print(f"  differs: {ind.id} {year} {dim_id}={cat!r}: baseline {got[0]}, ours {mine}")
        per_cell = (time.perf_counter() - t2) / len(sample)
        base = per_cell * len(cells)
        print(
            f"baseline (one ORM query per cell, numerator and denominator): {per_cell * 1000:.0f} ms a cell, "
            f"timed on {len(sample)} random cells and scaled to {len(cells):,}: {base:.0f} s; "
            f"{len(sample) - mismatches} of {len(sample)} sampled cells equal ours"
        )
        size = f"{args.cases // 1_000_000}m" if args.cases % 1_000_000 == 0 else str(args.cases)
        goal = "met" if ours < 3 else "missed"
        print(f"goal under 3 s: {goal} ({ours:.2f} s); ratio {base / ours:.0f}x (goal at least 20x)")
        print(
            f"BENCH indicators_{size}_{backend} value={ours:.3f} unit=s baseline={base:.1f} "
            f"ratio={base / ours:.1f}"
        )
        if mismatches:
            sys.exit(1)
    finally:
        from django.db import connections

        connections.close_all()
        if backend == "postgresql":
            import psycopg

            _url, kwargs = _pg(os.environ["DATABASE_URL"])
            with psycopg.connect(**kwargs) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
        tmp.cleanup()


if __name__ == "__main__":
    main()
