import pytest
from django.contrib.auth import get_user_model

from tests.factories import ConversationFactory, TicketFactory


@pytest.fixture
def staff_client(client, db):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-12345678")
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_staff_can_browse_but_not_change_inbox_objects(staff_client, workspace):
    conversation = ConversationFactory(workspace=workspace, subject="Printer on fire")
    TicketFactory(workspace=workspace, conversation=conversation)

    listing = staff_client.get("/admin/inbox/conversation/")
    tickets = staff_client.get("/admin/inbox/ticket/")
    add = staff_client.get("/admin/inbox/conversation/add/")

    assert listing.status_code == 200
    assert b"Printer on fire" in listing.content
    assert tickets.status_code == 200
    assert add.status_code == 403
