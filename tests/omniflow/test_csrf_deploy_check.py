"""`check --deploy` sees our page-only CSRF middleware (a subclass of Django's) as CSRF on."""

from omniflow.page_middleware import csrf_deploy_check


def _ids(messages):
    return [message.id for message in messages]


def test_the_page_csrf_middleware_counts_as_csrf_protection(settings):
    settings.CSRF_COOKIE_SECURE = True
    assert _ids(csrf_deploy_check()) == []


def test_a_missing_csrf_middleware_is_reported(settings):
    settings.MIDDLEWARE = [
        path for path in settings.MIDDLEWARE if not path.endswith("CsrfViewMiddleware")
    ]
    assert _ids(csrf_deploy_check()) == ["omniflow.W003"]


def test_an_insecure_csrf_cookie_is_reported(settings):
    settings.CSRF_COOKIE_SECURE = False
    settings.CSRF_USE_SESSIONS = False
    assert _ids(csrf_deploy_check()) == ["omniflow.W016"]
