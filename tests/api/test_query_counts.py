"""Reads that fetch once: every API list and detail endpoint runs a fixed, small number of
queries, whatever the number of rows (several rows of each, with tags and relations, so an N+1
read would show)."""

import pytest
from django.db import transaction

from agenttools.services import tool_create
from inbound.services import trigger_create
from inbox.services.common import tags_resolve
from tests.factories import (
    AgentFactory,
    ContactFactory,
    ConversationFactory,
    MembershipFactory,
    RoutingRuleFactory,
    ScorecardFactory,
    TicketFactory,
    TrainingAttemptFactory,
    make_api_key,
)
from tests.support.inbound_triggers import ORDER_SCHEMA, post_json
from tests.support.webhook_events import emit_committed
from webhooks.models import WebhookDelivery
from webhooks.services import endpoint_create

ROWS = 4
TOOL_SCHEMA = {
    "type": "object",
    "required": ["order_id"],
    "properties": {"order_id": {"type": "string", "minLength": 1}},
}

pytestmark = pytest.mark.django_db


@pytest.fixture
def populated(workspace, client, settings):
    """ROWS of every resource the API lists, linked to each other; return the ids to read."""
    settings.OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS = True
    tags = tags_resolve(workspace=workspace, names=["billing", "vip", "urgent"])
    ids = {}
    for _ in range(ROWS):
        member = MembershipFactory(workspace=workspace, role="support")
        contact = ContactFactory(workspace=workspace, assignee=member.user)
        conversation = ConversationFactory(workspace=workspace, contact=contact)
        conversation.tags.set(tags)
        ticket = TicketFactory(workspace=workspace, conversation=conversation)
        ticket.tags.set(tags)
        ids.update(
            members=member.user_id,  # a member is addressed by its user id
            contacts=contact.pk,
            conversations=conversation.pk,
            tickets=ticket.pk,
            scorecards=ScorecardFactory(workspace=workspace, conversation=conversation).pk,
            agents=AgentFactory(workspace=workspace).pk,
            **{"training-attempts": TrainingAttemptFactory(workspace=workspace).pk},
        )
        trigger = trigger_create(
            workspace=workspace,
            created_by=None,
            name=f"Shop {conversation.pk}",
            resource="conversation",
            payload_schema=ORDER_SCHEMA,
            conversation_path="order.conversation_id",
            tags=["shipped"],
        )
        ids["inbound-triggers"] = trigger.pk
        ids["routing-rules"] = RoutingRuleFactory(
            workspace=workspace, inbound_trigger=trigger, trigger="inbound"
        ).pk
        post_json(client, trigger, {"order": {"conversation_id": "x", "status": "shipped"}})
        with transaction.atomic():
            endpoint = endpoint_create(
                workspace=workspace,
                url=f"https://hooks{conversation.pk}.example.com/",
                event_types=["ticket.created"],
            )
        ids["webhook-endpoints"] = endpoint.pk
        emit_committed(workspace=workspace, event_type="ticket.created", resource_id=ticket.pk)
        ids["api-keys"] = make_api_key(workspace)[0].pk
        ids["agent-tools"] = tool_create(
            workspace=workspace,
            created_by=None,
            name=f"lookup_order_{conversation.pk}",
            description="Look up an order by its number.",
            input_schema=TOOL_SCHEMA,
            method="GET",
            url_template="https://shop.example.com/orders/{order_id}",
        ).pk
    ids["webhook-deliveries"] = WebhookDelivery.objects.latest("id").pk
    return ids


# (resource under /api/v1/, whether it has a detail URL at "/{id}"); several rows of each exist.
ENDPOINTS = [
    ("tickets", True),
    ("conversations", True),
    ("contacts", True),
    ("scorecards", False),
    ("agents", True),
    ("training-attempts", True),
    ("routing-rules", True),
    ("webhook-endpoints", True),
    ("webhook-deliveries", True),
    ("inbound-triggers", True),
    ("agent-tools", True),
    ("agent-tool-calls", False),
    ("api-keys", True),
    ("members", True),
]
# Queries of one read once the key is remembered: the rows, then one per prefetched relation.
# A delivery also reads its attempts and which delivery replays it (two aggregate queries).
MAX_QUERIES = {
    "/api/v1/tickets": 2,
    "/api/v1/conversations": 2,
    "/api/v1/webhook-deliveries": 3,
    "/api/v1/webhook-deliveries/{id}": 4,
}
DEFAULT_MAX_QUERIES = 2


def _paths(ids):
    """Yield (path, its query budget) of every list and detail read."""
    for resource, has_detail in ENDPOINTS:
        path = f"/api/v1/{resource}"
        yield path, MAX_QUERIES.get(path, DEFAULT_MAX_QUERIES)
        if has_detail:
            budget = MAX_QUERIES.get(f"{path}/{{id}}", DEFAULT_MAX_QUERIES)
            yield f"{path}/{ids[resource]}", budget
    yield f"/api/v1/inbound-triggers/{ids['inbound-triggers']}/receipts", DEFAULT_MAX_QUERIES
    yield f"/api/v1/conversations/{ids['conversations']}/trace", DEFAULT_MAX_QUERIES


def test_every_list_and_detail_read_runs_a_fixed_small_number_of_queries(
    api_client, populated, django_assert_max_num_queries
):
    for path, budget in _paths(populated):
        api_client.get(path)  # the first request of a key looks it up; later ones remember it
        with django_assert_max_num_queries(budget, info=path):
            response = api_client.get(path)
        assert response.status_code == 200, (path, response.content)


def test_a_ticket_is_read_once_with_its_tags(api_client, populated, django_assert_num_queries):
    path = f"/api/v1/tickets/{populated['tickets']}"
    api_client.get(path)

    with django_assert_num_queries(1):  # the ticket with its tags' names (an array subquery)
        response = api_client.get(path)

    assert response.json()["tags"] == ["billing", "urgent", "vip"]


def test_a_list_page_costs_the_same_queries_for_more_rows(
    api_client, workspace, populated, django_assert_max_num_queries
):
    for _ in range(ROWS):
        TicketFactory(workspace=workspace).tags.set(
            tags_resolve(workspace=workspace, names=["billing"])
        )
    api_client.get("/api/v1/tickets")

    with django_assert_max_num_queries(2):
        response = api_client.get("/api/v1/tickets")

    assert len(response.json()["results"]) == 2 * ROWS
