"""The API of the audit trail (who accessed record X, what user Y did)."""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions, viewsets
from rest_framework.response import Response

from vigil.server import scoping
from vigil.server.api.params import date_param
from vigil.server.api.permissions import HasCapability
from vigil.server.audit import serializers as s
from vigil.server.audit.log import record


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("object_type", str, description="case, person, user, system"),
            OpenApiParameter("object_id", str),
            OpenApiParameter("actor", str, description="user name"),
            OpenApiParameter("action", str),
            OpenApiParameter("since", OpenApiTypes.DATE),
        ]
    )
)
class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit log (supervisors: their organisation's records and colleagues; administrators:
    all): who accessed record X, what user Y did. Reading it is itself audited."""

    serializer_class = s.AuditEntrySerializer
    permission_classes = (permissions.IsAuthenticated, HasCapability)
    capabilities: ClassVar[dict[str, str]] = {"list": "audit.view", "retrieve": "audit.view"}

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = scoping.audit_for(self.request.user).select_related("seal").order_by("-id")
        params = self.request.query_params
        for param, field in (
            ("object_type", "object_type"),
            ("object_id", "object_id"),
            ("actor", "actor_username"),
            ("action", "action"),
        ):
            if params.get(param):
                qs = qs.filter(**{field: params[param]})
        if (since := date_param(self.request, "since")) is not None:
            qs = qs.filter(at__date__gte=since)
        return qs

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        record(
            "audit_read",
            user=request.user,
            object_type="audit",
            via="api",
            request=request,
            detail={"query": {k: v for k, v in request.query_params.items() if k != "page"}},
        )
        return response
