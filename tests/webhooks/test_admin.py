import pytest
from django.contrib.auth import get_user_model

from omniflow.crypto import encrypt_secret
from tests.support.webhook_events import emit_committed
from webhooks.events import EventType
from webhooks.models import WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint


@pytest.fixture
def staff_client(client, db):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-12345678")
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_staff_see_a_delivery_with_its_attempts_and_change_nothing(staff_client, workspace):
    endpoint = WebhookEndpoint.objects.create(
        workspace=workspace,
        url="https://hooks.example.com/omniflow",
        event_types=[EventType.TICKET_CREATED],
        secret_encrypted=encrypt_secret(secret="whsec_admin_never_shows_this"),
    )
    emit_committed(workspace=workspace, event_type=EventType.TICKET_CREATED, resource_id=7)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    WebhookDeliveryAttempt.objects.create(
        delivery=delivery, response_status_code=503, error="503 from the endpoint."
    )

    detail = staff_client.get(f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/")
    endpoint_page = staff_client.get(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/")
    listing = staff_client.get("/admin/webhooks/webhookendpoint/")
    add = staff_client.get("/admin/webhooks/webhookendpoint/add/")
    edit = staff_client.post(
        f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/", {"url": "https://evil.test/"}
    )

    assert detail.status_code == 200
    assert b"503 from the endpoint." in detail.content
    assert listing.status_code == 200
    assert b"hooks.example.com" in listing.content
    assert endpoint_page.status_code == 200
    assert endpoint.secret_encrypted.encode() not in endpoint_page.content
    assert b"whsec_admin_never_shows_this" not in endpoint_page.content
    assert add.status_code == 403
    assert edit.status_code == 403
    endpoint.refresh_from_db()
    assert endpoint.url == "https://hooks.example.com/omniflow"
