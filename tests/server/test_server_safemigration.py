"""Safe-migration pages (public, no login): published guides only, in the visitor's language with
English as fallback, review date shown, demo marked; light pages without external resources; the
admin workflow (an edit of a published text goes back to review, only the coordinator publishes);
a small-screen browser check."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from tests.server.conftest import make_user
from tests.server.test_server_browser import browser, shots  # noqa: F401 (fixtures)

from vigil.server.safemigration.demo import load_safemigration_demo
from vigil.server.safemigration.models import Guide

pytestmark = pytest.mark.django_db


def get(url: str, lang: str = "en") -> Any:
    return Client().get(url, HTTP_ACCEPT_LANGUAGE=lang)


def test_demo_guides_are_published_in_four_languages_and_marked_demo(db):
    assert load_safemigration_demo() == 12
    assert load_safemigration_demo() == 0  # loading again adds nothing
    for lang, title, country in (
        ("en", "Working abroad safely", "Northland (demo)"),
        ("fr", "Travailler à l'étranger en sécurité", "Terre du Nord (démo)"),
        ("es", "Trabajar en el extranjero de forma segura", "Tierra del Norte (demo)"),
        ("ar", "العمل في الخارج بأمان", "أرض الشمال (تجريبي)"),
    ):
        r = get("/public/safe-migration/", lang)
        assert r.status_code == 200
        text = r.content.decode()
        assert title in text and country in text, lang
        assert ('dir="rtl"' in text) == (lang == "ar")
        page = get("/public/safe-migration/xda/", lang).content.decode()
        assert 'id="demo-banner"' in page and 'id="reviewed"' in page
    es = get("/public/safe-migration/XOA/", "es").content.decode()
    assert "Tierras Altas (demo)" in es and "comisiones de contratación" in es.lower()
    # the licence and offer checks of the recruitment app are linked
    assert "/public/agencies/" in es and "/public/offer-check/" in es


def test_only_published_guides_are_public_and_english_is_the_fallback(db):
    g = Guide.objects.create(
        country="XZZ",
        country_name="Testland",
        role="destination",
        language="en",
        rights="Rights here.",
        status=Guide.Status.DRAFT,
    )
    assert get("/public/safe-migration/XZZ/").status_code == 404
    assert "Testland" not in get("/public/safe-migration/").content.decode()
    g.status = Guide.Status.PUBLISHED
    g.reviewed_on = "2026-11-02"
    g.save()
    fr = get("/public/safe-migration/XZZ/", "fr").content.decode()
    assert 'id="other-language"' in fr and "Rights here." in fr
    assert "2 novembre 2026" in fr  # the review date, in the visitor's language
    assert get("/public/safe-migration/XZZ/", "en").status_code == 200
    assert get("/public/safe-migration/nope/").status_code == 404


def test_pages_are_light_and_load_nothing_from_elsewhere(db):
    load_safemigration_demo()
    from django.contrib.staticfiles import finders

    css = Path(finders.find("vigil/vigil.css")).stat().st_size
    for url in ("/public/safe-migration/", "/public/safe-migration/XDA/", "/public/safe-migration/XOA/"):
        for lang in ("en", "ar"):
            r = get(url, lang)
            html = r.content.decode()
            assert "<script" not in html
            external = re.findall(r'(?:src|href)="(https?:)?//', html)
            assert external == [], url
            assert len(r.content) + css < 100_000, (url, len(r.content))


def test_an_edit_of_a_published_guide_goes_back_to_review_and_only_the_coordinator_publishes(orgs):
    load_safemigration_demo()
    coordinator = make_user("coord", "coordinator", orgs["a"])
    caseworker = make_user("cw", "caseworker", orgs["a"])
    assert coordinator.is_staff and not coordinator.is_superuser and not caseworker.is_staff
    guide = Guide.objects.get(country="XDA", language="es")
    c = Client()
    c.force_login(caseworker)
    assert c.get(f"/admin/safemigration/guide/{guide.pk}/change/").status_code in (302, 403)
    c = Client()
    c.force_login(coordinator)
    url = f"/admin/safemigration/guide/{guide.pk}/change/"
    assert c.get(url).status_code == 200
    index = c.get("/admin/").content.decode()  # the guides, and no other model of the admin
    assert "/admin/safemigration/guide/" in index
    apps_linked = set(re.findall(r'href="/admin/(\w+)/', index)) - {"password_change", "logout"}
    assert apps_linked == {"safemigration"}
    assert c.get("/admin/accounts/user/").status_code == 403
    assert c.get("/admin/cases/case/").status_code in (403, 404)
    data = {f: getattr(guide, f) for f in ("country", "country_name", "role", "language", *Guide.CONTENT)}
    data["fees"] = guide.fees + " Nunca pague por un empleo."
    data["demo"] = "on"
    r = c.post(url, data)
    assert r.status_code == 302, r.content.decode()[:3000]
    guide.refresh_from_db()
    assert guide.status == Guide.Status.REVIEW and "Nunca pague" in guide.fees
    assert (
        get("/public/safe-migration/XDA/", "es").content.decode().count("Nunca pague") == 0
    )  # English shown
    r = c.post("/admin/safemigration/guide/", {"action": "publish", "_selected_action": [guide.pk]})
    assert r.status_code == 302
    guide.refresh_from_db()
    assert guide.status == Guide.Status.PUBLISHED and guide.reviewed_by == coordinator
    assert "Nunca pague" in get("/public/safe-migration/XDA/", "es").content.decode()


def test_a_small_screen_reads_without_sideways_scrolling(browser, live_server, shots):  # noqa: F811
    load_safemigration_demo()
    for lang in ("ar", "es"):
        ctx = browser.new_context(
            viewport={"width": 320, "height": 640}, locale=lang, extra_http_headers={"Accept-Language": lang}
        )
        page = ctx.new_page()
        sizes: list[int] = []
        page.on("response", lambda resp, sizes=sizes: sizes.append(len(resp.body())))
        page.goto(f"{live_server.url}/public/safe-migration/XDB/")
        assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
        assert page.locator("#demo-banner").is_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, (lang, width)
        assert sum(sizes) < 100_000, sizes
        shots(page, f"safe-migration-{lang}")
        ctx.close()
