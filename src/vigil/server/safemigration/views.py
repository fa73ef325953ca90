"""Public safe-migration pages: light (no script, no external resource), in the visitor's language."""

from __future__ import annotations

from django.apps import apps
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation

from vigil.server.recruitment.public import public_page
from vigil.server.safemigration import services
from vigil.server.safemigration.models import Guide


def _checks() -> bool:
    """The recruitment app's public checks (agency licence, job offer) are linked where installed."""
    return apps.is_installed("vigil.server.recruitment")


@public_page
def index(request: HttpRequest) -> HttpResponse:
    lang = translation.get_language() or "en"
    guides = services.published(lang)
    return render(
        request,
        "safemigration/index.html",
        {
            "destinations": [g for g in guides if g.role == Guide.Role.DESTINATION],
            "origins": [g for g in guides if g.role == Guide.Role.ORIGIN],
            "checks": _checks(),
        },
    )


@public_page
def guide(request: HttpRequest, country: str) -> HttpResponse:
    lang = translation.get_language() or "en"
    if len(country) != 3 or not country.isalpha():
        raise Http404
    found = services.guide_for(country, lang)
    if found is None:
        raise Http404
    sections = [
        (Guide._meta.get_field(name).verbose_name, getattr(found, name))
        for name in Guide.SECTIONS
        if getattr(found, name).strip()
    ]
    return render(
        request,
        "safemigration/guide.html",
        {
            "guide": found,
            "sections": sections,
            "other_language": found.language != lang,
            "checks": _checks(),
        },
    )
