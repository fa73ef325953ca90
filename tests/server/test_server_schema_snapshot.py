"""The OpenAPI schema is checked in: any change to an operation, a field or a component shows up
as a diff of ``snapshots/openapi.yaml`` in review, so that a refactoring cannot change the API
unnoticed and an intended change is visible to the integrators who generate clients from it.

After an intended change, regenerate it with::

    python -m vigil.server spectacular --file tests/server/snapshots/openapi.yaml
"""

from __future__ import annotations

import difflib
from pathlib import Path

from django.utils import translation
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiYamlRenderer

SNAPSHOT = Path(__file__).parent / "snapshots" / "openapi.yaml"


def test_schema_equals_the_snapshot():
    # In English whatever an earlier test left active (the descriptions are translatable).
    with translation.override("en"):
        schema = SchemaGenerator().get_schema(request=None, public=True)
        current = OpenApiYamlRenderer().render(schema, renderer_context={}).decode()
    stored = SNAPSHOT.read_text(encoding="utf-8")
    diff = "".join(
        difflib.unified_diff(stored.splitlines(True), current.splitlines(True), "snapshot", "now", n=2)
    )
    assert not diff, "The OpenAPI schema changed; if intended, regenerate the snapshot:\n" + diff[:4000]
