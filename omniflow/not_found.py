"""Our 404 under DEBUG too: the Settings-framed page, or problem JSON under /api/.

With DEBUG on (as `make run` runs) Django answers a 404 with its debug page, which lists every
URL pattern and is HTML even under /api/. `handler404` (omniflow.views.not_found) answers only
with DEBUG off; this gives the same answer with DEBUG on, so a person and an API client see
what production shows. 500s keep Django's debug page: that is what DEBUG is for.
"""

from django.conf import settings
from django.http import Http404

from .views import not_found


class NotFoundPageMiddleware:
    """Answer an Http404 raised by a view or by URL resolution with `handler404`'s response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # No resolver match: no URL pattern took the path, and Django's debug page answered.
        # (Under APPEND_SLASH, CommonMiddleware has already redirected what a slash fixes.)
        if settings.DEBUG and response.status_code == 404 and request.resolver_match is None:
            return not_found(request)
        return response

    def process_exception(self, request, exception):
        if settings.DEBUG and isinstance(exception, Http404):
            return not_found(request, exception)
        return None
