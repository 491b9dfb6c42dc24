from datetime import UTC, datetime

import pytest

from inbox.models import Contact, Conversation, Message, TraceEntry
from tests.factories import ContactFactory, ConversationFactory
from tests.support.transcripts import transcript
from webhooks.models import WebhookEvent

URL = "/api/v1/conversations"


@pytest.mark.django_db
def test_ingest_creates_conversation_contact_and_messages_with_original_times(
    api_client, workspace
):
    response = api_client.post(URL, transcript(), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    conversation = Conversation.objects.get(pk=body["id"])
    assert conversation.workspace == workspace
    assert body["external_id"] == "zendesk-1001"
    assert body["status"] == "open"
    assert body["tags"] == ["billing"]
    assert body["custom_attributes"] == {"order": "42"}
    assert body["started_at"] == "2026-01-05T10:00:00Z"
    contact = Contact.objects.get(pk=body["contact"])
    assert contact.email == "ada@example.com"
    assert contact.name == "Ada Lovelace"
    messages = list(Message.objects.filter(conversation=conversation))
    assert [m.created_at for m in messages] == [
        datetime(2026, 1, 5, 10, 0, tzinfo=UTC),
        datetime(2026, 1, 5, 10, 7, tzinfo=UTC),
    ]
    assert [m.author_type for m in messages] == ["contact", "agent"]


@pytest.mark.django_db
def test_ingest_upserts_the_contact_by_email(api_client, workspace):
    existing = ContactFactory(workspace=workspace, email="ada@example.com", name="Old name")

    response = api_client.post(URL, transcript(), format="json")

    assert response.json()["contact"] == existing.pk
    existing.refresh_from_db()
    assert existing.name == "Ada Lovelace"
    assert Contact.objects.filter(workspace=workspace).count() == 1


@pytest.mark.django_db
def test_ingest_is_one_transaction(workspace):
    """Given a message the database refuses after the contact and conversation were written,
    nothing of the transcript stays."""
    from django.db import DataError

    from inbox.services import conversation_ingest

    with pytest.raises(DataError):
        conversation_ingest(
            workspace=workspace,
            actor="test",
            contact={"email": "ada@example.com"},
            messages=[
                {
                    "author_type": "contact",
                    "author_name": "Ada",
                    "body": "PostgreSQL refuses \x00 in text",
                    "created_at": datetime(2026, 1, 5, tzinfo=UTC),
                }
            ],
        )

    assert not Conversation.objects.exists()
    assert not Contact.objects.exists()
    assert not TraceEntry.objects.exists()


@pytest.mark.django_db
def test_invalid_message_is_a_400_naming_it(api_client):
    body = transcript()
    body["messages"][1]["author_type"] = "alien"

    response = api_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert "messages.1.author_type" in response.json()["errors"]
    assert not Conversation.objects.exists()


@pytest.mark.django_db
def test_ingest_rejects_a_duplicate_external_id_with_409(api_client):
    assert api_client.post(URL, transcript(), format="json").status_code == 201

    response = api_client.post(URL, transcript(), format="json")

    assert response.status_code == 409
    assert response.json()["type"] == "conflict"
    assert Conversation.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"channel": "pigeon"}, "channel"),
        ({"status": "maybe"}, "status"),
        ({"tags": "billing"}, "tags"),
        ({"custom_attributes": ["not", "an", "object"]}, "custom_attributes"),
        ({"messages": [{"author_type": "agent", "body": "hi"}]}, "messages.0.created_at"),
        ({"contact": {"name": "No identifier"}}, "contact.email"),
        ({"assignee": 10**30}, "assignee"),
        ({"subject": "nul\x00byte"}, "subject"),
        ({"custom_attributes": {"k": "nul\x00byte"}}, "custom_attributes"),
    ],
)
def test_ingest_validation_errors_name_the_field(api_client, change, field):
    response = api_client.post(URL, transcript(**change), format="json")

    # A contact with neither identifier breaks a rule across fields no schema states: 422.
    body = response.json()
    expected = (422, "unprocessable") if field == "contact.email" else (400, "validation_error")
    assert (response.status_code, body["type"]) == expected
    assert field in body["errors"], body
    assert not Conversation.objects.exists()


@pytest.mark.django_db
def test_ingest_assigns_a_member_but_not_a_stranger(api_client, member, other_workspace):
    from tests.factories import MembershipFactory

    stranger = MembershipFactory(workspace=other_workspace).user

    ok = api_client.post(URL, transcript(assignee=member.pk), format="json")
    refused = api_client.post(
        URL, transcript(external_id="x-2", assignee=stranger.pk), format="json"
    )

    assert ok.status_code == 201
    assert ok.json()["assignee"] == member.pk
    assert refused.status_code == 409
    assert "assignee" in refused.json()["errors"]


@pytest.mark.django_db
def test_list_filters_by_status_contact_tag_and_time(api_client, workspace):
    contact = ContactFactory(workspace=workspace)
    resolved = ConversationFactory(workspace=workspace, status="resolved", contact=contact)
    open_one = ConversationFactory(workspace=workspace)
    api_client.patch(f"{URL}/{open_one.pk}", {"tags": ["vip"]}, format="json")
    ConversationFactory()  # another workspace's

    def ids(query: str) -> list[int]:
        response = api_client.get(f"{URL}?{query}")
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids("") == [open_one.pk, resolved.pk]
    assert ids("status=resolved") == [resolved.pk]
    assert ids(f"contact={contact.pk}") == [resolved.pk]
    assert ids("tag=vip") == [open_one.pk]
    assert ids("updated_after=2100-01-01T00:00:00Z") == []
    assert ids("created_before=2100-01-01T00:00:00Z") == [open_one.pk, resolved.pk]


@pytest.mark.django_db
def test_list_rejects_bad_filters_with_400(api_client):
    response = api_client.get(f"{URL}?status=nope&created_after=yesterday&contact=abc")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"status", "created_after", "contact"}


@pytest.mark.django_db
def test_patch_resolves_retags_and_assigns_with_trace_entries(api_client, workspace, member):
    conversation = ConversationFactory(workspace=workspace)

    response = api_client.patch(
        f"{URL}/{conversation.pk}",
        {
            "status": "resolved",
            "tags": ["refund", "vip"],
            "assignee": member.pk,
            "subject": "Refund",
            "priority": "high",
            "custom_attributes": {"order": "42"},
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "resolved"
    assert body["resolved_at"] is not None
    assert body["tags"] == ["refund", "vip"]
    assert body["assignee"] == member.pk
    kinds = list(
        TraceEntry.objects.filter(conversation=conversation).values_list("kind", flat=True)
    )
    assert sorted(kinds) == [
        "assignee_changed",
        "attributes_changed",
        "priority_changed",
        "status_changed",
        "subject_changed",
        "tags_changed",
    ]
    event = WebhookEvent.objects.get(event_type="conversation.resolved")
    assert event.data == body
    assert event.previous_attributes == {"status": "open", "resolved_at": None}


@pytest.mark.django_db
def test_patch_that_changes_nothing_emits_nothing(api_client, workspace):
    conversation = ConversationFactory(workspace=workspace)

    response = api_client.patch(f"{URL}/{conversation.pk}", {"status": "open"}, format="json")

    assert response.status_code == 200
    assert not WebhookEvent.objects.exists()
    assert not TraceEntry.objects.exists()


@pytest.mark.django_db
def test_get_detail(api_client, workspace):
    conversation = ConversationFactory(workspace=workspace, subject="Hello")

    response = api_client.get(f"{URL}/{conversation.pk}")

    assert response.status_code == 200
    assert response.json()["subject"] == "Hello"
    assert response.json()["contact"] == conversation.contact_id


@pytest.mark.django_db
def test_unknown_id_is_404_problem(api_client):
    response = api_client.get(f"{URL}/999999")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "not_found"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "closed"}, "status"),
        ({"priority": 5}, "priority"),
        ({"assignee": "someone"}, "assignee"),
        ({"tags": ["x" * 65]}, "tags.0"),
        ({"custom_attributes": {"deep": [[[[[[[[[[[["too deep"]]]]]]]]]]]]}}, "custom_attributes"),
    ],
)
def test_patch_validation_errors_change_nothing(api_client, workspace, body, field):
    conversation = ConversationFactory(workspace=workspace)

    response = api_client.patch(f"{URL}/{conversation.pk}", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert not TraceEntry.objects.exists()


@pytest.mark.django_db
def test_ingest_of_a_resolved_transcript_emits_created_only(api_client):
    response = api_client.post(URL, transcript(status="resolved"), format="json")

    body = response.json()
    assert body["status"] == "resolved"
    assert body["resolved_at"] == "2026-01-05T10:07:00Z"
    assert list(WebhookEvent.objects.values_list("event_type", flat=True)) == [
        "conversation.created"
    ]
