"""The OpenAPI schema class of every app's API (``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``): what
drf-spectacular infers, corrected where the API answers otherwise."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import get_view_model
from rest_framework.schemas.utils import get_pk_description

from vigil.server.api.routers import ID_PATTERN


class AutoSchema(SpectacularAutoSchema):
    def _resolve_path_parameters(self, variables: Any) -> Any:
        """Ids are integers: the router's bounded pattern (``api.routers``) is how the URL refuses
        what is not an id, not a string type for clients."""
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
