"""The analyst's API: microdata export and count tables of the cases with statistics consent."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from vigil.server import scoping
from vigil.server.api.params import int_param
from vigil.server.audit.log import record
from vigil.server.statistics import microdata as exports


class CanSeeStatistics(permissions.BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.can("stats.view"))


def _k_param(request: Any) -> int:
    k = int_param(request, "k", default=exports.min_k())
    assert k is not None
    if k < exports.min_k():
        raise exceptions.ValidationError({"k": _("k must be at least %(k)s.") % {"k": exports.min_k()}})
    return k


class CaseExportView(APIView):
    """HTCDS-aligned microdata of the cases with statistics consent, as CSV: no identity field, no
    organisation; quasi-identifiers of records in groups smaller than ``k`` are suppressed."""

    permission_classes = (permissions.IsAuthenticated, CanSeeStatistics)

    @extend_schema(
        parameters=[OpenApiParameter("k", int, description="Smallest group published (>= 11).")],
        responses={(200, "text/csv"): OpenApiTypes.STR},
    )
    def get(self, request: Any) -> HttpResponse:
        k = _k_param(request)
        return exports.download(request, scoping.statistics_cases_for(request.user), k, via="api")


class CaseStatisticsView(APIView):
    """A two-way count table of the cases with statistics consent, small cells suppressed."""

    permission_classes = (permissions.IsAuthenticated, CanSeeStatistics)

    @extend_schema(
        parameters=[
            OpenApiParameter("rows", str, enum=sorted(exports.DIMENSIONS), required=True),
            OpenApiParameter("cols", str, enum=sorted(exports.DIMENSIONS), required=True),
            OpenApiParameter("k", int, description="Smallest count published (>= 11)."),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Any) -> Response:
        k = _k_param(request)
        dims = {}
        for name in ("rows", "cols"):
            value = request.query_params.get(name, "")
            if value not in exports.DIMENSIONS:
                raise exceptions.ValidationError(
                    {name: _("Choose one of: %s") % ", ".join(sorted(exports.DIMENSIONS))}
                )
            dims[name] = value
        table = exports.count_table(scoping.statistics_cases_for(request.user), dims["rows"], dims["cols"], k)
        record(
            "export",
            user=request.user,
            object_type="case",
            via="api",
            request=request,
            detail={"table": [dims["rows"], dims["cols"]], "k": k, "hidden": table["hidden"]},
        )
        return Response({"rows_dimension": dims["rows"], "cols_dimension": dims["cols"], **table})
