"""Django's page middleware, skipped for API requests.

The API authenticates by key and has no session, login, CSRF cookie or flash message, so the
session, authentication, CSRF and messages middleware only cost each API request time (the
profile of `bench/api.py` found them on every request). These subclasses run Django's for every
other path, unchanged. CSRF's `process_view` still runs for API views, which are exempt.
"""

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.middleware.csrf import CsrfViewMiddleware

API_PREFIX = "/api/v1/"


class _PagesOnly:
    """Pass API requests straight to the next layer; run the middleware for the rest."""

    def __call__(self, request):
        if request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        return super().__call__(request)


class PageSessionMiddleware(_PagesOnly, SessionMiddleware):
    pass


class PageCsrfViewMiddleware(_PagesOnly, CsrfViewMiddleware):
    pass


class PageAuthenticationMiddleware(_PagesOnly, AuthenticationMiddleware):
    pass


class PageMessageMiddleware(_PagesOnly, MessageMiddleware):
    pass
