"""The OpenAPI schema class of every app's API (``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``): what
drf-spectacular infers, corrected where the API answers otherwise, so that clients generated from
the schema accept every answer (a test runs schemathesis over every operation):

- ids in paths are integers (the router's bounded pattern is how a URL refuses a non-id);
- a read-only field whose source goes through a nullable column or foreign key is ``nullable``
  (``withdrawn_by`` of a consent not withdrawn is ``null``), and a read-only choice of a column
  that may be blank lists ``""`` (an emergency access not ended has ``ending: ""``);
- a field that a serializer leaves out for some readers (``OMITTED_FOR_SOME``) is not required;
- only ``list`` actions are paginated: custom actions answering many records answer a bare list;
- every operation lists the problem documents it may answer (400, 401, 403, 404, 409, 413, 415,
  422, 429), as ``application/problem+json`` with the ``ProblemDetails`` component;
- every POST, PUT and PATCH of a signed-in user takes the ``Idempotency-Key`` header
  (``api.idempotency``): a global parameter, with the 422 of a key sent again with another body.
"""

from __future__ import annotations

import copy
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import ForeignObjectRel
from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent, get_view_model
from rest_framework import serializers
from rest_framework.schemas.utils import get_pk_description

from vigil.server.api import idempotency
from vigil.server.api.problems import CONTENT_TYPE
from vigil.server.api.routers import ID_PATTERN

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An RFC 9457 problem document.",
    "properties": {
        "type": {"type": "string", "description": "A URI naming the kind of problem, or about:blank."},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string", "description": "The path of the request."},
        "errors": {
            "type": "array",
            "description": "Validation errors: one per field (an empty field: the whole body).",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "detail": {"type": "string"}},
                "required": ["field", "detail"],
            },
        },
        "current_version": {"type": "integer", "description": "409 stale edit: the stored version."},
        "retry_after": {"type": "integer", "description": "429: seconds to wait."},
        "max_bytes": {"type": "integer", "description": "413: the largest body accepted."},
        "header": {"type": "string", "description": "409, 422: the header the problem is about."},
    },
    "required": ["type", "title", "status"],
}

PROBLEMS = {
    400: _("The request is not valid: see 'errors' for each field, or 'detail'."),
    401: _("No valid token: missing, unknown or expired (or the two-factor code is missing)."),
    403: _("Your role or scope does not allow this."),
    404: _("Not found, or not in your scope."),
    409: _("Refused in the record's current state (e.g. a stale version or a closed request)."),
    413: _("The request body is larger than the server accepts."),
    415: _("The body is not JSON."),
    422: _("This Idempotency-Key was already used with another body, method or path."),
    429: _("Too many attempts: wait 'retry_after' seconds."),
}

IDEMPOTENCY_HELP = _(
    "Optional: a key of your choice (e.g. a UUID), new for each change you make. Send the same "
    "request again with the same key after a 503 or a lost connection: it is not done twice; you "
    "get the first answer again (same status, the record as it is now, header "
    "Idempotent-Replayed: true). The same key with another body is refused (422); while the first "
    "request is still running, 409. Keys are per user and kept 24 hours."
)


def _source_fields(field: Any) -> list[Any]:
    """The model fields a serializer field reads through (``case.person.given_name``...)."""
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or field.source == "*":
        return []
    chain = []
    for attr in field.source_attrs:
        try:
            model_field = model._meta.get_field(attr)
        except FieldDoesNotExist:
            break
        if isinstance(model_field, ForeignObjectRel):  # a reverse relation: a list, never null
            break
        chain.append(model_field)
        model = model_field.related_model
        if model is None:
            break
    return chain


class AutoSchema(SpectacularAutoSchema):
    def _resolve_path_parameters(self, variables: Any) -> Any:
        parameters = super()._resolve_path_parameters(variables)
        model = get_view_model(self.view, emit_warnings=False)
        out = []
        for parameter in parameters:
            if parameter["schema"].get("pattern") == f"^{ID_PATTERN}$":
                fixed = {}
                for key, value in parameter.items():
                    fixed[key] = {"type": "integer"} if key == "schema" else value
                    if key == "schema" and model is not None and "description" not in parameter:
                        fixed["description"] = get_pk_description(model, model._meta.pk)
                parameter = fixed
            out.append(parameter)
        return out

    def _map_serializer_field(self, field: Any, direction: Any, bypass_extensions: bool = False) -> Any:
        chain = _source_fields(field) if field.read_only else []
        if (
            isinstance(field, serializers.ChoiceField)
            and not field.allow_blank
            and chain
            and chain[-1].blank
            and not chain[-1].null
        ):
            # DRF drops allow_blank from read-only model fields; the value can still be "".
            field = copy.copy(field)
            field.allow_blank = True
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if chain and any(getattr(f, "null", False) for f in chain) and not schema.get("nullable"):
            if "$ref" in schema:
                schema = {"allOf": [schema]}
            schema["nullable"] = True
        return schema

    def _map_basic_serializer(self, serializer: Any, direction: Any) -> Any:
        schema = super()._map_basic_serializer(serializer, direction)
        # Fields a serializer leaves out for some readers (``OMITTED_FOR_SOME``, e.g. the full
        # record of a breach that its reporter does not see) are not required in its answers.
        omitted = set(getattr(serializer, "OMITTED_FOR_SOME", ()))
        if omitted and "required" in schema:
            schema["required"] = [name for name in schema["required"] if name not in omitted]
            if not schema["required"]:
                del schema["required"]
        return schema

    def _get_paginator(self) -> Any:
        # Only the list action paginates; a custom action (a search, the notifications of an
        # incident) answers a plain list.
        if getattr(self.view, "action", None) not in (None, "list"):
            return None
        return super()._get_paginator()

    def _problem_ref(self) -> dict[str, str]:
        component = ResolvedComponent(
            name="ProblemDetails",
            type=ResolvedComponent.SCHEMA,
            object="ProblemDetails",
            schema=PROBLEM_SCHEMA,
        )
        self.registry.register_on_missing(component)
        return component.ref

    def problem_statuses(self, operation: dict[str, Any]) -> list[int]:
        """The problem documents this operation may answer."""
        parameters = operation.get("parameters", [])
        in_path = any(p["in"] == "path" for p in parameters)
        in_query = any(p["in"] == "query" for p in parameters)
        body = "requestBody" in operation
        authenticated = bool(operation.get("security")) and operation["security"] != [{}]
        codes = {401}
        if body or in_query or self.method in UNSAFE:  # a write may be refused in the record's state
            codes.add(400)
        if authenticated:
            codes.add(403)
        if in_path or in_query:  # an unknown id, a page beyond the last, a filter naming nothing
            codes.add(404)
        if self.method in UNSAFE:
            codes.add(413)
            if authenticated:
                codes.add(409)
        if body:
            codes.add(415)
        if self.view.get_throttles() or not authenticated:  # throttled, or the login lockout
            codes.add(429)
        if self.takes_idempotency_key(authenticated):
            codes.update({400, 409, 422})
        return sorted(codes)

    def takes_idempotency_key(self, authenticated: bool) -> bool:
        return (
            authenticated
            and self.method in idempotency.METHODS
            and isinstance(self.view, idempotency.IdempotentMixin)
        )

    def idempotency_parameter(self) -> dict[str, Any]:
        return {
            "in": "header",
            "name": idempotency.HEADER,
            "required": False,
            "schema": {
                "type": "string",
                "minLength": 1,
                "maxLength": idempotency.MAX_LENGTH,
                "pattern": "^[!-~]+$",
            },
            "description": IDEMPOTENCY_HELP,
        }

    def get_operation(self, *args: Any, **kwargs: Any) -> Any:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        authenticated = bool(operation.get("security")) and operation["security"] != [{}]
        if self.takes_idempotency_key(authenticated):
            operation["parameters"] = [*operation.get("parameters", []), self.idempotency_parameter()]
        responses = operation["responses"]
        for code in self.problem_statuses(operation):
            key = str(code)
            if responses.get(key, {}).get("content"):
                continue
            responses[key] = {
                "content": {CONTENT_TYPE: {"schema": self._problem_ref()}},
                "description": PROBLEMS[code],
            }
        operation["responses"] = dict(sorted(responses.items()))
        return operation
