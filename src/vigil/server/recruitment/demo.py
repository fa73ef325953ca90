"""Demo data of the agency registry: a dozen synthetic agencies in Nepal and Moldova (licensed,
suspended, revoked, expired, never licensed), complaints and fee reports. No real agency or
person; the names are made up. Loaded once by ``vigil serve --demo`` (cases.demo.load_demo)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from vigil.server.recruitment import services
from vigil.server.recruitment.models import (
    Agency,
    CaseLink,
    Complaint,
    FeeReport,
    Inspection,
    JobOffer,
    Licence,
    Sanction,
)

# legal name, country, registration, sectors, countries served, licence (status, years valid) or
# None (never licensed), years since the last inspection (None: never inspected)
AGENCIES: list[tuple[str, str, str, list[str], list[str], tuple[str, int] | None, float | None]] = [
    (
        "Demo Everest Fair Manpower Pvt Ltd",
        "NPL",
        "NP-DEMO-001",
        ["F41", "I56"],
        ["QAT", "ARE"],
        ("active", 3),
        0.5,
    ),
    (
        "Demo Annapurna Overseas Pvt Ltd",
        "NPL",
        "NP-DEMO-002",
        ["C10", "F42"],
        ["MYS", "SAU"],
        ("active", 2),
        1.5,
    ),
    (
        "Demo Sagarmatha Job Link Pvt Ltd",
        "NPL",
        "NP-DEMO-003",
        ["I55", "N81"],
        ["QAT"],
        ("suspended", 2),
        0.2,
    ),
    (
        "Demo Kathmandu Gulf Recruiters Pvt Ltd",
        "NPL",
        "NP-DEMO-004",
        ["F41"],
        ["ARE", "KWT"],
        ("revoked", 2),
        0.1,
    ),
    ("Demo Lumbini Human Resources Pvt Ltd", "NPL", "NP-DEMO-005", ["A01"], ["ISR"], ("expired", -1), 3.0),
    ("Demo Himal Quick Visa Services", "NPL", "NP-DEMO-006", ["I56"], ["QAT", "OMN"], None, None),
    (
        "Demo Chisinau Work Abroad SRL",
        "MDA",
        "MD-DEMO-101",
        ["A01", "C10"],
        ["DEU", "ITA"],
        ("active", 3),
        0.8,
    ),
    ("Demo Nistru Personal SRL", "MDA", "MD-DEMO-102", ["Q87", "T97"], ["ITA"], ("active", 1), 2.5),
    ("Demo Codru Recruitment SRL", "MDA", "MD-DEMO-103", ["F41"], ["POL", "CZE"], ("suspended", 2), 0.3),
    ("Demo Prut Europe Jobs SRL", "MDA", "MD-DEMO-104", ["I56", "S96"], ["ISR", "TUR"], ("revoked", 1), 0.4),
    ("Demo Balti Seasonal Agency SRL", "MDA", "MD-DEMO-105", ["A01"], ["GBR"], ("active", 2), None),
    ("Demo Dream Jobs Europe", "MDA", "", ["I56"], ["ITA", "ESP"], None, None),
]

# agency index, complainant type, severity, status, days ago, description (synthetic)
COMPLAINTS = [
    (
        2,
        "worker",
        "high",
        "reviewing",
        20,
        "Demo complaint: the agent kept my passport until I paid a second fee.",
    ),
    (
        2,
        "ngo",
        "medium",
        "received",
        5,
        "Demo complaint: workers were told the contract would be signed on arrival.",
    ),
    (
        3,
        "union",
        "high",
        "upheld",
        200,
        "Demo complaint: a placement fee of 1,200 USD was repaid from wages.",
    ),
    (
        5,
        "anonymous",
        "high",
        "received",
        12,
        "Demo complaint: offers on a messaging app, no address, fee upfront.",
    ),
    (
        8,
        "worker",
        "medium",
        "reviewing",
        40,
        "Demo complaint: housing deducted from wages, more than agreed.",
    ),
    (9, "anonymous", "high", "upheld", 300, "Demo complaint: an offer for young women as waitresses abroad."),
    (11, "worker", "high", "received", 3, "Demo complaint: paid 500 EUR to reserve a place, no news since."),
    (1, "worker", "low", "dismissed", 90, "Demo complaint: the flight was late; the agency paid the hotel."),
]

# agency index, amount, currency, purpose, payee, channel
FEES = [
    (2, "900", "USD", "visa processing", "agent", "loan"),
    (2, "300", "USD", "medical test", "recruiter", "upfront"),
    (3, "1200", "USD", "placement fee", "recruiter", "wage_deduction"),
    (3, "450", "USD", "flight ticket", "employer", "wage_deduction"),
    (5, "700", "USD", "registration fee", "agent", "upfront"),
    (5, "200", "USD", "pre-departure training", "agent", "family"),
    (8, "350", "EUR", "housing deposit", "employer", "wage_deduction"),
    (9, "500", "EUR", "placement fee", "recruiter", "loan"),
    (11, "500", "EUR", "reservation fee", "agent", "upfront"),
    (0, "0", "USD", "placement fee", "recruiter", "upfront"),
]


FAIR = {
    "recruitment_fee": "employer",
    "travel": "employer",
    "visa": "employer",
    "medical": "employer",
    "training": "employer",
    "insurance": "employer",
    "housing": "employer",
    "food": "worker",
}
# agency index, job, employer, workplace, country, sector, pay, currency, period, hours, contract,
# months, costs the worker pays, text, approved (True), or waiting (False)
OFFERS: list[tuple[Any, ...]] = [
    (
        0,
        "Construction worker",
        "Demo Doha Builders WLL",
        "Industrial Area St 24, Doha",
        "QAT",
        "F41",
        "1800",
        "QAR",
        "month",
        48,
        "fixed_term",
        24,
        (),
        "Site work on housing projects.",
        True,
    ),
    (
        1,
        "Food-processing operator",
        "Demo Selangor Foods Sdn Bhd",
        "Jalan Klang 7, Shah Alam",
        "MYS",
        "C10",
        "1700",
        "MYR",
        "month",
        45,
        "fixed_term",
        24,
        (),
        "Packing line, shifts by rota.",
        True,
    ),
    (
        6,
        "Greenhouse worker",
        "Demo Gemüsehof Brandt GmbH",
        "Feldweg 3, Straelen",
        "DEU",
        "A01",
        "13.90",
        "EUR",
        "hour",
        40,
        "seasonal",
        6,
        (),
        "Vegetable harvest, housing provided free.",
        True,
    ),
    (
        7,
        "Care assistant",
        "Demo Casa Serena Srl",
        "Via Verdi 3, Bologna",
        "ITA",
        "Q87",
        "1500",
        "EUR",
        "month",
        38,
        "permanent",
        None,
        (),
        "Care of elderly residents, Italian course paid.",
        True,
    ),
    (
        10,
        "Fruit picker",
        "Demo Orchard Farms Ltd",
        "Hill Farm, Kent",
        "GBR",
        "A01",
        "11.44",
        "GBP",
        "hour",
        39,
        "seasonal",
        6,
        ("visa",),
        "Strawberry season. Only 5 places left, confirm this week.",
        False,
    ),
    (
        2,
        "Hotel cleaner",
        "Demo Pearl Hotel WLL",
        "Corniche St 2, Doha",
        "QAT",
        "I55",
        "1400",
        "QAR",
        "month",
        48,
        "fixed_term",
        24,
        (),
        "Room cleaning in a city hotel.",
        True,
    ),
]


@transaction.atomic
def load_recruitment_demo(regulator: Any) -> dict[str, int]:
    """Create (once) the demo registry; nothing if agencies exist already."""
    if Agency.objects.exists():
        return {"agencies": 0, "complaints": 0, "fee_reports": 0, "offers": 0}
    today = timezone.localdate()
    agencies = []
    for name, country, reg, sectors, served, licence, inspected in AGENCIES:
        agency = Agency.objects.create(
            legal_name=name,
            registration_number=reg,
            country=country,
            sectors=sectors,
            countries_served=served,
        )
        agencies.append(agency)
        if inspected is not None:
            Inspection.objects.create(
                agency=agency,
                inspected_on=today - timedelta(days=round(inspected * 365)),
                inspector="Demo inspection team",
                outcome=Inspection.Outcome.BREACHES
                if licence and licence[0] != "active"
                else Inspection.Outcome.COMPLIANT,
                findings="Demo findings: fee records and contracts checked.",
                recorded_by=regulator,
            )
        if licence is None:
            continue
        status, years = licence
        start = date(today.year - 2, 1, 15)
        lic = Licence.objects.create(
            agency=agency,
            number=f"{'DOFE' if country == 'NPL' else 'ANOFM'}-DEMO-{len(agencies):04d}",
            issuer="Demo Department of Foreign Employment"
            if country == "NPL"
            else "Demo National Employment Agency",
            valid_from=start,
            valid_to=today + timedelta(days=365 * years)
            if status != "expired"
            else today - timedelta(days=30),
        )
        if status in ("suspended", "revoked"):
            services.change_licence_status(
                lic, status, reason="Demo: fees charged to workers", user=regulator
            )
            Sanction.objects.create(
                agency=agency,
                kind=Sanction.Kind.SUSPENSION if status == "suspended" else Sanction.Kind.REVOCATION,
                imposed_on=today - timedelta(days=10),
                summary="Demo sanction after an inspection.",
            )
    for i, kind, severity, status, days, text in COMPLAINTS:
        Complaint.objects.create(
            agency=agencies[i],
            agency_name_given=agencies[i].legal_name,
            complainant_type=kind,
            severity=severity,
            status=status,
            made_on=today - timedelta(days=days),
            description=text,
            contact="" if kind == "anonymous" else "Demo contact: +000 0000 0000",
        )
    for i, amount, currency, purpose, payee, channel in FEES:
        FeeReport.objects.create(
            agency=agencies[i],
            amount=Decimal(amount),
            currency=currency,
            purpose=purpose,
            payee=payee,
            channel=channel,
        )
    for (
        i,
        title,
        employer,
        place,
        country,
        sector,
        pay,
        cur,
        period,
        hours,
        contract,
        months,
        worker,
        text,
        ok,
    ) in OFFERS:
        offer = JobOffer.objects.create(
            agency=agencies[i],
            title=title,
            employer=employer,
            workplace=place,
            country=country,
            sector=sector,
            pay_amount=Decimal(pay),
            pay_currency=cur,
            pay_period=period,
            hours_per_week=hours,
            contract=contract,
            contract_months=months,
            costs={**FAIR, **dict.fromkeys(worker, "worker")},
            description=text,
        )
        if ok:  # approved (before a suspension, for the suspended agency: no longer listed)
            JobOffer.objects.filter(pk=offer.pk).update(
                status=JobOffer.Status.APPROVED,
                reviewed_at=timezone.now() - timedelta(days=30),
                reviewed_by=regulator,
                review_note="Demo: employer and contract checked.",
            )
    return {
        "agencies": len(agencies),
        "complaints": len(COMPLAINTS),
        "fee_reports": len(FEES),
        "offers": len(OFFERS),
    }


# demo agencies (by index in AGENCIES) that recruited some demo cases' persons
CASE_AGENCIES = (3, 9, 11, 3, 5, 9, 2, 6)


def link_demo_cases() -> int:
    """Link some demo cases (possible or decided trafficking first) to demo agencies, as their
    caseworkers would; once. Called by the case demo after its cases exist."""
    from vigil.server.cases.models import Case

    if CaseLink.objects.exists():
        return 0
    agencies = {a.legal_name: a for a in Agency.objects.filter(legal_name__startswith="Demo ")}
    targets = [agencies.get(AGENCIES[i][0]) for i in CASE_AGENCIES]
    trafficking = list(
        Case.objects.filter(
            reference__startswith="VG-", trafficking_status__in=services.TRAFFICKING_STATUSES
        ).order_by("id")[:6]
    )
    other = list(
        Case.objects.filter(reference__startswith="VG-")
        .exclude(trafficking_status__in=services.TRAFFICKING_STATUSES)
        .order_by("id")[:2]
    )
    links = [
        CaseLink(agency=agency, case=case, linked_by=case.owner)
        for agency, case in zip(targets, trafficking + other, strict=False)
        if agency is not None
    ]
    CaseLink.objects.bulk_create(links)
    return len(links)
