"""Project-wide error pages (problem JSON under /api/, HTML elsewhere) and the favicon."""

from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.views import defaults

from .api.errors import api_not_found, api_server_error


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return api_not_found(request, exception)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith("/api/"):
        return api_server_error(request)
    return defaults.server_error(request)


def favicon(request):
    """Send the browsers that ask /favicon.ico (pages naming no icon: API docs, admin) ours."""
    return HttpResponsePermanentRedirect(static("favicon.ico"))
