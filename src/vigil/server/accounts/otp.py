"""Two-factor login (TOTP, django-otp) for supervisors and administrators.

Enrolment at ``/account/2fa/``; once a device is confirmed, every session of that user must pass
``/login/2fa/`` after the password before any page or session-authenticated API call, and
``POST /api/auth/token/`` needs an ``otp`` field.
"""

from __future__ import annotations

import base64
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from vigil.server.api.problems import problem_response
from vigil.server.audit.log import record

OTP_ROLES = {"supervisor", "administrator"}
EXEMPT_PREFIXES = ("/login/", "/logout/", "/static/", "/i18n/")


def qr_data_uri(text: str) -> str:
    """The QR code of ``text`` as an SVG ``data:`` URI, made here (no external service sees the
    key; the CSP allows ``data:`` images only)."""
    return str(segno.make(text, error="m").svg_data_uri(scale=5, border=4, dark="#1d2733"))


def may_enrol(user: Any) -> bool:
    return bool(user.is_authenticated and user.role in OTP_ROLES)


def needs_verification(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_authenticated and user_has_device(user) and not user.is_verified())  # type: ignore[attr-defined]


class RequireOTPMiddleware:
    """After django_otp's OTPMiddleware: an enrolled user who has not given a code this session
    reaches only the code page (pages) or gets a 403 problem (session-authenticated API)."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if needs_verification(request) and not request.path.startswith(EXEMPT_PREFIXES):
            if request.path.startswith("/api/"):
                # A token request authenticates as the token's user (who gave a code to get it);
                # anything else would fall back to this unverified session.
                if not request.headers.get("Authorization", "").startswith("Token "):
                    return problem_response(request, 403, detail=_("Give your two-factor code first."))
            else:
                return redirect(f"{reverse('accounts:otp-verify')}?next={request.get_full_path()}")
        return self.get_response(request)


def verify(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    nxt = request.GET.get("next") or request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        nxt = "/"
    if not needs_verification(request):
        return redirect(nxt)
    error = ""
    if request.method == "POST":
        device = match_token(request.user, (request.POST.get("token") or "").strip())
        if device is not None:
            otp_login(request, device)
            record(
                "login_2fa",
                user=request.user,
                object_type="user",
                object_id=request.user.pk,
                via="web",
                request=request,
            )
            return redirect(nxt)
        error = _("This code is not valid. Try the current code of your authenticator app.")
        record(
            "login_2fa_failed",
            user=request.user,
            object_type="user",
            object_id=request.user.pk,
            via="web",
            request=request,
        )
    return render(
        request, "accounts/otp_verify.html", {"error": error, "next": nxt}, status=400 if error else 200
    )


@login_required
def setup(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not may_enrol(user):
        return render(
            request,
            "vigil/error.html",
            {"status": 403, "message": _("Two-factor login is for supervisors and administrators.")},
            status=403,
        )
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if confirmed is not None:
        return render(request, "accounts/otp_setup.html", {"enabled": True})
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    error = ""
    if request.method == "POST":
        if device.verify_token((request.POST.get("token") or "").strip()):
            device.confirmed = True
            device.save()
            otp_login(request, device)
            record(
                "2fa_enabled", user=user, object_type="user", object_id=user.pk, via="web", request=request
            )
            messages.success(request, _("Two-factor login is on."))
            return redirect("accounts:otp-setup")
        error = _("This code is not valid. Try the current code of your authenticator app.")
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    uri = device.config_url
    return render(
        request,
        "accounts/otp_setup.html",
        {
            "enabled": False,
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "uri": uri,
            "qr": qr_data_uri(uri),
            "error": error,
        },
        status=400 if error else 200,
    )
