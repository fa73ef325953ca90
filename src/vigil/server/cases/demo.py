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
]

# username, role, organisation index
USERS = [
    ("admin", Role.ADMINISTRATOR, None),
    ("supervisor", Role.SUPERVISOR, 0),
    ("inspector", Role.INSPECTOR, 0),
    ("caseworker", Role.CASEWORKER, 1),
    ("shelter", Role.REFERRAL_RECEIVER, 2),
    ("analyst", Role.ANALYST, 0),
]

STAGE_PLACES = [
    ("NPL", "Kathmandu"),
    ("QAT", "Doha"),
    ("MDA", "Chisinau"),
    ("ITA", "Latina"),
    ("THA", "Samut Sakhon"),
    ("FRA", "Lyon"),
]


class DemoRefused(Exception):
    pass


@transaction.atomic
def load_demo(n_cases: int = 12, seed: int = 7) -> dict[str, int]:
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
    created = 0
    if not Case.objects.filter(reference__startswith="VG-").exists():
        rng = random.Random(seed)
        for i in range(1, n_cases + 1):
            owner = users["inspector"] if i % 2 else users["caseworker"]
            person = Person.objects.create(
                given_name="Demo",
                family_name=f"Person-{i:03d}",
                document_number=f"DEMO-{100000 + i}",
                phone=f"+00 000 000 {i:03d}",
                address=f"{i} Example Street, Demo Town",
                narrative="Synthetic record for the demonstration. No real person.",
                gender=rng.choice(["Feminine", "Masculine", "NonSpecifiedUnknown"]),
                birth_year=rng.randint(1975, 2004),
                citizenship=rng.choice(["NPL", "MDA", "PHL", "IND"]),
                organisation=owner.organisation,
                created_by=owner,
            )
            opened = date(2026, 1, 1) + timedelta(days=rng.randint(0, 300))
            case = Case.objects.create(
                person=person,
                organisation=owner.organisation,
                owner=owner,
                opened_on=opened,
                sector=rng.choice("AFCIT"),
                exploitation_types=["ForcedLabour"],
                trafficking_status=rng.choice(["", "PossibleVictimOfTrafficking"]),
            )
            start = opened - timedelta(days=400)
            for n, stage in enumerate(["recruitment", "journey", "work"]):
                country, place = STAGE_PLACES[(i + n) % len(STAGE_PLACES)]
                MigrationStage.objects.create(
                    case=case,
                    stage=stage,
                    start_date=start + timedelta(days=60 * n),
                    end_date=start + timedelta(days=60 * n + 50),
                    country=country,
                    place=place,
                    sector=case.sector,
                    employer_or_recruiter=f"Demo Agency {i % 4 + 1}",
                )
            purposes = ["statistics"] + (["services", "referral"] if i % 3 else [])
            for purpose in purposes:
                Consent.objects.create(
                    case=case,
                    purpose=purpose,
                    given=True,
                    method="verbal",
                    given_on=opened,
                    recorded_by=owner,
                )
            if i % 3 == 1:
                from vigil.server.referrals.models import Referral

                shelter = ServiceProvider.objects.get(name__startswith="Demo Safe House")
                Referral.objects.create(
                    case=case,
                    provider=shelter,
                    agreement=DataSharingAgreement.objects.get(
                        discloser_id=case.organisation_id, recipient_id=shelter.organisation_id
                    ),
                    created_by=owner,
                    reason="Safe accommodation",
                    shared_fields=["birth_year", "gender", "given_name", "primary_language"],
                )
            created += 1
        _demo_protection(users)
        record("demo_loaded", object_type="system", via="cli", detail={"cases": created})
    return {"organisations": len(orgs), "users": len(users), "cases": created}


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
