"""Every inbox endpoint: its scope is enforced and other workspaces' ids are unknown (404)."""

import pytest

from tests.factories import (
    AgentFactory,
    ContactFactory,
    ConversationFactory,
    RoutingRuleFactory,
    ScorecardFactory,
    TicketFactory,
    TrainingAttemptFactory,
)

# (method, path, scope, body); {id} is an object of the resource's own workspace.
OBJECT_ENDPOINTS = [
    ("get", "/api/v1/conversations/{id}", "conversations", ConversationFactory, None),
    ("patch", "/api/v1/conversations/{id}", "conversations", ConversationFactory, {"subject": "x"}),
    ("get", "/api/v1/conversations/{id}/trace", "conversations", ConversationFactory, None),
    ("get", "/api/v1/contacts/{id}", "contacts", ContactFactory, None),
    ("patch", "/api/v1/contacts/{id}", "contacts", ContactFactory, {"name": "x"}),
    ("get", "/api/v1/tickets/{id}", "tickets", TicketFactory, None),
    ("patch", "/api/v1/tickets/{id}", "tickets", TicketFactory, {"status": "closed"}),
    ("get", "/api/v1/agents/{id}", "agents", AgentFactory, None),
    ("post", "/api/v1/agents/{id}/publish", "agents", AgentFactory, {}),
    ("get", "/api/v1/training-attempts/{id}", "training", TrainingAttemptFactory, None),
    (
        "post",
        "/api/v1/training-attempts/{id}/complete",
        "training",
        TrainingAttemptFactory,
        {"score": 1},
    ),
    ("get", "/api/v1/routing-rules/{id}", "conversations", RoutingRuleFactory, None),
    ("patch", "/api/v1/routing-rules/{id}", "conversations", RoutingRuleFactory, {"name": "x"}),
    ("delete", "/api/v1/routing-rules/{id}", "conversations", RoutingRuleFactory, None),
]
COLLECTION_ENDPOINTS = [
    ("get", "/api/v1/conversations", "conversations", None),
    ("post", "/api/v1/conversations", "conversations", {"channel": "chat"}),
    ("get", "/api/v1/contacts", "contacts", None),
    ("post", "/api/v1/contacts", "contacts", {"email": "a@example.com"}),
    ("get", "/api/v1/tickets", "tickets", None),
    ("post", "/api/v1/tickets", "tickets", {"subject": "x"}),
    ("get", "/api/v1/scorecards", "scorecards", None),
    ("get", "/api/v1/scorecards/export", "scorecards", None),
    ("get", "/api/v1/agents", "agents", None),
    ("post", "/api/v1/agents", "agents", {"name": "x"}),
    ("get", "/api/v1/training-attempts", "training", None),
    ("post", "/api/v1/training-attempts", "training", {"trainee": "a", "scenario": "b"}),
    ("get", "/api/v1/routing-rules", "conversations", None),
    (
        "post",
        "/api/v1/routing-rules",
        "conversations",
        {"name": "x", "conditions": [], "actions": [{"type": "tag", "tag": "t"}]},
    ),
]
ALL = [(m, p, s, b) for m, p, s, _, b in OBJECT_ENDPOINTS] + COLLECTION_ENDPOINTS


def _call(client, method, path, body):
    return (
        getattr(client, method)(path, body, format="json")
        if body is not None
        else getattr(client, method)(path)
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "scope", "factory", "body"), OBJECT_ENDPOINTS)
def test_another_workspaces_object_is_404(
    api_client, other_workspace, method, path, scope, factory, body
):
    theirs = factory(workspace=other_workspace)

    response = _call(api_client, method, path.format(id=theirs.pk), body)

    assert response.status_code == 404, response.json()
    assert response.json()["type"] == "not_found"


@pytest.mark.django_db
def test_scorecard_of_another_workspace_is_not_listed(api_client, other_workspace):
    ScorecardFactory(workspace=other_workspace)

    assert api_client.get("/api/v1/scorecards").json()["results"] == []


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "scope", "body"), ALL)
def test_a_key_without_the_scope_is_403(client_for, workspace, method, path, scope, body):
    others = [f"{name}:write" for name in ("webhooks", "inbound") if name != scope]
    client = client_for(workspace, scopes=others)

    response = _call(client, method, path.format(id=1), body)

    assert response.status_code == 403
    assert response.json()["type"] == "permission_denied"
    assert scope in response.json()["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "scope", "body"), ALL)
def test_a_read_scope_reads_but_does_not_write(client_for, workspace, method, path, scope, body):
    client = client_for(workspace, scopes=[f"{scope}:read"])

    response = _call(client, method, path.format(id=10**9), body)

    if method == "get":
        assert response.status_code in (200, 404)
    else:
        assert response.status_code == 403
