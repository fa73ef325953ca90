"""API of the national picture (``/api/national/...``): the indicators of the user's role
(``national.view``; every cell disclosure-checked, hidden cells ``null`` with the reason), releases
(``national.release`` to make one; the released figures are public on the statistics page), and
the early-warning alerts (``alerts.manage``): list, one, decide (acknowledge or dismiss, audited).
No endpoint lists cases: the drill-down is a page, for roles that may see cases."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from vigil.server.api.idempotency import IdempotentMixin
from vigil.server.api.pagination import Pagination
from vigil.server.audit.log import record
from vigil.server.national import serializers as s
from vigil.server.national import services
from vigil.server.national.models import Alert, Release
from vigil.stats.indicators import PERIODS


class _Can(permissions.BasePermission):
    capability = ""

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.can(view.capability))


class IndicatorsView(APIView):
    """Every indicator of the set with all its disaggregations, for the user's role."""

    permission_classes = (permissions.IsAuthenticated, _Can)
    capability = "national.view"

    @extend_schema(
        parameters=[
            OpenApiParameter("period", str, enum=list(PERIODS), description="year (default), quarter, month"),
            OpenApiParameter("indicator", str, description="Only this indicator (id)."),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Any) -> Response:
        period = request.query_params.get("period", "year")
        if period not in PERIODS:
            raise exceptions.ValidationError({"period": f"Choose one of: {', '.join(PERIODS)}"})
        wanted = request.query_params.get("indicator")
        iset = services.indicator_set()
        if wanted and wanted not in {i.id for i in iset.indicators}:
            raise exceptions.ValidationError({"indicator": "No such indicator."})
        results = services.indicators_for(request.user, period=period, ids=[wanted] if wanted else None)
        record(
            "export",
            user=request.user,
            object_type="indicator",
            via="api",
            request=request,
            detail={"period": period, "indicators": [r.id for r in results]},
        )
        return Response(
            {
                "indicator_set": iset.id,
                "version": iset.version,
                "period": period,
                "k": services.min_k(),
                "indicators": [r.to_dict() for r in results],
            }
        )


class ReleaseListView(IdempotentMixin, generics.ListAPIView):  # type: ignore[type-arg]
    """Releases of figures (newest first); POST releases a year's figures (``national.release``)."""

    permission_classes = (permissions.IsAuthenticated, _Can)
    capability = "national.view"
    serializer_class = s.ReleaseSerializer
    pagination_class = Pagination

    def get_queryset(self) -> Any:
        return Release.objects.select_related("released_by")

    @extend_schema(request=s.ReleaseRequestSerializer, responses={201: s.ReleaseSerializer})
    def post(self, request: Any) -> Response:
        if not request.user.can("national.release"):
            raise exceptions.PermissionDenied()
        data = s.ReleaseRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rel = services.release(
            request.user, data.validated_data["year"], note=data.validated_data["note"], via="api"
        )
        return Response(s.ReleaseSerializer(rel).data, status=status.HTTP_201_CREATED)


class AlertListView(generics.ListAPIView):  # type: ignore[type-arg]
    """Early-warning alerts (newest week first). Filter: ``status``."""

    permission_classes = (permissions.IsAuthenticated, _Can)
    capability = "alerts.manage"
    serializer_class = s.AlertSerializer
    pagination_class = Pagination

    def get_queryset(self) -> Any:
        qs = services.alerts_for(self.request.user).select_related("decided_by")
        wanted = self.request.query_params.get("status")
        if wanted:
            if wanted not in Alert.Status.values:
                choices = ", ".join(Alert.Status.values)
                raise exceptions.ValidationError({"status": f"Choose one of: {choices}"})
            qs = qs.filter(status=wanted)
        return qs

    @extend_schema(parameters=[OpenApiParameter("status", str, enum=list(Alert.Status.values))])
    def get(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class AlertDetailView(APIView):
    permission_classes = (permissions.IsAuthenticated, _Can)
    capability = "alerts.manage"

    @extend_schema(responses={200: s.AlertSerializer})
    def get(self, request: Any, pk: int) -> Response:
        alert = get_object_or_404(services.alerts_for(request.user), pk=pk)
        record("view", user=request.user, obj=alert, via="api", request=request)
        return Response(s.AlertSerializer(alert).data)


class AlertDecideView(IdempotentMixin, APIView):
    """Acknowledge an alert, or dismiss it with a reason; audited."""

    permission_classes = (permissions.IsAuthenticated, _Can)
    capability = "alerts.manage"

    @extend_schema(request=s.DecisionSerializer, responses={200: s.AlertSerializer})
    def post(self, request: Any, pk: int) -> Response:
        alert = get_object_or_404(services.alerts_for(request.user), pk=pk)
        data = s.DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if alert.status != Alert.Status.OPEN:
            raise exceptions.ValidationError({"status": "The alert was already decided."})
        services.decide(
            request.user,
            alert,
            data.validated_data["status"],
            data.validated_data["reason"],
            via="api",
            request=request,
        )
        return Response(s.AlertSerializer(alert).data)
