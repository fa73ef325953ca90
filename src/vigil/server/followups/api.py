"""The API of follow-ups: scheduled check-ins and their outcomes."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from vigil.server import scoping
from vigil.server.api.permissions import READ
from vigil.server.api.viewsets import changed_fields
from vigil.server.cases.api import CaseChildViewSet
from vigil.server.followups import serializers as s
from vigil.server.followups import services as followup_services


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("case", int),
            OpenApiParameter("open", bool, description="Only follow-ups not done yet."),
            OpenApiParameter("overdue", bool, description="Only open follow-ups past their due date."),
        ]
    )
)
class FollowUpViewSet(
    CaseChildViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
):
    """Scheduled check-ins; ``?overdue=true`` is the worklist."""

    serializer_class = s.FollowUpSerializer
    child_name = "followup"
    scope = staticmethod(scoping.followups_for)
    capabilities: ClassVar[dict[str, str]] = {
        **READ,
        "create": "case.edit",
        "update": "case.edit",
        "partial_update": "case.edit",
        "complete": "case.edit",
    }

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = super().get_queryset().order_by("due_on", "id")
        params = self.request.query_params
        if params.get("open") in {"true", "1"}:
            qs = qs.filter(done_on__isnull=True)
        if params.get("overdue") in {"true", "1"}:
            qs = qs.filter(done_on__isnull=True, due_on__lt=timezone.localdate())
        return qs

    def perform_create(self, serializer: Any) -> None:
        with transaction.atomic():
            followup = serializer.save(created_by=self.request.user)
            self.audit("update", followup, change="follow-up scheduled")

    def perform_update(self, serializer: Any) -> None:
        with transaction.atomic():
            followup = serializer.save()
            self.audit(
                "update",
                followup,
                change="follow-up changed",
                fields=changed_fields(serializer),
                version=followup.version,
            )

    @extend_schema(request=s.FollowUpCompleteSerializer, responses=s.FollowUpSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Any, pk: str | None = None) -> Response:
        followup = self.get_object()
        body = s.FollowUpCompleteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if followup.done_on is not None:
            raise exceptions.ValidationError({"done_on": _("This follow-up is already done.")})
        data = body.validated_data
        with transaction.atomic():
            expected = data.pop("version", None)
            followup_services.complete(followup, request.user, expected_version=expected, **data)
            self.audit(
                "update",
                followup,
                change="follow-up done",
                outcome=followup.outcome,
                retrafficking_risk=followup.retrafficking_risk,
            )
        return Response(self.get_serializer(followup).data)
