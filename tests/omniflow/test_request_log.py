"""Expected refusals are one line in Django's request log; server errors keep their traceback."""

import logging
import sys

import pytest

from omniflow.log_refusals import OneLineRefusalsFilter


def _request_records(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "django.request"]


@pytest.mark.django_db
def test_a_403_is_logged_as_one_line_without_a_traceback(support_client, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert support_client.get("/settings/members/new/").status_code == 403

    (record,) = _request_records(caplog)
    assert record.getMessage() == "Forbidden (Permission denied): /settings/members/new/"
    assert record.exc_info is None
    assert "Traceback" not in caplog.text


@pytest.mark.django_db
def test_a_404_raised_by_a_view_is_logged_as_one_line(admin_client, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert admin_client.get("/settings/webhooks/999999/").status_code == 404

    (record,) = _request_records(caplog)
    assert record.getMessage() == "Not Found: /settings/webhooks/999999/"
    assert record.exc_info is None
    assert "Traceback" not in caplog.text


def _record(status_code: int) -> logging.LogRecord:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "x", (), exc_info)
    record.status_code = status_code
    return record


def test_a_5xx_keeps_its_traceback():
    record = _record(500)

    assert OneLineRefusalsFilter().filter(record)
    assert record.exc_info is not None
