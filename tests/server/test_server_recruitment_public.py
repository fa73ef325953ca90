"""The public pages of the agency registry (no login): licence check by fuzzy name or licence
number, offer check, complaint with a receipt code and its follow-up page; the rate limit; and a
crawler, as an anonymous visitor, proving that no complainant, complaint, fee report or case
data leaks from any page it can reach."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urljoin, urlparse

import pytest
from django.core.cache import cache
from django.test import Client

from vigil.server.audit.models import AuditEntry
from vigil.server.recruitment.models import Agency, Complaint, FeeReport, JobOffer, Licence

pytestmark = pytest.mark.django_db

SECRETS = (
    "Ramesh Secretworker",
    "+977 9800000042",
    "ramesh@example.org",
    "kept my passport in Doha",
    "1234.56",
)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def registry():
    good = Agency.objects.create(
        legal_name="Himalaya Fair Recruitment Pvt Ltd",
        registration_number="NP-1001",
        country="NPL",
        sectors=["F41", "I56"],
        countries_served=["QAT", "ARE"],
    )
    Licence.objects.create(
        agency=good,
        number="DOFE-2024-0007",
        issuer="Department of Foreign Employment",
        valid_from=date(2024, 1, 1),
        valid_to=date(2099, 1, 1),
    )
    bad = Agency.objects.create(
        legal_name="Golden Gate Overseas SRL", registration_number="MD-77", country="MDA"
    )
    Licence.objects.create(
        agency=bad, number="ANOFM-0042", issuer="ANOFM", valid_from=date(2023, 1, 1), status="suspended"
    )
    Complaint.objects.create(
        agency=bad,
        description=f"{SECRETS[0]}: they {SECRETS[3]}",
        contact=f"{SECRETS[1]} {SECRETS[2]}",
        severity="high",
    )
    FeeReport.objects.create(
        agency=bad, amount=SECRETS[4], currency="EUR", purpose="placement fee", channel="loan"
    )
    # a verified offer of the licensed agency: the crawler reaches it on /public/offers/
    JobOffer.objects.create(
        agency=good,
        title="Mason",
        employer="Doha Builders WLL",
        workplace="Industrial Area St 24, Doha",
        country="QAT",
        pay_amount="1800",
        pay_currency="QAR",
        pay_period="month",
        hours_per_week=48,
        contract="fixed_term",
        costs={"visa": "worker"},
        status="approved",
    )
    return {"good": good, "bad": bad}


def test_licence_check_by_fuzzy_name_and_by_number(registry):
    client = Client()
    html = client.get("/public/agencies/", {"q": "himalaya fair recruitment"}).content.decode()
    assert "Himalaya Fair Recruitment Pvt Ltd" in html and "Licensed: licence in force" in html
    assert "DOFE-2024-0007" in html and "F41" in html and "QAT" in html and "How to complain" in html
    html = client.get("/public/agencies/", {"q": "Overseas Golden Gate S.R.L."}).content.decode()
    assert "Golden Gate Overseas SRL" in html and "Licence suspended" in html
    html = client.get("/public/agencies/", {"q": "anofm-0042"}).content.decode()
    assert "Golden Gate Overseas SRL" in html and "Himalaya" not in html
    html = client.get("/public/agencies/", {"q": "Totally Unknown Agency"}).content.decode()
    assert 'id="no-result"' in html


def test_offer_check_explains_signs_and_looks_up_the_agency(registry):
    text = (
        "Golden Gate Overseas SRL: restaurant job abroad, 3000 EUR per month, no experience needed. "
        "Pay a placement fee of 500 EUR. Your passport will be kept by the employer. "
        "Contact on WhatsApp only."
    )
    r = Client().post("/public/offer-check/", {"text": text})
    html = r.content.decode()
    assert r.status_code == 200
    assert 'id="sign-fee_charged"' in html and 'id="sign-documents_held"' in html
    assert "Never hand over your passport" in html
    assert "Agencies named in the offer" in html and "Licence suspended" in html
    html = Client().post("/public/offer-check/", {"text": "Hello."}).content.decode()
    assert 'id="no-sign"' in html and "a deceptive offer can read well" in html


def test_complaint_returns_a_receipt_code_and_the_follow_up_page_shows_status_only(registry):
    client = Client()
    r = client.post(
        "/public/complaints/new/",
        {
            "agency_name": "Himalaya Fair Recruitment",
            "complainant_type": "worker",
            "description": "Charged 800 USD for a visa",
            "contact": "+977 9800000099",
        },
    )
    assert r.status_code == 201
    code = re.search(r'id="receipt-code">([A-Z0-9-]+)<', r.content.decode()).group(1)
    complaint = Complaint.objects.get(receipt_code=code)
    assert complaint.agency == registry["good"] and complaint.contact == "+977 9800000099"
    entry = AuditEntry.objects.get(action="create", object_type="complaint", object_id=str(complaint.pk))
    assert entry.via == "public" and "9800000099" not in str(entry.detail)
    complaint.status = "reviewing"
    complaint.save()
    html = Client().post("/public/complaints/follow-up/", {"code": code.lower()}).content.decode()
    assert "Under review" in html
    assert "800 USD" not in html and "9800000099" not in html and "Himalaya" not in html
    html = Client().post("/public/complaints/follow-up/", {"code": "RC-AAAA-BBBB-CCCC"}).content.decode()
    assert 'id="not-found"' in html


def test_an_empty_complaint_is_refused_and_nothing_is_stored(registry):
    before = Complaint.objects.count()
    r = Client().post(
        "/public/complaints/new/", {"agency_name": "", "complainant_type": "worker", "description": ""}
    )
    assert r.status_code == 200 and Complaint.objects.count() == before


def test_public_pages_are_rate_limited(settings, registry):
    settings.VIGIL_PUBLIC_RATE_LIMIT = (5, 60)
    client = Client(REMOTE_ADDR="203.0.113.9")
    codes = [client.get("/public/agencies/", {"q": "himalaya"}).status_code for _ in range(7)]
    assert codes == [200] * 5 + [429, 429]
    limited = client.get("/public/offer-check/")
    assert limited.status_code == 429 and limited["Retry-After"] == "60"
    # another visitor is not limited by the first one
    assert Client(REMOTE_ADDR="203.0.113.10").get("/public/agencies/").status_code == 200


def test_crawler_as_anonymous_visitor_finds_no_identity_data(registry):
    """Follow every link and submit every search an anonymous visitor can, from the public pages
    and the home page; no page may show a complainant, a complaint, a fee report or a case."""
    from tests.server.conftest import make_case, make_user

    from vigil.server.accounts.models import Organisation

    org = Organisation.objects.create(name="Inspectorate X", kind="labour_inspectorate")
    make_case(make_user("cw", "caseworker", org), "Zainab", "Crawlerperson", "DOC-Z-9")
    client = Client()
    queries = ["Golden Gate", "ANOFM-0042", "Himalaya", "Ramesh", "passport", "9800000042"]
    seen: set[str] = set()
    todo = [
        "/",
        "/public/agencies/",
        "/public/offer-check/",
        "/public/complaints/new/",
        "/public/complaints/follow-up/",
    ]
    todo += [f"/public/agencies/?q={q}" for q in queries]
    bodies = []
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        r = client.get(url, follow=True)
        body = r.content.decode()
        bodies.append((url, body))
        for href in re.findall(r'href="([^"#]+)"', body):
            target = urljoin(url, href)
            if urlparse(target).netloc == "" and not target.startswith("/static/"):
                todo.append(target)
    for text in [
        "Golden Gate Overseas SRL, pay a placement fee, passport kept",
        "Golden Gate Overseas SRL complaint: what did they do in Doha? Call 9800000",
    ]:
        bodies.append(("offer", client.post("/public/offer-check/", {"text": text}).content.decode()))
    code = Complaint.objects.get().receipt_code
    bodies.append(
        ("follow-up", client.post("/public/complaints/follow-up/", {"code": code}).content.decode())
    )
    assert len(seen) >= 10
    assert "/public/offers/" in seen
    assert any("Doha Builders WLL" in body for url, body in bodies if url.startswith("/public/offers/"))
    for url, raw in bodies:
        body = re.sub(r"[A-Za-z0-9]{32,}", "", raw)  # CSRF tokens: random letters
        for secret in (*SECRETS, "Zainab", "Crawlerperson", "DOC-Z-9", "High"):
            assert secret not in body, (url, secret)
        assert "RC7" not in body and "Debt-bondage" not in body and "fair-recruitment-2019" not in body


def test_public_pages_speak_french(registry):
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    html = client.get("/public/agencies/", {"q": "Golden Gate"}).content.decode()
    assert "Cette agence est-elle agréée ?" in html and "Licence suspendue" in html
    html = client.post(
        "/public/offer-check/", {"text": "Votre passeport sera gardé par l'employeur."}
    ).content.decode()
    assert "Ne remettez jamais votre passeport" in html


@pytest.mark.parametrize(
    ("lang", "title", "suspended", "offers", "direction"),
    [
        (
            "es",
            "¿Tiene licencia esta agencia?",
            "Licencia suspendida",
            "Ofertas de empleo verificadas",
            "ltr",
        ),
        ("ar", "هل هذه الوكالة مرخَّصة؟", "الترخيص معلَّق", "عروض عمل موثَّقة", "rtl"),
    ],
)
def test_public_pages_speak_spanish_and_arabic(registry, lang, title, suspended, offers, direction):
    client = Client(HTTP_ACCEPT_LANGUAGE=lang)
    html = client.get("/public/agencies/", {"q": "Golden Gate"}).content.decode()
    assert title in html and suspended in html and f'dir="{direction}"' in html
    html = client.get("/public/offers/").content.decode()
    assert offers in html and "Doha Builders WLL" in html
    html = client.post("/public/complaints/new/", {}).content.decode()
    assert {"es": "Cómo podemos contactarle", "ar": "كيف يمكننا التواصل معك"}[lang] in html
