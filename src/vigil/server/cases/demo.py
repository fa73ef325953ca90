"""Demo data: organisations, one user per role, synthetic cases (no real names)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction

from vigil.server.accounts.models import DEFAULT_SCOPE, Organisation, Role, User
from vigil.server.audit.log import record
from vigil.server.cases.models import Case, Consent, MigrationStage, Person

DEMO_PASSWORD = "vigil-demo"

ORGANISATIONS = [
    ("Demo Labour Inspectorate", Organisation.Kind.LABOUR_INSPECTORATE),
    ("Demo Migrant Support NGO", Organisation.Kind.NGO),
    ("Demo Safe House Shelter", Organisation.Kind.SHELTER),
    ("Demo Police Anti-Trafficking Unit", Organisation.Kind.POLICE),
    ("Demo Workers' Union", Organisation.Kind.TRADE_UNION),
    ("Demo Consulate", Organisation.Kind.EMBASSY),
    ("Demo Public Employment Service", Organisation.Kind.EMPLOYMENT_SERVICE),
    ("Demo Legal Aid Clinic", Organisation.Kind.LEGAL_AID),
    # a company checking its supply chain (supply app)
    ("Demo Garment Brand SA", Organisation.Kind.COMPANY),
]

# username, role, organisation index
USERS = [
    ("admin", Role.ADMINISTRATOR, None),
    ("supervisor", Role.SUPERVISOR, 0),
    ("inspector", Role.INSPECTOR, 0),
    ("caseworker", Role.CASEWORKER, 1),
    ("shelter", Role.REFERRAL_RECEIVER, 2),
    ("analyst", Role.ANALYST, 0),
    ("regulator", Role.REGULATOR, 6),
    ("compliance", Role.COMPLIANCE, 8),
    ("coordinator", Role.COORDINATOR, None),
    ("inspection_lead", Role.INSPECTION_LEAD, 0),
]

STAGE_PLACES = [
    ("NPL", "Kathmandu", "NP-P3"),
    ("QAT", "Doha", "QA-DA"),
    ("MDA", "Chisinau", "MD-CU"),
    ("ITA", "Latina", "IT-62"),
    ("THA", "Samut Sakhon", "TH-74"),
    ("FRA", "Lyon", "FR-ARA"),
]


# Enough cases, varied enough, for the analyst's count tables to stay readable under the
# disclosure rule (k = 11): a few cells are still hidden, and the page says why.
DEMO_CASES = 600
SECTORS = [("A", 0.26), ("C", 0.2), ("F", 0.2), ("I", 0.17), ("T", 0.17)]
TRAFFICKING = [
    ("", 0.28),
    ("PossibleVictimOfTrafficking", 0.32),
    ("ActualVictimOfTrafficking", 0.2),
    ("NotAVictimOfTrafficking", 0.2),
]
STATUSES = [("Active", 0.55), ("FollowUp", 0.25), ("Closed", 0.12), ("ClosedReferred", 0.08)]
GENDERS = [("Feminine", 0.48), ("Masculine", 0.44), ("NonSpecifiedUnknown", 0.08)]
CITIZENSHIPS = [("NPL", 0.25), ("MDA", 0.2), ("PHL", 0.2), ("IND", 0.2), ("UKR", 0.15)]
# Answer patterns of the adult-labour screening (ilo-ec-2009): positive, insufficient, and (every
# question answered no) negative.
SCREENING_ANSWERS: list[dict[str, bool] | None] = [
    {"DR01": True, "DR08": True, "EX01": True, "EX04": True, "CD01": True, "CD02": True},
    {"DR01": True, "EX04": True},
    None,
]


class DemoRefused(Exception):
    pass


@transaction.atomic
def load_demo(n_cases: int = DEMO_CASES, seed: int = 7) -> dict[str, int]:
    """Create (once) the demo world. Refused in production."""
    if settings.PRODUCTION:
        raise DemoRefused("demo data and demo passwords are refused when VIGIL_ENV=production")
    orgs = [
        Organisation.objects.get_or_create(name=name, defaults={"kind": kind, "country": "FRA"})[0]
        for name, kind in ORGANISATIONS
    ]
    users: dict[str, User] = {}
    for username, role, org_index in USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                role=role,
                scope=DEFAULT_SCOPE[role],
                organisation=orgs[org_index] if org_index is not None else None,
                is_superuser=role == Role.ADMINISTRATOR,
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
        users[username] = user
    from vigil.server.referrals.models import ServiceProvider

    for name, org_index, kind, langs, capacity in [
        ("Demo Safe House: emergency shelter", 2, "shelter", "en,fr,ro,ne", 12),
        ("Demo Legal Aid: labour claims", 7, "legal", "en,fr", None),
        ("Demo NGO: psychosocial support", 1, "psychosocial", "en,fr,tl", 30),
    ]:
        ServiceProvider.objects.get_or_create(
            name=name,
            defaults={
                "organisation": orgs[org_index],
                "service_type": kind,
                "area": "Demo Region",
                "languages": langs,
                "capacity": capacity,
            },
        )
    from vigil.server.referrals.models import SHAREABLE, DataSharingAgreement

    without_narrative = sorted(set(SHAREABLE) - {"narrative"})
    for discloser, recipient, fields in [
        (0, 2, without_narrative),  # inspectorate -> shelter
        (1, 2, without_narrative),  # NGO -> shelter
        (0, 7, sorted(SHAREABLE)),  # inspectorate -> legal aid
        (1, 7, sorted(SHAREABLE)),  # NGO -> legal aid
        (0, 1, without_narrative),  # inspectorate -> NGO (psychosocial support)
    ]:
        DataSharingAgreement.objects.get_or_create(
            discloser=orgs[discloser],
            recipient=orgs[recipient],
            purpose=DataSharingAgreement.Purpose.REFERRAL,
            defaults={
                "fields": fields,
                "legal_basis": "Demo: national referral mechanism memorandum of understanding",
                "document_reference": f"DEMO-MOU-{discloser}{recipient}",
                "signed_on": date(2025, 1, 1),
            },
        )
    from vigil.server.recruitment.demo import load_recruitment_demo

    load_recruitment_demo(users["regulator"])
    from vigil.server.supply.demo import load_supply_demo

    load_supply_demo(users["compliance"].organisation, users["compliance"])

    from vigil.server.safemigration.demo import load_safemigration_demo

    load_safemigration_demo(users.get("coordinator"))
    created = 0
    if not Case.objects.filter(reference__startswith="VG-").exists():
        created = _demo_cases(users, n_cases, random.Random(seed))
        _demo_protection(users)
        from vigil.server.recruitment.demo import link_demo_cases

        link_demo_cases()  # some demo cases name demo agencies (the regulator sees counts)
        record("demo_loaded", object_type="system", via="cli", detail={"cases": created})
    # after the cases: its referral opens a case, which the check above would take for the demo's
    from vigil.server.inspections.demo import load_inspections_demo

    load_inspections_demo(users)

    from vigil.server.national.demo import load_national_demo

    load_national_demo(users)
    return {"organisations": len(orgs), "users": len(users), "cases": created}


def _weighted(rng: random.Random, table: list[tuple[str, float]]) -> str:
    return rng.choices([v for v, _w in table], weights=[w for _v, w in table])[0]


def _demo_cases(users: dict[str, User], n_cases: int, rng: random.Random) -> int:
    """Synthetic cases made in bulk (a few hundred in about a second): invented names only
    ("Demo Person-001"), most with statistics consent, varied sectors, statuses and outcomes."""
    from vigil.server.cases import screening
    from vigil.server.cases.models import Screening, new_reference
    from vigil.server.referrals.models import DataSharingAgreement, Referral, ServiceProvider

    owners = [users["inspector"] if i % 2 else users["caseworker"] for i in range(1, n_cases + 1)]
    persons = []
    for i, owner in enumerate(owners, start=1):
        person = Person(
            given_name="Demo",
            family_name=f"Person-{i:03d}",
            document_number=f"DEMO-{100000 + i}",
            phone=f"+00 000 000 {i:03d}",
            address=f"{i} Example Street, Demo Town",
            narrative="Synthetic record for the demonstration. No real person.",
            gender=_weighted(rng, GENDERS),
            birth_year=rng.randint(1968, 2004),
            citizenship=_weighted(rng, CITIZENSHIPS),
            organisation=owner.organisation,
            created_by=owner,
        )
        person.refresh_indexes()  # bulk_create does not call save()
        persons.append(person)
    persons = Person.objects.bulk_create(persons)
    references: set[str] = set()
    while len(references) < n_cases:
        references.add(new_reference())
    cases = []
    for person, owner, reference in zip(persons, owners, sorted(references), strict=True):
        opened = date(2024, 1, 1) + timedelta(days=rng.randint(0, 1000))
        status = _weighted(rng, STATUSES)
        closed = status.startswith("Closed")
        cases.append(
            Case(
                reference=reference,
                person=person,
                organisation=owner.organisation,
                owner=owner,
                opened_on=opened,
                status=status,
                closed_on=opened + timedelta(days=rng.randint(30, 200)) if closed else None,
                closure_reason="Demo: safe, in services" if closed else "",
                sector=_weighted(rng, SECTORS),
                exploitation_types=["ForcedLabour"],
                trafficking_status=_weighted(rng, TRAFFICKING),
            )
        )
    cases = Case.objects.bulk_create(cases)
    stages, consents, screenings, referrals = [], [], [], []
    determinations = []
    ruleset = screening.ruleset_for(Screening(ruleset=screening.DEFAULT_RULESET))
    patterns = [
        answers if answers is not None else {i.id: False for i in ruleset.indicators if i.question}
        for answers in SCREENING_ANSWERS
    ]
    for answers in patterns:
        probe = Screening(ruleset=screening.DEFAULT_RULESET, answers=answers, age=30)
        screening.evaluate(probe)
        determinations.append((probe.determination, probe.outcome))
    version = ruleset.version
    shelter = ServiceProvider.objects.get(name__startswith="Demo Safe House")
    agreements = {
        a.discloser_id: a for a in DataSharingAgreement.objects.filter(recipient_id=shelter.organisation_id)
    }
    for i, (case, owner) in enumerate(zip(cases, owners, strict=True), start=1):
        start = case.opened_on - timedelta(days=400)
        for n, stage in enumerate(["recruitment", "journey", "work"]):
            country, place, region = STAGE_PLACES[(i + n) % len(STAGE_PLACES)]
            stages.append(
                MigrationStage(
                    case=case,
                    stage=stage,
                    start_date=start + timedelta(days=60 * n),
                    end_date=start + timedelta(days=60 * n + 50),
                    country=country,
                    place=place,
                    # the region (ISO 3166-2) on two cases in three: the others show the
                    # country-level fallback of the flows and the region disaggregation
                    region=region if i % 3 else "",
                    sector=case.sector,
                    employer_or_recruiter=f"Demo Agency {i % 4 + 1}",
                )
            )
        purposes = (["statistics"] if i % 7 else []) + (["services", "referral"] if i % 3 else [])
        consents += [
            Consent(
                case=case, purpose=p, given=True, method="verbal", given_on=case.opened_on, recorded_by=owner
            )
            for p in purposes
        ]
        if i % 5 != 0:
            answers = patterns[i % 3]
            det, outcome = determinations[i % 3]
            screenings.append(
                Screening(
                    case=case,
                    ruleset=screening.DEFAULT_RULESET,
                    ruleset_version=version,
                    age=30,
                    answers=answers,
                    determination=det,
                    outcome=outcome,
                    created_by=owner,
                )
            )
        if i % 12 == 1:
            referrals.append(
                Referral(
                    case=case,
                    provider=shelter,
                    agreement=agreements[case.organisation_id],
                    created_by=owner,
                    reason="Safe accommodation",
                    shared_fields=["birth_year", "gender", "given_name", "primary_language"],
                )
            )
    MigrationStage.objects.bulk_create(stages)
    Consent.objects.bulk_create(consents)
    Screening.objects.bulk_create(screenings)
    Referral.objects.bulk_create(referrals)
    return len(cases)


def _demo_protection(users: dict[str, User]) -> None:
    """Something to see on the protection pages, made through the same services as by hand: an
    emergency access by the NGO caseworker to an inspectorate case (an alert for the inspector and
    the supervisor), a breach reported by the caseworker and being assessed (affecting one case),
    and an access request by a person, received three days ago."""
    from django.utils import timezone

    from vigil.server.breaches import services as breaches
    from vigil.server.disclosures import subject_requests
    from vigil.server.emergency import services as emergency

    inspector_case = Case.objects.filter(owner=users["inspector"]).order_by("id").first()
    ngo_case = Case.objects.filter(owner=users["caseworker"]).order_by("id").first()
    if inspector_case is None or ngo_case is None:
        return
    emergency.grant(
        users["caseworker"],
        inspector_case.reference,
        "Night call from the shelter: the person asks for help; checking the safety plan.",
        via="cli",
    )
    incident = breaches.report(
        users["caseworker"],
        {
            "title": "Work phone with case contacts lost on the bus",
            "description": "Screen lock on; the phone held the contacts of one case.",
            "category": "lost_device",
            "discovered_at": timezone.now() - timedelta(hours=5),
        },
        via="cli",
    )
    breaches.change_status(users["admin"], incident, "assessing", note="Remote wipe requested.", via="cli")
    breaches.change_cases(users["admin"], incident, add=[ngo_case.reference], via="cli")
    subject_requests.create(
        users["supervisor"],
        person=inspector_case.person,
        kind="access",
        channel="in_person",
        received_on=timezone.localdate() - timedelta(days=3),
        via="cli",
    )
