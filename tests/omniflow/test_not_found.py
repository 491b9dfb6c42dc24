"""A 404 is our page (Settings-framed) or problem JSON under /api/, with DEBUG on or off.

`make run` runs with DEBUG on, where Django would answer with its debug page listing every URL
pattern, HTML even under /api/.
"""

import pytest

PROBLEM_JSON = "application/problem+json"


@pytest.fixture(params=[True, False], ids=["debug", "no-debug"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


def _is_problem_404(response) -> bool:
    return (
        response.status_code == 404
        and response["Content-Type"].startswith(PROBLEM_JSON)
        and response.json()["type"].endswith("not_found")
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/tickets/",  # a trailing slash the API does not use
        "/api/v1/nothing-here",
        "/api/v2/tickets",
        "/api/",
    ],
)
def test_every_unknown_api_path_answers_problem_json(client, debug, path):
    response = client.get(path)

    assert _is_problem_404(response), response.content[:300]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/settings/no-such-page/",  # no URL pattern takes it
        "/settings/webhooks/999999/",  # the view raises Http404
    ],
)
def test_a_missing_page_is_the_settings_framed_404(admin_client, debug, path):
    response = admin_client.get(path)

    assert response.status_code == 404
    assert "Page not found" in response.text
    assert path in response.text
    assert "Back to Settings" in response.text
    # Django's debug page lists the URL patterns tried, or says which view raised.
    assert "URLconf" not in response.text
    assert "Raised by" not in response.text


@pytest.mark.django_db
def test_a_missing_slash_is_still_redirected(admin_client, debug):
    response = admin_client.get("/settings")

    assert response.status_code == 301
    assert response["Location"] == "/settings/"
