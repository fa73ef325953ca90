"""The audited base viewset of every app's API: list and retrieve write an audit entry."""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework import permissions, viewsets
from rest_framework.response import Response

from vigil.server.api.idempotency import IdempotentMixin
from vigil.server.api.permissions import READ, WRITE, HasCapability
from vigil.server.audit.log import record


def changed_fields(serializer: Any) -> list[str]:
    """The fields a write sent (for its audit entry), without the optimistic-lock version."""
    return sorted(k for k in serializer.validated_data if k != "version")


# IdempotentMixin: its writes take an ``Idempotency-Key`` header (``api.idempotency``).
class AuditedViewSet(IdempotentMixin, viewsets.GenericViewSet):
    """Writes an audit entry on list, retrieve, create and update.

    Subclasses list it *before* DRF's mixins so that its ``list`` and ``retrieve`` win.
    """

    permission_classes = (permissions.IsAuthenticated, HasCapability)
    capabilities: ClassVar[dict[str, str]] = {**READ, **WRITE}
    audit_type = ""

    def audit(self, action_name: str, obj: Any = None, **detail: Any) -> None:
        record(
            action_name,
            user=self.request.user,
            obj=obj,
            object_type=self.audit_type,
            via="api",
            request=self.request,
            detail=detail,
        )

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        self.audit("list", ids=[o.pk for o in rows], query=sorted(request.query_params.keys()))
        data = self.get_serializer(rows, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def audit_detail(self, obj: Any) -> dict[str, Any]:
        """What a view entry adds about ``obj`` (ids only); e.g. the person a request is about."""
        return {}

    def retrieve(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        self.audit("view", obj, **self.audit_detail(obj))
        return Response(self.get_serializer(obj).data)
