"""Django's page middleware, skipped for API requests.

The API authenticates by key and has no session, login, CSRF cookie or flash message, so the
session, authentication, CSRF and messages middleware only cost each API request time (the
profile of `bench/api.py` found them on every request). These subclasses run Django's for every
other path, unchanged. CSRF's `process_view` still runs for API views, which are exempt.
"""

from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core import checks
from django.core.checks.security import csrf
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.module_loading import import_string

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


def csrf_deploy_check(**_kwargs) -> list[checks.CheckMessage]:
    """Django's CSRF deploy checks, for a CSRF middleware that is a subclass of Django's.

    Django's own (security.W003, and W016 after it) look for its class path by name, so with
    PageCsrfViewMiddleware they warn that CSRF is off and skip the cookie check. settings.py
    silences security.W003; this is the same pair, seeing subclasses.
    """
    if not any(issubclass(import_string(path), CsrfViewMiddleware) for path in settings.MIDDLEWARE):
        return [checks.Warning(csrf.W003.msg, id="omniflow.W003")]
    if not settings.CSRF_USE_SESSIONS and not settings.CSRF_COOKIE_SECURE:
        return [checks.Warning(csrf.W016.msg, id="omniflow.W016")]
    return []


def register_csrf_deploy_check() -> None:
    checks.register(csrf_deploy_check, checks.Tags.security, deploy=True)
