"""Two-factor login (TOTP) for supervisors and administrators: enrolment, page gate, API token."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient
from tests.server.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def enrol(user) -> TOTPDevice:
    c = Client()
    c.force_login(user)
    page = c.get("/account/2fa/")
    assert page.status_code == 200 and b'id="otp-secret"' in page.content
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert (
        c.post("/account/2fa/", {"token": "000000" if code(device) != "000000" else "111111"}).status_code
        == 400
    )
    device.refresh_from_db()
    device.throttle_reset()  # a failure throttles the next attempt (1 s, doubling): by design
    assert c.post("/account/2fa/", {"token": code(device)}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    # A code is accepted once (replay protection); the tests log in again within the same 30 s.
    device.last_t = -1
    device.save()
    return device


def test_enrolment_only_for_supervisors_and_administrators(users):
    c = Client()
    c.force_login(users["caseworker"])
    assert c.get("/account/2fa/").status_code == 403


def test_enrolled_user_must_give_a_code_after_the_password(users, cases):
    device = enrol(users["supervisor"])
    c = Client()
    r = c.post("/login/", {"username": "supervisor", "password": PASSWORD})
    assert r.status_code == 302
    r = c.get("/cases/")
    assert r.status_code == 302 and r["Location"].startswith("/login/2fa/")
    assert c.get("/api/cases/").status_code == 403  # session API calls are gated too
    assert c.get("/api/cases/", HTTP_AUTHORIZATION="Basic eDp5").status_code == 403
    assert c.post("/login/2fa/", {"token": "12345x", "next": "/cases/"}).status_code == 400
    device.refresh_from_db()
    device.throttle_reset()
    r = c.post("/login/2fa/", {"token": code(device), "next": "/cases/"})
    assert r.status_code == 302 and r["Location"] == "/cases/"
    assert c.get("/cases/").status_code == 200
    # users without a device are not asked
    other = Client()
    other.post("/login/", {"username": "caseworker", "password": PASSWORD})
    assert other.get("/cases/").status_code == 200


def test_api_token_needs_the_code(users):
    device = enrol(users["administrator"])
    anon = APIClient()
    r = anon.post("/api/auth/token/", {"username": "administrator", "password": PASSWORD}, format="json")
    assert r.status_code == 401 and r.json()["type"].endswith("/two-factor-required")
    r = anon.post(
        "/api/auth/token/",
        {"username": "administrator", "password": PASSWORD, "otp": code(device)},
        format="json",
    )
    assert r.status_code == 200 and r.json()["token"]


def test_setup_page_shows_a_qr_code_made_on_the_server(users):
    """The QR code is an inline SVG data: URI (the CSP allows data: images and no other origin):
    the key never goes to an outside service. The otpauth URI stays as a fallback to copy."""
    import base64
    from urllib.parse import unquote

    from vigil.server.accounts.otp import qr_data_uri

    c = Client()
    c.force_login(users["supervisor"])
    page = c.get("/account/2fa/")
    html = page.content.decode()
    device = TOTPDevice.objects.get(user=users["supervisor"], confirmed=False)
    src = page.context["qr"]
    assert src == qr_data_uri(device.config_url)
    assert 'id="otp-qr" alt=' in html and f'src="{src}"' in html.replace("&amp;", "&")
    assert src.startswith("data:image/svg+xml")
    body = src.split(",", 1)[1]
    svg = base64.b64decode(body).decode() if ";base64" in src.split(",", 1)[0] else unquote(body)
    assert svg.lstrip().startswith("<svg") or svg.lstrip().startswith("<?xml")
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")
    assert 'id="otp-uri"' in html and device.config_url.replace("&", "&amp;") in html
    assert "img-src 'self' data:" in page["Content-Security-Policy"]
