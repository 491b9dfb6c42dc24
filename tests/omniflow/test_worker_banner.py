"""Settings pages say so when no worker sends webhooks: the sweeper heartbeat is not current."""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from webhooks.models import SweeperHeartbeat
from webhooks.services import sweeper_heartbeat_record

BANNER = "Webhooks are not being sent"


def _heartbeat_reads(queries) -> int:
    return sum(SweeperHeartbeat._meta.db_table in query["sql"] for query in queries)


@pytest.mark.django_db
def test_settings_pages_show_the_banner_when_the_sweeper_never_ran(admin_client):
    response = admin_client.get("/settings/")

    assert response.status_code == 200
    assert BANNER in response.text
    assert "the sweeper never ran" in response.text


@pytest.mark.django_db
def test_support_staff_see_the_banner_too(support_client):
    response = support_client.get("/settings/")

    assert BANNER in response.text


@pytest.mark.django_db
def test_no_banner_while_the_heartbeat_is_current(admin_client):
    sweeper_heartbeat_record()

    response = admin_client.get("/settings/")

    assert response.status_code == 200
    assert BANNER not in response.text


@pytest.mark.django_db
def test_the_banner_returns_once_the_heartbeat_is_stale(admin_client, settings):
    settings.OMNIFLOW_WEBHOOK_SWEEP_STALE_SECONDS = 20
    sweeper_heartbeat_record()
    assert BANNER not in admin_client.get("/settings/").text

    with time_machine.travel(timezone.now() + timedelta(seconds=60)):
        cache.clear()  # the cached answer is what a page trusts for a few seconds
        response = admin_client.get("/settings/")

    assert BANNER in response.text
    assert "last sweep 60 s ago" in response.text


@pytest.mark.django_db
def test_page_views_share_one_cached_heartbeat_read(admin_client):
    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            assert admin_client.get("/settings/").status_code == 200

    assert _heartbeat_reads(queries.captured_queries) == 1


@pytest.mark.django_db
def test_pages_outside_settings_read_no_heartbeat(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/login/")

    assert response.status_code == 200
    assert _heartbeat_reads(queries.captured_queries) == 0
    assert BANNER not in response.text
