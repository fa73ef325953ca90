"""The interactive API documentation page."""

from __future__ import annotations

from csp.decorators import csp_update
from drf_spectacular.views import SpectacularSwaggerView

# The interactive docs load Swagger UI from its CDN: only this page's CSP allows that.
docs_view = csp_update(
    {
        "script-src": ["https://cdn.jsdelivr.net"],
        "style-src": ["https://cdn.jsdelivr.net", "'unsafe-inline'"],
        "img-src": ["https://cdn.jsdelivr.net"],
    }
)(SpectacularSwaggerView.as_view(url_name="api:schema"))
