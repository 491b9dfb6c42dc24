"""`emit`'s cost inside the domain transaction: one statement on PostgreSQL, same rows."""

import pytest
from django.db import transaction

from webhooks import events
from webhooks.events import emit
from webhooks.models import WebhookDelivery, WebhookEvent
from webhooks.services import endpoint_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoints(workspace, other_workspace):
    """Two subscribed endpoints, one disabled (its deliveries are held), one not subscribed,
    one of another workspace."""
    made = {}
    for name, event_types, enabled, owner in [
        ("a", ["ticket.created", "ticket.status_changed"], True, workspace),
        ("b", ["ticket.created"], True, workspace),
        ("disabled", ["ticket.created"], False, workspace),
        ("unsubscribed", ["conversation.created"], True, workspace),
        ("other", ["ticket.created"], True, other_workspace),
    ]:
        made[name] = endpoint_create(
            workspace=owner,
            url=f"https://{name}.example.com/",
            event_types=event_types,
            enabled=enabled,
        )
    return made


def _emit(workspace, resource_id=7):
    return emit(
        workspace=workspace,
        event_type="ticket.created",
        resource_id=resource_id,
        data={"id": resource_id, "subject": "Refund"},
    )


def test_emit_records_the_event_and_its_deliveries_in_one_query(
    workspace, endpoints, django_assert_num_queries
):
    with transaction.atomic(), django_assert_num_queries(1):
        event = _emit(workspace)

    stored = WebhookEvent.objects.get(pk=event.pk)
    assert (stored.public_id, stored.body, stored.data) == (event.public_id, event.body, event.data)
    deliveries = WebhookDelivery.objects.filter(event=stored).order_by("id")
    assert [(d.endpoint_id, d.status) for d in deliveries] == [
        (endpoints["a"].id, "pending"),
        (endpoints["b"].id, "pending"),
        (endpoints["disabled"].id, "held"),
    ]


def test_emit_to_no_subscribed_endpoint_records_the_event_alone(other_workspace):
    with transaction.atomic():
        event = _emit(other_workspace)

    assert WebhookEvent.objects.filter(pk=event.pk).exists()
    assert not WebhookDelivery.objects.exists()


def _row(delivery: WebhookDelivery) -> dict:
    skipped = {"id", "event_id"}
    return {
        field.attname: getattr(delivery, field.attname)
        for field in WebhookDelivery._meta.concrete_fields
        if field.attname not in skipped
    }


def test_one_statement_writes_what_the_orm_path_writes(workspace, endpoints, time_machine):
    time_machine.move_to("2026-12-07 10:00:00+00:00", tick=False)
    with transaction.atomic():
        one_statement = _emit(workspace)
    portable = events.WebhookEvent(
        public_id="evt_" + "0" * 24,
        workspace=workspace,
        event_type=one_statement.event_type,
        resource_type=one_statement.resource_type,
        resource_id=one_statement.resource_id,
        data=one_statement.data,
        body=one_statement.body,
        created_at=one_statement.created_at,
    )
    with transaction.atomic():
        events._record_portably(event=portable)

    def rows(event):
        return [_row(d) for d in WebhookDelivery.objects.filter(event=event).order_by("id")]

    assert rows(one_statement) == rows(portable)
    assert [row["status"] for row in rows(one_statement)] == ["pending", "pending", "held"]
