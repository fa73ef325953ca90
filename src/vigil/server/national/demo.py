"""Demo data of the national picture, over the demo cases (``cases.demo``): protection outcomes so
that every case indicator has figures (forms of exploitation, referrals accepted and completed by
several services, follow-ups with their outcomes), a release of the 2025 annual figures by the
coordinator, and early-warning alerts: the cases of two sectors moved into the last complete week
(a synthetic surge), found by the Farrington method like any other. No case is added (the demo
keeps ``DEMO_CASES`` cases). Loaded once by ``vigil serve --demo`` (cases.demo.load_demo)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from vigil.server.cases.models import Case, MigrationStage
from vigil.server.followups.models import FollowUp
from vigil.server.national import services
from vigil.server.national.models import Release
from vigil.server.referrals.models import DataSharingAgreement, Referral, ServiceProvider

RELEASED_YEAR = "2025"
# sector, how many of its cases are moved into the last complete week
SURGES = (("F", 22), ("I", 14))
FORMS = (
    ["ForcedLabour"],
    ["SexualExploitation"],
    ["ForcedLabour", "SexualExploitation"],
    ["ForcedBegging"],
)


def last_complete_week(today: dt.date | None = None) -> dt.date:
    today = today or timezone.localdate()
    return today - dt.timedelta(days=today.weekday() + 7)


@transaction.atomic
def load_national_demo(users: dict[str, Any]) -> dict[str, int]:
    if Release.objects.exists() or not Case.objects.filter(reference__startswith="VG-").exists():
        return {"releases": 0, "alerts": 0, "followups": 0}
    cases = list(Case.objects.filter(reference__startswith="VG-").order_by("id"))
    for i, case in enumerate(cases):
        case.exploitation_types = FORMS[0] if i % 5 else FORMS[(i // 5) % len(FORMS)]
    Case.objects.bulk_update(cases, ["exploitation_types"])
    # the referrals of the demo: decided (accepted, completed, declined) a few days after opening
    now = timezone.now()
    statuses = ["accepted", "completed", "completed", "declined", "pending"]
    referrals = list(Referral.objects.filter(case__in=cases).select_related("case").order_by("id"))
    for j, ref in enumerate(referrals):
        ref.status = statuses[j % len(statuses)]
        if ref.status != "pending":
            opened = dt.datetime.combine(ref.case.opened_on, dt.time(10), dt.UTC)
            ref.decided_at = min(opened + dt.timedelta(days=2 + j % 20), now)
            ref.decided_by = ref.case.owner
    Referral.objects.bulk_update(referrals, ["status", "decided_at", "decided_by"])
    # more referrals: legal aid and psychosocial support, under the demo agreements
    legal = ServiceProvider.objects.filter(name__startswith="Demo Legal Aid").first()
    psycho = ServiceProvider.objects.filter(name__startswith="Demo NGO").first()
    made = []
    for i, case in enumerate(cases):
        if i % 4 != 2:
            continue
        provider = legal if i % 8 == 2 else psycho
        if provider is None:
            continue
        agreement = None
        if case.organisation_id != provider.organisation_id:
            agreement = DataSharingAgreement.objects.filter(
                discloser_id=case.organisation_id, recipient_id=provider.organisation_id
            ).first()
            if agreement is None:
                continue
        opened = dt.datetime.combine(case.opened_on, dt.time(11), dt.UTC)
        made.append(
            Referral(
                case=case,
                provider=provider,
                agreement=agreement,
                created_by=case.owner,
                reason="Demo: services",
                shared_fields=["gender", "primary_language"],
                status="accepted" if i % 3 else "completed",
                decided_at=min(opened + dt.timedelta(days=5 + i % 25), now),
                decided_by=case.owner,
            )
        )
    Referral.objects.bulk_create(made)
    # follow-ups: every third case, with the outcome of the check-in
    outcomes = ["safe", "safe", "in_services", "re_exploited", "still_at_risk", "safe", ""]
    followups = []
    for i, case in enumerate(cases):
        if i % 3:
            continue
        outcome = outcomes[(i // 3) % len(outcomes)]
        due = case.opened_on + dt.timedelta(days=60)
        followups.append(
            FollowUp(
                case=case,
                kind="check_in",
                due_on=due,
                created_by=case.owner,
                outcome=outcome,
                done_on=due if outcome else None,
                done_by=case.owner if outcome else None,
                retrafficking_risk=outcome == "still_at_risk",
            )
        )
    FollowUp.objects.bulk_create(followups)
    # journeys of the flows page: some went through Türkiye, a few never left France (small legs)
    journey = {
        st.case_id: st
        for st in MigrationStage.objects.filter(case__in=cases, stage="journey").order_by("id")
    }
    rerouted = []
    for i, case in enumerate(cases):
        st = journey.get(case.pk)
        if st is not None and i % 9 == 4:
            st.country, st.place, st.region = "TUR", "Istanbul", "TR-34"
            rerouted.append(st)
    MigrationStage.objects.bulk_update(rerouted, ["country", "place", "region"])
    domestic = [c.pk for i, c in enumerate(cases) if i % 60 == 7]
    MigrationStage.objects.filter(case_id__in=domestic, stage__in=["recruitment", "journey"]).update(
        country="FRA", place="Marseille", region="FR-PAC"
    )
    MigrationStage.objects.filter(case_id__in=domestic, stage="work").update(country="FRA", region="FR-ARA")
    # a synthetic surge in two sectors, in the last complete week
    week = last_complete_week()
    for sector, n in SURGES:
        moved = [c for c in cases if c.sector == sector][-n:]
        for k, case in enumerate(moved):
            case.opened_on = week + dt.timedelta(days=k % 5)
        Case.objects.bulk_update(moved, ["opened_on"])
    release = services.release(
        users["coordinator"], RELEASED_YEAR, note="Demo figures (synthetic cases).", via="cli"
    )
    alerts = services.scan(end=week, via="cli")
    return {"releases": 1 if release else 0, "alerts": len(alerts), "followups": len(followups)}
