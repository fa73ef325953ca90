"""Demo data of the supply app: a garment brand's chain in three tiers (garment makers in
Malaysia and Bangladesh, fabric and spinning mills, cotton from Turkmenistan, which the TVPRA
list names for forced labour, and from the United States), two labour recruiters in Nepal (one
licensed in the demo registry, one never licensed), a likely duplicate supplier to review, one
audit with findings and a corrective plan with an overdue milestone. Made-up names, no real
company or person. Loaded once by ``vigil serve --demo`` (cases.demo.load_demo), after the demo
agency registry so the recruiters resolve against it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from vigil.server.supply import services
from vigil.server.supply.models import Entity, SupplyAudit

NODES = """id,name,kind,country,sector,good,address,workers
BRAND,Demo Garment Brand SA,company,FRA,,,,
PEN,Demo Penang Apparel Sdn Bhd,supplier,MYS,C14,Garments,"Lot 12, Bayan Lepas, Penang",850
DHK,Demo Dhaka Knitwear Ltd,supplier,BGD,C14,Garments,"Plot 7, Tongi, Gazipur",1200
DHK2,Demo Dhaka Knitwear Limited,supplier,BGD,C14,Garments,"Plot 7 Tongi Gazipur",
SEL,Demo Selangor Fabric Mills,supplier,MYS,C13,Textiles,"Shah Alam, Selangor",300
GAZ,Demo Gazipur Spinning Mills,supplier,BGD,C13,Yarn,"Kaliakair, Gazipur",640
AHAL,Demo Ahal Cotton Ginnery,supplier,TKM,A01,Cotton,Ahal,
TEX,Demo Texas Cotton Co-op,supplier,USA,A01,Cotton,"Lubbock, Texas",
EVR,Demo Everest Fair Manpower Pvt Ltd,recruiter,NPL,,,Kathmandu,
HIM,Demo Himal Quick Visa Services,recruiter,NPL,,,Kathmandu,
"""
EDGES = """supplier,buyer,share,spend
PEN,BRAND,0.5,500000
DHK,BRAND,0.35,350000
DHK2,BRAND,0.1,100000
SEL,PEN,0.7,
GAZ,DHK,0.9,
GAZ,SEL,0.6,
AHAL,GAZ,0.3,
TEX,GAZ,0.6,
TEX,SEL,0.3,
EVR,PEN,0.15,
HIM,PEN,0.1,
"""


@transaction.atomic
def load_supply_demo(organisation: Any, officer: Any) -> dict[str, int]:
    """Create (once) the demo chain of ``organisation``; nothing if it has entities already."""
    if Entity.objects.filter(organisation=organisation).exists():
        return {"entities": 0, "audits": 0, "plans": 0}
    res = services.import_files(
        organisation,
        SimpleUploadedFile("demo-nodes.csv", NODES.encode()),
        SimpleUploadedFile("demo-links.csv", EDGES.encode()),
    )
    today = timezone.localdate()
    pen = Entity.objects.get(organisation=organisation, ref="PEN")
    audit = SupplyAudit.objects.create(
        organisation=organisation,
        entity=pen,
        date=today - timedelta(days=40),
        standard="SMETA 6.1 (demo)",
        auditor="Demo Social Audits",
        recorded_by=officer,
    )
    services.add_finding(
        audit,
        "interview",
        services.screen_interview(
            ["ILO11.07", "ILO11.08", "ILO11.09"],
            "Demo: passports kept in the office safe; wages held back until a recruitment loan is repaid.",
        ),
    )
    services.add_finding(
        audit,
        "fee",
        services.screen_fee(
            1200, "USD", "recruitment fee", "recruiter", "upfront", "Demo: receipts shown by three workers."
        ),
    )
    services.add_finding(audit, "observation", services.screen_interview(["ILO11.11"]))
    plan = services.open_plan(
        pen,
        officer,
        title="Demo: return passports and repay recruitment fees",
        action="escalate",
        milestones=[
            (
                "Passports returned to every worker, personal lockers installed",
                "Factory HR manager",
                today - timedelta(days=5),
            ),
            (
                "Recruitment fees repaid to the workers (Employer Pays)",
                "Factory general manager",
                today + timedelta(days=45),
            ),
            (
                "Follow-up audit with worker interviews",
                "Brand compliance officer",
                today + timedelta(days=90),
            ),
        ],
    )
    return {"entities": res.created, "audits": 1, "plans": 1 if plan else 0}
