"""Cursor pages stay stable while rows are being added: no duplicates, no skips."""

import pytest

from tests.factories import ContactFactory, ConversationFactory, ScorecardFactory, TicketFactory


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "factory"),
    [
        ("/api/v1/conversations", ConversationFactory),
        ("/api/v1/contacts", ContactFactory),
        ("/api/v1/tickets", TicketFactory),
        ("/api/v1/scorecards", ScorecardFactory),
    ],
)
def test_rows_added_between_pages_cause_no_duplicates_or_skips(api_client, workspace, url, factory):
    existing = [factory(workspace=workspace).pk for _ in range(7)]

    seen, next_url = [], f"{url}?limit=3"
    while next_url:
        page = api_client.get(next_url)
        assert page.status_code == 200
        seen += [row["id"] for row in page.json()["results"]]
        next_url = page.json()["next"]
        factory(workspace=workspace)  # a new row lands while the client pages

    assert seen == sorted(existing, reverse=True)


@pytest.mark.django_db
def test_limit_is_capped(api_client, workspace):
    TicketFactory.create_batch(205, workspace=workspace)

    response = api_client.get("/api/v1/tickets?limit=5000")

    assert len(response.json()["results"]) == 200
