"""API of emergency access: request, list, end, acknowledge, revoke (``/api/emergency-access/``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from vigil.server.api.idempotency import IdempotentMixin
from vigil.server.audit.log import record
from vigil.server.emergency import services
from vigil.server.emergency.models import EmergencyAccess
from vigil.server.emergency.serializers import (
    EmergencyAccessSerializer,
    EmergencyAcknowledgeSerializer,
    EmergencyEndSerializer,
    EmergencyGrantSerializer,
    EmergencyRevokeSerializer,
)


class NoLongerActive(exceptions.APIException):
    status_code = 409
    default_code = "emergency_access_closed"
    default_detail = gettext_lazy("This emergency access is no longer active.")


class CanRequestEmergencyAccess(permissions.BasePermission):
    """Creating a grant needs ``case.emergency_access``: checked before the body is even read, so
    a user without it learns nothing about which references exist."""

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return view.action != "create" or services.may_request(user)


def _problem(exc: services.EmergencyError) -> exceptions.APIException:
    if exc.field == "status":
        return NoLongerActive(exc.message)
    return exceptions.ValidationError({exc.field: [exc.message]})


@extend_schema_view(
    list=extend_schema(
        summary="Your grants, and grants on the cases you own or supervise",
        description="Administrators see every grant (read-only).",
    ),
    retrieve=extend_schema(summary="One grant"),
)
class EmergencyAccessViewSet(
    IdempotentMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Break-glass access (R6): read access to one case outside your scope, for a few hours, with a
    reason; audited; the owner of the case and the supervisors of its organisation are alerted."""

    serializer_class = EmergencyAccessSerializer
    permission_classes = (permissions.IsAuthenticated, CanRequestEmergencyAccess)

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return services.grants_for(self.request.user).order_by("-granted_at", "-id")

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        data = response.data
        rows = data.get("results", []) if isinstance(data, dict) else data
        record(
            "list",
            user=request.user,
            object_type="emergency_access",
            via="api",
            request=request,
            detail={"ids": [row["id"] for row in rows]},
        )
        return response

    @extend_schema(
        summary="Request emergency access to a case by its exact reference",
        request=EmergencyGrantSerializer,
        responses={201: EmergencyAccessSerializer},
    )
    def create(self, request: Any) -> Response:
        body = EmergencyGrantSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            grant = services.grant(
                request.user,
                body.validated_data["case_reference"],
                body.validated_data["reason"],
                via="api",
                request=request,
            )
        except services.EmergencyError as exc:
            raise _problem(exc) from None
        return Response(self.get_serializer(grant).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="End your own emergency access now",
        request=EmergencyEndSerializer,
        responses={200: EmergencyAccessSerializer},
    )
    @action(detail=True, methods=["post"])
    def end(self, request: Any, pk: str | None = None) -> Response:
        grant: EmergencyAccess = self.get_object()
        if not services.may_end(request.user, grant):
            raise exceptions.PermissionDenied()
        body = EmergencyEndSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            reason = body.validated_data.get("reason", "")
            version = body.validated_data.get("version")
            services.end(grant, request.user, reason, expected_version=version, via="api", request=request)
        except services.EmergencyError as exc:
            raise _problem(exc) from None
        return Response(self.get_serializer(grant).data)

    @extend_schema(
        summary="Acknowledge an emergency access to a case you own or supervise",
        request=EmergencyAcknowledgeSerializer,
        responses={200: EmergencyAccessSerializer},
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Any, pk: str | None = None) -> Response:
        grant: EmergencyAccess = self.get_object()
        if not services.may_acknowledge(request.user, grant):
            raise exceptions.PermissionDenied()
        body = EmergencyAcknowledgeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            version = body.validated_data.get("version")
            services.acknowledge(grant, request.user, expected_version=version, via="api", request=request)
        except services.EmergencyError as exc:
            raise _problem(exc) from None
        return Response(self.get_serializer(grant).data)

    @extend_schema(
        summary="Revoke an emergency access now (supervisors of the owning organisation)",
        request=EmergencyRevokeSerializer,
        responses={200: EmergencyAccessSerializer},
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Any, pk: str | None = None) -> Response:
        grant: EmergencyAccess = self.get_object()
        if not services.may_revoke(request.user, grant):
            raise exceptions.PermissionDenied()
        body = EmergencyRevokeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            data = body.validated_data
            services.revoke(
                grant,
                request.user,
                data["reason"],
                expected_version=data.get("version"),
                via="api",
                request=request,
            )
        except services.EmergencyError as exc:
            raise _problem(exc) from None
        return Response(self.get_serializer(grant).data)
