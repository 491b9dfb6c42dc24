import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import MembershipFactory, WorkspaceFactory, make_api_key


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts with empty rate-limit counters and key-lookup cache (Redis db of tests)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def workspace(db):
    return WorkspaceFactory()


@pytest.fixture
def other_workspace(db):
    return WorkspaceFactory()


@pytest.fixture
def admin_membership(workspace):
    return MembershipFactory(workspace=workspace, role="admin")


@pytest.fixture
def support_membership(workspace):
    return MembershipFactory(workspace=workspace, role="support")


@pytest.fixture
def admin_client(client, admin_membership):
    client.force_login(admin_membership.user)
    return client


@pytest.fixture
def support_client(client, support_membership):
    client.force_login(support_membership.user)
    return client


@pytest.fixture
def api_key(workspace):
    """An all-scopes key of `workspace`: (ApiKey, plaintext)."""
    return make_api_key(workspace)


@pytest.fixture
def api_client(api_key):
    """An API client that sends the all-scopes key of `workspace`."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key[1]}")
    return client
