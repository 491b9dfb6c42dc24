"""The API reference page (Redoc), served entirely from our own static files."""

from drf_spectacular.views import SpectacularRedocView

from omniflow.csp import API_DOCS_POLICY, HEADER


class ApiDocsView(SpectacularRedocView):
    """Redoc from drf-spectacular-sidecar, under the docs' own Content-Security-Policy."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response[HEADER] = API_DOCS_POLICY
        return response
