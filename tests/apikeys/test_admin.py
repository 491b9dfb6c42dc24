import pytest
from django.contrib.auth import get_user_model

from tests.factories import make_api_key


@pytest.fixture
def staff_client(client, db):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-12345678")
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_staff_see_api_keys_without_their_secret_and_change_nothing(staff_client, workspace):
    key, plaintext = make_api_key(workspace, name="Billing sync")

    listing = staff_client.get("/admin/apikeys/apikey/")
    detail = staff_client.get(f"/admin/apikeys/apikey/{key.pk}/change/")
    audit = staff_client.get("/admin/apikeys/apikeyauditentry/")
    add = staff_client.get("/admin/apikeys/apikey/add/")

    assert listing.status_code == 200
    assert b"Billing sync" in listing.content
    assert detail.status_code == 200
    assert key.key_hash.encode() not in detail.content
    assert plaintext.encode() not in detail.content
    assert audit.status_code == 200
    assert add.status_code == 403
