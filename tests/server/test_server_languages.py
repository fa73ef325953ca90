"""Spanish and Arabic pages (issue 13): offered in the switcher, pages rendered in the chosen
language, Arabic right to left, the screening questions in the chosen language, English where a
string is not translated yet."""

from __future__ import annotations

import html as htmllib
from pathlib import Path

import pytest
from django.test import Client

import vigil.server
from vigil.rules import i18n, load_ruleset
from vigil.server.cases.models import Screening

pytestmark = pytest.mark.django_db
SERVER = Path(vigil.server.__file__).parent


def client(user=None, lang: str = "en") -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    c.cookies["django_language"] = lang
    if user is not None:
        c.force_login(user)
    return c


def page(c: Client, url: str) -> str:
    r = c.get(url)
    assert r.status_code == 200, url
    return htmllib.unescape(r.content.decode())


def test_switcher_offers_the_four_languages(users):
    text = page(client(users["caseworker"]), "/cases/")
    for code, name in [("en", "English"), ("fr", "français"), ("es", "español"), ("ar", "العربيّة")]:
        assert f'<option value="{code}"' in text, code
        assert name in text, name


def test_set_language_switches_to_arabic(users):
    c = client(users["caseworker"])
    r = c.post("/i18n/setlang/", {"language": "ar", "next": "/cases/"})
    assert r.status_code == 302 and c.cookies["django_language"].value == "ar"
    text = htmllib.unescape(c.get("/cases/").content.decode())
    assert '<html lang="ar" dir="rtl">' in text
    assert '<option value="ar" selected>' in text


@pytest.mark.parametrize(("lang", "direction"), [("en", "ltr"), ("fr", "ltr"), ("es", "ltr"), ("ar", "rtl")])
def test_login_page_language_and_direction(lang, direction):
    text = page(client(lang=lang), "/login/")
    assert f'<html lang="{lang}" dir="{direction}">' in text
    expected = {"en": "Password", "fr": "Mot de passe", "es": "Contraseña", "ar": "كلمة المرور"}[lang]
    assert expected in text
    assert (">Log in<" in text) is (lang == "en")


@pytest.mark.parametrize("lang", ["es", "ar"])
def test_navigation_and_case_pages_in_spanish_and_arabic(users, cases, lang):
    c = client(users["caseworker"], lang)
    listing = page(c, "/cases/")
    nav = {"es": ["Casos", "Nuevo caso", "Seguimientos", "Cerrar sesión"],
           "ar": ["الحالات", "حالة جديدة", "المتابعات", "تسجيل الخروج"]}[lang]
    for word in nav:
        assert word in listing, word
    assert ">Cases<" not in listing and ">Log out<" not in listing
    detail = page(c, f"/cases/{cases['a_caseworker'].pk}/")
    assert {"es": "Iniciar un cribado", "ar": "بدء الفرز"}[lang] in detail


def test_screening_questions_appear_in_the_chosen_language(users, cases):
    rs = load_ruleset("ilo-ec-2009-adult-labour")
    case = cases["a_inspector"]
    c = client(users["inspector"])
    r = c.post(f"/cases/{case.pk}/screenings/", {"ruleset": rs.id})
    assert r.status_code == 302
    s = Screening.objects.get(case=case)
    for lang in ("es", "ar"):
        c.cookies["django_language"] = lang
        text = page(c, f"/screenings/{s.pk}/")
        for ind in rs.indicators[:8]:
            question = i18n.indicator_text(rs, ind.id, lang)[1]
            assert question and question in text, (lang, ind.id)
            assert ind.question not in text, (lang, ind.id)
        assert ('dir="rtl"' in text) is (lang == "ar")
        assert {"es": "Guardar las respuestas", "ar": "حفظ الإجابات"}[lang] in text


def test_untranslated_strings_fall_back_to_english(users):
    # the audit app's strings are not in Spanish yet: its pages show English, never an empty string
    po = (SERVER / "audit" / "locale" / "es" / "LC_MESSAGES" / "django.po").read_text("utf-8")
    assert 'msgstr ""' in po
    from django.utils import translation

    with translation.override("es"):
        assert translation.gettext("Page not found.") == "Página no encontrada."
        assert translation.gettext("A string no catalogue has") == "A string no catalogue has"


@pytest.mark.parametrize("lang", ["es", "ar"])
def test_every_app_has_a_compiled_catalogue(lang):
    for fr in SERVER.glob("**/locale/fr/LC_MESSAGES/django.po"):
        po = fr.parent.parent.parent / lang / "LC_MESSAGES" / "django.po"
        assert po.is_file(), po
        mo = po.with_suffix(".mo")
        assert mo.is_file() and mo.stat().st_mtime >= po.stat().st_mtime - 1, mo
        assert f'"Language: {lang}\\n"' in po.read_text("utf-8")


def test_layout_uses_logical_css_properties_so_it_mirrors():
    css = (SERVER / "web" / "static" / "vigil" / "vigil.css").read_text("utf-8")
    import re

    physical = re.findall(r"(?:margin|padding|border)-(?:left|right)\b|text-align:\s*(?:left|right)|"
                          r"(?<![-\w])(?:left|right):", css)
    assert physical == []
    assert "margin-inline-start" in css and "text-align: start" in css
