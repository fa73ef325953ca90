"""The API of accounts: tokens, the current user, organisations."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy
from django_otp import match_token, user_has_device
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, permissions, status, viewsets
from rest_framework.decorators import api_view
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from vigil.server import scoping
from vigil.server.accounts import serializers as s
from vigil.server.accounts.models import CAPABILITIES, ApiToken
from vigil.server.audit.log import record


class OrganisationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.OrganisationSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return scoping.organisations_for(self.request.user)


class InvalidCredentials(exceptions.APIException):
    status_code = 400
    default_code = "invalid_credentials"
    default_detail = gettext_lazy("Unable to log in with the user name and password given.")


class TwoFactorRequired(exceptions.APIException):
    status_code = 401
    default_code = "two_factor_required"
    default_detail = gettext_lazy("This account uses two-factor login: send the current code as 'otp'.")


class TokenView(APIView):
    """Exchange a username and password for an API token (send as ``Authorization: Token <key>``)."""

    permission_classes = (permissions.AllowAny,)
    authentication_classes: tuple[Any, ...] = ()
    throttle_classes = (ScopedRateThrottle,)
    throttle_scope = "token"

    @extend_schema(request=s.TokenRequestSerializer, responses={200: s.TokenSerializer}, auth=[])
    def post(self, request: Any) -> Response:
        body = s.TokenRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = authenticate(
            request=request._request,
            username=body.validated_data["username"],
            password=body.validated_data["password"],
        )
        if user is None or not user.is_active:
            raise InvalidCredentials
        if user_has_device(user):
            code = str(body.validated_data.get("otp") or "").strip()
            # No code: ask for it (not a failed attempt). A wrong code counts toward the throttle.
            if not code or match_token(user, code) is None:
                raise TwoFactorRequired
        token, key = ApiToken.issue(user)
        record("token_issued", user=user, object_type="user", object_id=user.pk, via="api", request=request)
        return Response({"token": key, "expires_at": token.expires_at}, status=status.HTTP_200_OK)


@extend_schema(responses={200: s.MeSerializer})
@api_view(["GET"])
def me(request: Any) -> Response:
    """Who the token or session belongs to, with the role's capabilities."""
    user = request.user
    return Response(
        {
            "username": user.username,
            "role": user.role,
            "scope": user.scope,
            "organisation": user.organisation_id,
            "capabilities": sorted(CAPABILITIES.get(user.role, frozenset())),
        }
    )
