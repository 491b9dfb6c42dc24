"""Content-Security-Policy on every response: only our own origin may supply what a page runs.

Scripts, styles, fonts, images and connections come from our own origin and nothing else; no
inline script or style, no frames of us elsewhere, forms post only to us. A view that needs
more (the API docs: Redoc injects its styles and searches in a blob: worker) sets its own
header, which is left as it is.
"""

from django.conf import settings

HEADER = "Content-Security-Policy"
API_DOCS_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"
)


class ContentSecurityPolicyMiddleware:
    """Add `settings.OMNIFLOW_CONTENT_SECURITY_POLICY` to responses that have none."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.OMNIFLOW_CONTENT_SECURITY_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy and HEADER not in response:
            response[HEADER] = self.policy
        return response
