"""API of field submissions (``/api/fieldwork/uploads/``): upload a Kobo or ODK Central export
with its XLSForm (multipart), each consented person screened and stored; list and read the
organisation's uploads. Capability ``case.create``; every write and read is audited."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, parsers, permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from vigil.server import scoping
from vigil.server.api.idempotency import IdempotentMixin
from vigil.server.audit.log import record
from vigil.server.fieldwork import serializers as s
from vigil.server.fieldwork import services
from vigil.server.fieldwork.models import FieldScreening, FieldUpload


class CanUpload(permissions.BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.can("case.create") and user.organisation_id)


def _uploads(user: Any) -> Any:
    return FieldUpload.objects.filter(organisation_id=user.organisation_id)


class UploadListView(IdempotentMixin, APIView):
    permission_classes = (permissions.IsAuthenticated, CanUpload)
    parser_classes = (parsers.MultiPartParser,)

    @extend_schema(summary="The organisation's field uploads", responses=s.FieldUploadSerializer(many=True))
    def get(self, request: Any) -> Response:
        uploads = list(_uploads(request.user)[:200])
        record(
            "list",
            user=request.user,
            object_type="fieldupload",
            via="api",
            request=request,
            detail={"ids": [u.pk for u in uploads]},
        )
        return Response(s.FieldUploadSerializer(uploads, many=True).data)

    @extend_schema(
        summary="Upload a Kobo or ODK Central export: screen and store each consented person",
        request={"multipart/form-data": s.UploadRequestSerializer},
        responses={201: s.UploadResultSerializer},
    )
    def post(self, request: Any) -> Response:
        req = s.UploadRequestSerializer(data=request.data)
        req.is_valid(raise_exception=True)
        case = None
        if req.validated_data.get("case"):
            case = scoping.editable_cases_for(request.user).filter(pk=req.validated_data["case"]).first()
            if case is None:
                raise exceptions.ValidationError({"case": [_("No case with this id that you may change.")]})
        try:
            result = services.store_upload(
                request.user, req.validated_data["form"], req.validated_data["submissions"], case, via="api"
            )
        except services.FieldworkError as exc:
            raise exceptions.ValidationError({exc.field: [exc.message]}) from None
        data = s.FieldUploadSerializer(result.upload).data
        data["screenings"] = s.FieldScreeningSerializer(result.screenings, many=True).data
        data["warnings"] = result.warnings
        return Response(data, status=status.HTTP_201_CREATED)


class UploadDetailView(APIView):
    permission_classes = (permissions.IsAuthenticated, CanUpload)

    @extend_schema(
        summary="One field upload with the screenings it stored (those of cases you may read)",
        responses=s.UploadResultSerializer,
    )
    def get(self, request: Any, pk: int) -> Response:
        upload = _uploads(request.user).filter(pk=pk).first()
        if upload is None:
            raise exceptions.NotFound()
        rows = list(
            FieldScreening.objects.filter(upload=upload, case__in=scoping.cases_for(request.user))
            .select_related("case")
            .order_by("id")
        )
        record(
            "view",
            user=request.user,
            obj=upload,
            via="api",
            request=request,
            detail={"screenings": [fs.pk for fs in rows]},
        )
        data = s.FieldUploadSerializer(upload).data
        data["screenings"] = s.FieldScreeningSerializer(rows, many=True).data
        data["warnings"] = []
        return Response(data)
