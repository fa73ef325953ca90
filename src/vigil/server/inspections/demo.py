"""Demo data of labour inspections: synthetic workplaces in three sectors (agriculture, garments,
construction), a plan, two completed visits (one found a presumed victim of forced labour, who
was referred to the shelter with consent; one found labour-law violations only) and a follow-up
visit due. No real workplace or person; the names are made up. Loaded once by
``vigil serve --demo`` (cases.demo.load_demo)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from vigil.server.inspections import services
from vigil.server.inspections.models import Finding, Workplace

# name, registration, ISIC, region, workers, open complaints, agency registrations, years since the
# last visit (None: never), past findings (kind, years ago)
WORKPLACES: list[tuple[str, str, str, str, int, int, list[str], float | None, list[tuple[str, float]]]] = [
    (
        "Demo Sunrise Tomato Farm",
        "DEMO-WP-001",
        "0113",
        "Demo North",
        60,
        2,
        ["MD-DEMO-104", "MD-DEMO-105"],
        None,
        [],
    ),
    (
        "Demo Valley Orchards",
        "DEMO-WP-002",
        "0124",
        "Demo North",
        25,
        0,
        ["MD-DEMO-105"],
        3.0,
        [("violation", 3.0)],
    ),
    (
        "Demo Stitchworks Ltd",
        "DEMO-WP-003",
        "1410",
        "Demo South",
        140,
        1,
        ["NP-DEMO-002"],
        2.0,
        [("violation", 2.0), ("violation", 2.0), ("indicator", 2.0)],
    ),
    ("Demo Bright Threads", "DEMO-WP-004", "1430", "Demo South", 45, 0, [], 0.5, []),
    (
        "Demo Skyline Builders",
        "DEMO-WP-005",
        "4100",
        "Demo North",
        90,
        1,
        ["MD-DEMO-103"],
        4.0,
        [("indicator", 4.0)],
    ),
    ("Demo Harbour Construction", "DEMO-WP-006", "4290", "Demo South", 30, 0, [], 1.0, []),
]
VICTIM_ANSWERS = {
    "ILO11.02": True,
    "ILO11.03": True,
    "ILO11.07": True,
    "UR05": True,
    "PN02": True,
    "PN03": True,
    "WD01": True,
}
LABOUR_ANSWERS = {
    "EX01": True,
    "EX04": True,
    "EX05": True,
    "ILO11.07": False,
    "ILO11.03": False,
    "UR05": False,
    "PN02": False,
    "PN03": False,
    "PN12": False,
}


def load_inspections_demo(users: dict[str, Any]) -> int:
    """Create the demo once (skipped when its workplaces exist); returns the workplaces created."""
    from vigil.server.recruitment.models import Agency
    from vigil.server.referrals.models import ServiceProvider

    lead, insp = users["inspection_lead"], users["inspector"]
    if Workplace.objects.filter(registration_number__startswith="DEMO-WP-").exists():
        return 0
    today = timezone.localdate()
    with transaction.atomic():
        wps: dict[str, Workplace] = {}
        for name, reg, isic, region, size, complaints, agencies, last, past in WORKPLACES:
            wp = Workplace.objects.create(
                organisation_id=lead.organisation_id,
                name=name,
                registration_number=reg,
                sector=isic,
                region=region,
                size=size,
                open_complaints=complaints,
                address=f"{region}, industrial road {reg[-1]}",
                last_visit=today - timedelta(days=round(last * 365)) if last is not None else None,
                buyers=["Demo Fresh Markets Group"] if isic.startswith("01") else [],
            )
            wp.recruiters.set(Agency.objects.filter(registration_number__in=agencies))
            for kind, years in past:
                Finding.objects.create(
                    workplace=wp,
                    kind=kind,
                    category="wages" if kind == "violation" else "",
                    indicator="" if kind == "violation" else "ILO11.08",
                    found_on=today - timedelta(days=round(years * 365)),
                    description="from the register's history",
                )
            wps[reg] = wp
        plan = services.create_plan(
            lead,
            title="Demo plan: agriculture and garments, this quarter",
            region="",
            period_start=today - timedelta(days=30),
            period_end=today + timedelta(days=60),
        )
        # 1. the farm: a joint visit with the union; a presumed victim, referred with consent
        farm = services.add_visit(
            lead,
            wps["DEMO-WP-001"],
            scheduled_on=today - timedelta(days=20),
            inspectors=[insp],
            plan=plan,
            joint_bodies=["union", "vigilance_committee"],
        )
        for kind in ("locked_doors", "documents_retained", "living_on_site"):
            services.record_observation(farm, insp, kind=kind)
        victim = services.record_interview(
            farm,
            insp,
            held_in_private=True,
            answers=VICTIM_ANSWERS,
            age=27,
            language="ro",
            interpreter=True,
            worker_name="Demo Person-I01",
            worker_contact="+000 0000 0001",
            notes="Passport kept by the supervisor; told the pay would be double.",
        )
        services.record_interview(
            farm,
            insp,
            held_in_private=True,
            answers=LABOUR_ANSWERS,
            age=41,
            language="ro",
            worker_name="Demo Person-I02",
        )
        services.add_violation(farm, insp, category="hours", description="70-hour weeks at harvest")
        farm = services.complete_visit(farm, insp, carried_out_on=today - timedelta(days=20))
        shelter = ServiceProvider.objects.filter(name__startswith="Demo Safe House").first()
        if shelter is not None:
            services.refer_worker(
                victim,
                insp,
                provider=shelter,
                consent_given=True,
                consent_method="verbal",
                reason="Safe accommodation after the inspection",
            )
        services.add_action(
            farm,
            insp,
            kind="police",
            description="referral of the employer for forced labour",
            deadline=None,
        )
        services.add_action(
            farm,
            insp,
            kind="notice",
            description="open the gates, return the documents",
            deadline=today + timedelta(days=10),
        )
        # 2. the garment workshop: labour-law violations only; a notice and a follow-up due
        shop = services.add_visit(
            lead, wps["DEMO-WP-003"], scheduled_on=today - timedelta(days=12), inspectors=[insp], plan=plan
        )
        for kind in ("pay_records_missing", "living_on_site"):
            services.record_observation(shop, insp, kind=kind)
        services.record_interview(
            shop,
            insp,
            held_in_private=True,
            answers=LABOUR_ANSWERS,
            age=33,
            language="ne",
            worker_name="Demo Person-I03",
        )
        services.add_violation(shop, insp, category="wages", description="below the minimum wage")
        services.add_violation(shop, insp, category="safety", description="blocked fire exit")
        shop = services.complete_visit(shop, insp, carried_out_on=today - timedelta(days=12))
        services.add_action(
            shop,
            insp,
            kind="notice",
            description="pay the minimum wage, keep pay records",
            deadline=today + timedelta(days=5),
        )
        services.schedule_follow_up(shop, insp, scheduled_on=today + timedelta(days=7))
        # 3. a visit planned, not yet carried out
        services.add_visit(
            lead,
            wps["DEMO-WP-005"],
            scheduled_on=today + timedelta(days=14),
            inspectors=[insp],
            plan=plan,
            joint_bodies=["police"],
        )
    return len(wps)
