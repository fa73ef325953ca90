"""The supply app: who may use it (every role x every route, and a company seeing only its own
chain), imports all or nothing, the duplicate review with merge and undo, audits screened with the
rule sets updating the risk with the evidence named, ranked remediation, corrective plans with
overdue milestones on the home work list, and the graph picture."""

from __future__ import annotations

import html as html_lib
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from tests.server.conftest import ROLES, client_for

from vigil.errors import InputError
from vigil.server.audit.models import AuditEntry
from vigil.server.supply import services
from vigil.server.supply.models import CorrectivePlan, Entity, Link, MatchCandidate, Milestone, SupplyAudit

pytestmark = pytest.mark.django_db

ROUTES = (
    "/api/supply/entities/",
    "/api/supply/links/",
    "/api/supply/matches/",
    "/api/supply/merges/",
    "/api/supply/audits/",
    "/api/supply/plans/",
    "/api/supply/milestones/",
    "/api/supply/risk/",
    "/api/supply/remediation/",
)
PAGES = ("/supply/", "/supply/matches/", "/supply/remediation/", "/supply/plans/")

NODES = (
    "id,name,kind,prior,country,sector,good,address\n"
    "BR,Brand SA,company,,FRA,,,\n"
    "T1,Dhaka Garments Ltd,supplier,,BGD,C14,,Plot 7 Tongi\n"
    "T1b,Dhaka Garments Limited,supplier,,BGD,C14,,Plot 7 Tongi\n"
    "T2,Spinning Mill,supplier,0.2,BGD,C13,,\n"
    "T3,Cotton Farm,supplier,,TKM,A01,Cotton,\n"
    "R1,Quick Jobs Agency,recruiter,,BGD,,,\n"
)
EDGES = "supplier,buyer,share,spend\nT1,BR,0.6,600\nT1b,BR,0.2,200\nT2,T1,0.7,\nT3,T2,0.5,\nR1,T1,0.3,\n"


def upload(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def load(org) -> services.Imported:
    return services.import_files(org, upload("nodes.csv", NODES), upload("edges.csv", EDGES))


def page(user, url: str, **kw):
    c = Client()
    c.force_login(user)
    return c.get(url, **kw) if not kw.get("data") else c.post(url, **kw)


@pytest.mark.parametrize("role", ROLES)
def test_only_the_compliance_officer_uses_the_supply_chain(users, orgs, role):
    load(orgs["a"])
    api = client_for(users[role])
    for url in ROUTES:
        r = api.get(url)
        assert r.status_code == (200 if role == "compliance" else 403), (role, url, r.status_code)
    c = Client()
    c.force_login(users[role])
    for url in PAGES:
        assert c.get(url).status_code == (200 if role == "compliance" else 403), (role, url)
    r = api.post("/api/supply/entities/", {"ref": "X", "name": "X", "kind": "supplier"}, format="json")
    assert r.status_code == (201 if role == "compliance" else 403)


def test_a_company_sees_only_its_own_chain(users, orgs):
    load(orgs["a"])
    load(orgs["b"])
    theirs = Entity.objects.get(organisation=orgs["b"], ref="T1")
    api = client_for(users["compliance"])
    listed = api.get("/api/supply/entities/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert {r["id"] for r in rows} == set(
        Entity.objects.filter(organisation=orgs["a"]).values_list("pk", flat=True)
    )
    assert api.get(f"/api/supply/entities/{theirs.pk}/").status_code == 404
    assert api.patch(f"/api/supply/entities/{theirs.pk}/", {"name": "x"}, format="json").status_code == 404
    ids = {r["entity"] for r in api.get("/api/supply/risk/").json()}
    assert theirs.pk not in ids and ids
    c = Client()
    c.force_login(users["compliance"])
    assert c.get(f"/supply/entities/{theirs.pk}/").status_code == 404
    # a link to another company's entity is refused
    mine = Entity.objects.get(organisation=orgs["a"], ref="BR")
    r = api.post("/api/supply/links/", {"supplier": theirs.pk, "buyer": mine.pk, "share": 0.1}, format="json")
    assert r.status_code == 400 and Link.objects.filter(supplier=theirs, buyer=mine).count() == 0


def test_import_is_all_or_nothing_naming_file_row_and_column(users, orgs):
    api = client_for(users["compliance"])
    bad_edges = EDGES + "T9,BR,0.1,\n"
    r = api.post(
        "/api/supply/import/",
        {"nodes": upload("nodes.csv", NODES), "edges": upload("edges.csv", bad_edges)},
        format="multipart",
    )
    assert r.status_code == 400
    assert "edges.csv, row 7, column supplier: unknown id 'T9'" in r.content.decode()
    assert Entity.objects.count() == 0 and Link.objects.count() == 0
    r = api.post(
        "/api/supply/import/",
        {"nodes": upload("nodes.csv", NODES), "edges": upload("edges.csv", EDGES)},
        format="multipart",
    )
    assert r.status_code == 201 and r.json()["created"] == 6 and r.json()["links"] == 5
    # shares above 1 together with what is stored: refused, nothing changed
    more = upload("more.csv", "supplier,buyer,share\nT2,BR,0.5\n")
    with pytest.raises(InputError, match=r"more.csv, row 2, column share: with the links already stored"):
        services.import_files(orgs["a"], upload("nodes.csv", NODES), more)
    assert not Link.objects.filter(supplier__ref="T2", buyer__ref="BR").exists()
    assert AuditEntry.objects.filter(action="import").count() == 1


def test_review_merge_and_undo_keep_the_history(users, orgs):
    res = load(orgs["a"])
    assert res.candidates >= 1
    cand = MatchCandidate.objects.get(a__ref="T1", b__ref="T1b")
    api = client_for(users["compliance"])
    before = {r["ref"]: r for r in api.get("/api/supply/risk/").json()}
    assert "T1b" in before
    r = api.post(f"/api/supply/matches/{cand.pk}/merge/", {}, format="json")
    assert r.status_code == 201, r.content
    merge_id = r.json()["id"]
    merged = {r["ref"]: r for r in api.get("/api/supply/risk/").json()}
    assert "T1b" not in merged  # folded into T1: its links count for T1
    assert api.post(f"/api/supply/matches/{cand.pk}/merge/", {}, format="json").status_code == 400
    r = api.post(f"/api/supply/merges/{merge_id}/undo/", {}, format="json")
    assert r.status_code == 200 and r.json()["undone_at"]
    again = {r["ref"]: r for r in api.get("/api/supply/risk/").json()}
    assert again == before
    cand.refresh_from_db()
    assert cand.status == "pending"
    assert api.post(f"/api/supply/merges/{merge_id}/undo/", {}, format="json").status_code == 400


def test_findings_screened_raise_the_risk_naming_the_evidence(users, orgs):
    load(orgs["a"])
    api = client_for(users["compliance"])
    mill = Entity.objects.get(organisation=orgs["a"], ref="T2")
    a = api.post(
        "/api/supply/audits/",
        {"entity": mill.pk, "date": "2026-10-01", "standard": "SMETA 6.1"},
        format="json",
    ).json()
    r = api.post(
        f"/api/supply/audits/{a['id']}/findings/",
        {"kind": "interview", "items": ["ILO11.07", "ILO11.09"], "note": "dorm visit"},
        format="json",
    )
    assert r.status_code == 201, r.content
    f = r.json()
    assert f["ruleset"] == "ilo-11" and f["outcome"] == "risk" and f["fired"] == ["ILO11.07", "ILO11.09"]
    assert f["severity"] == pytest.approx(0.8)
    fee = api.post(
        f"/api/supply/audits/{a['id']}/findings/",
        {"kind": "fee", "amount": 900, "currency": "USD", "purpose": "recruitment fee"},
        format="json",
    )
    assert fee.status_code == 201 and fee.json()["ruleset"] == "fair-recruitment-2019"
    assert fee.json()["outcome"] == "positive"
    bad = api.post(
        f"/api/supply/audits/{a['id']}/findings/", {"kind": "interview", "items": ["X1"]}, format="json"
    )
    assert bad.status_code == 400
    risk = {r["ref"]: r for r in api.get("/api/supply/risk/").json()}
    assert risk["T2"]["prior"] == pytest.approx(0.8)
    assert any(f"audit {a['id']} (SMETA 6.1, 2026-10-01)" in s for s in risk["T2"]["sources"])
    # the audit's detail holds the note (encrypted at rest) and its read is audited naming it
    detail = api.get(f"/api/supply/audits/{a['id']}/")
    assert detail.json()["findings"][0]["note"] == "dorm visit"
    entry = AuditEntry.objects.filter(action="view", object_type="supply_audit").latest("id")
    assert "findings.note" in str(entry.detail)
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("select note from supply_finding where note <> ''")
        assert all("dorm visit" not in row[0] for row in cur.fetchall())


def test_remediation_ranks_with_reasons_and_plans_track_overdue_milestones(users, orgs):
    load(orgs["a"])
    api = client_for(users["compliance"])
    lines = api.get("/api/supply/remediation/").json()
    assert [ln["rank"] for ln in lines] == list(range(1, len(lines) + 1))
    assert all(ln["reason"] and ln["action"] for ln in lines)
    assert "BR" not in {ln["name"] for ln in lines}
    farm = Entity.objects.get(organisation=orgs["a"], ref="T3")
    past = (date.today() - timedelta(days=3)).isoformat()
    r = api.post(
        "/api/supply/plans/",
        {
            "entity": farm.pk,
            "title": "Cotton traceability",
            "new_milestones": [{"title": "Map the gins", "owner": "Sourcing lead", "due": past}],
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    plan = CorrectivePlan.objects.get(title="Cotton traceability")
    assert plan.milestones.count() == 1
    r = api.post(
        "/api/supply/plans/", {"entity": farm.pk, "title": "Exit", "action": "disengage"}, format="json"
    )
    assert r.status_code == 400 and "why_engaging_failed" in r.content.decode()
    assert not CorrectivePlan.objects.filter(title="Exit").exists()
    c = Client()
    c.force_login(users["compliance"])
    home = html_lib.unescape(c.get("/").content.decode())
    assert 'id="work-milestones"' in home and "Cotton Farm: Map the gins" in home
    other = Client()
    other.force_login(users["compliance_b"])
    assert "Map the gins" not in html_lib.unescape(other.get("/").content.decode())
    m = Milestone.objects.get(plan=plan)
    assert c.post(f"/supply/plans/{plan.pk}/", {"form": "done", "milestone": m.pk}).status_code == 302
    assert "Map the gins" not in html_lib.unescape(c.get("/").content.decode())


def test_the_graph_picture_has_tiers_colours_and_escaped_names(users, orgs):
    load(orgs["a"])
    Entity.objects.filter(ref="T2", organisation=orgs["a"]).update(name="Mill <b>&</b>")
    c = Client()
    c.force_login(users["compliance"])
    body = c.get("/supply/").content.decode()
    assert "<svg" in body and "Tier 2" in body and "<b>&</b>" not in body and "Mill &lt;b&gt;" in body
    # the cotton farm (TVPRA forced labour) is in the darkest band
    farm = Entity.objects.get(ref="T3", organisation=orgs["a"])
    assert f'data-id="{farm.pk}"' in body and "#800026" in body


def test_pages_walk_import_audit_and_plan(users, orgs):
    c = Client()
    c.force_login(users["compliance"])
    r = c.post("/supply/import/", {"nodes": upload("nodes.csv", NODES), "edges": upload("edges.csv", EDGES)})
    assert r.status_code == 302 and Entity.objects.filter(organisation=orgs["a"]).count() == 6
    cand = MatchCandidate.objects.get(a__ref="T1", b__ref="T1b")
    assert (
        c.post("/supply/matches/", {"candidate": cand.pk, "decision": "merge", "keep": "a"}).status_code
        == 302
    )
    assert Entity.objects.get(ref="T1b", organisation=orgs["a"]).merged_into is not None
    mill = Entity.objects.get(ref="T2", organisation=orgs["a"])
    r = c.post(
        f"/supply/entities/{mill.pk}/",
        {
            "form": "audit",
            "audit-date": "2026-09-01",
            "audit-standard": "Better Work",
            "audit-auditor": "A. Auditor",
        },
    )
    assert r.status_code == 302
    audit = SupplyAudit.objects.get(entity=mill)
    r = c.post(
        f"/supply/entities/{mill.pk}/",
        {
            "form": "finding",
            "finding-audit": audit.pk,
            "finding-kind": "observation",
            "finding-items": ["ILO11.03"],
        },
    )
    assert r.status_code == 302 and audit.findings.get().outcome == "risk"
    r = c.post(
        f"/supply/entities/{mill.pk}/",
        {"form": "plan", "plan-title": "Free movement", "plan-action": "engage"},
    )
    assert r.status_code == 302 and CorrectivePlan.objects.filter(entity=mill).exists()
    page_text = html_lib.unescape(c.get(f"/supply/entities/{mill.pk}/").content.decode())
    assert "Better Work" in page_text and "ILO-11 indicator present: ILO11.03" in page_text
    bad = c.post("/supply/import/", {"nodes": upload("n.csv", "id,kind\nA,alien\n")})
    assert bad.status_code == 200 and "n.csv, row 2, column kind" in html_lib.unescape(bad.content.decode())


def test_reports_html_and_xlsx_of_the_own_chain_only(users, orgs):
    load(orgs["a"])
    services.import_files(orgs["b"], upload("nodes.csv", NODES.replace("Cotton Farm", "Other Farm")),
                          upload("edges.csv", EDGES))
    c = Client()
    c.force_login(users["compliance"])
    r = c.get("/supply/report.html")
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    body = r.content.decode()
    assert "Cotton Farm" in body and "Other Farm" not in body and "Risk by country" in body
    r = c.get("/supply/report.xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert c.get("/supply/report.pdf").status_code == 404
    assert AuditEntry.objects.filter(action="export").count() == 2
    other = Client()
    other.force_login(users["caseworker"])
    assert other.get("/supply/report.html").status_code == 403
