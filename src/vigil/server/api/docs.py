"""The interactive API documentation page (``/api/docs/``).

Swagger UI is served by this server (drf-spectacular-sidecar, ``SWAGGER_UI_DIST = "SIDECAR"`` in
the settings, pinned in pyproject.toml), never from a CDN: the page works without internet access
and loads no third-party script. drf-spectacular's split view serves Swagger UI's start script
as a file of its own (``?script``) instead of an inline ``<script>``, and the page frame's few CSS
rules are a static file (``vigil/api-docs.css``), so the site's strict Content-Security-Policy
(``script-src 'self'``, ``style-src 'self'``) applies to this page unchanged."""

from __future__ import annotations

from drf_spectacular.views import SpectacularSwaggerSplitView


class ApiDocsView(SpectacularSwaggerSplitView):
    template_name = "vigil/api_docs.html"


docs_view = ApiDocsView.as_view(url_name="api:schema")
