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
def test_an_unknown_page_is_the_settings_framed_404(admin_client, debug):
    response = admin_client.get("/settings/no-such-page/")

    assert response.status_code == 404
    assert "Page not found" in response.text
    assert "/settings/no-such-page/" in response.text
    assert "Back to Settings" in response.text
    assert "URLconf" not in response.text


@pytest.mark.django_db
def test_a_missing_object_raised_by_a_view_is_the_settings_framed_404(admin_client, debug):
    response = admin_client.get("/settings/webhooks/999999/")

    assert response.status_code == 404
    assert "Back to Settings" in response.text
    assert "Raised by" not in response.text


@pytest.mark.django_db
def test_a_missing_slash_is_still_redirected(admin_client, debug):
    response = admin_client.get("/settings")

    assert response.status_code == 301
    assert response["Location"] == "/settings/"
