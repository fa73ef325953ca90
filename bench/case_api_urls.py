"""URLs of the server started by ``bench/case_api.py``: the project's URLs, plus ``GET
/bench/ping/``, a trivial Django view (tiny JSON, no database) that goes through the same
middleware as the API. It is the baseline: what the server costs before the API does anything.

A helper, not a benchmark: ``make bench`` runs every ``bench/*.py``, and as a script this module
does nothing (its imports need configured settings).
"""

if __name__ == "__main__":
    raise SystemExit(0)

from django.http import HttpRequest, JsonResponse
from django.urls import path

from vigil.server import urls as project


def ping(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


urlpatterns = [path("bench/ping/", ping, name="bench-ping"), *project.urlpatterns]
handler404 = project.handler404
handler500 = project.handler500
handler403 = project.handler403
