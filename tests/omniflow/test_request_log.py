"""Expected refusals are one line in Django's request log; server errors keep their traceback."""

import logging
import sys

import pytest

from omniflow.log_refusals import OneLineRefusalsFilter


def _request_records(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "django.request"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("member", "path", "status", "message"),
    [
        ("support_client", "/settings/members/new/", 403, "Forbidden (Permission denied)"),
        ("admin_client", "/settings/webhooks/999999/", 404, "Not Found"),
    ],
)
def test_a_refusal_is_logged_as_one_line_without_a_traceback(
    request, caplog, member, path, status, message
):
    client = request.getfixturevalue(member)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get(path).status_code == status

    (record,) = _request_records(caplog)
    assert record.getMessage() == f"{message}: {path}"
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
