"""What is logged: no credential reaches the access log or Django's request log."""

import base64

import pytest
import requests

from omniflow.log_redaction import redact
from tests.http.gunicorn import running_gunicorn

KEY = "omf_live_" + "A1b2C3d4" * 4 + "zzzzzz"
SIGNATURE = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        (f"GET /api/v1/tickets?api_key={KEY} HTTP/1.1", KEY),
        ("GET /api/v1/tickets?limit=5&token=abc.def HTTP/1.1", "abc.def"),
        ("GET /x?access_token=s3cr3t&a=1 HTTP/1.1", "s3cr3t"),
        (f"POST /hooks/inbound/trg_abc/{SIGNATURE} HTTP/1.1", SIGNATURE),
        (f"Authorization: Bearer {KEY}", KEY),
        ("Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
        (f"pasted {KEY} in a message", KEY),
    ],
)
def test_credentials_are_redacted(line, secret):
    assert secret not in redact(line)
    assert "[redacted]" in redact(line)


def test_lines_without_credentials_are_unchanged():
    line = "GET /api/v1/tickets?limit=5&cursor=abc HTTP/1.1"

    assert redact(line) == line


@pytest.mark.django_db
def test_djangos_request_log_holds_no_trigger_url_signature(client, caplog):
    client.post(f"/hooks/inbound/trg_nope/{SIGNATURE}", "{}", content_type="application/json")
    client.get(f"/api/v1/tickets?api_key={KEY}")

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "/hooks/inbound/trg_nope/[redacted]" in logged
    assert "Unauthorized: /api/v1/tickets" in logged
    assert SIGNATURE not in logged
    assert KEY not in logged


@pytest.mark.django_db
def test_the_gunicorn_access_log_leaves_out_the_user_and_redacts_credentials(tmp_path):
    """The README's gunicorn command, run for real from the repository root."""
    output = tmp_path / "gunicorn.log"
    with running_gunicorn(output) as base:
        basic = base64.b64encode(f"{KEY}:".encode()).decode()
        requests.get(
            f"{base}/healthz?api_key={KEY}&token=t0k3n",
            headers={"Authorization": f"Basic {basic}"},
            timeout=5,
        )
        requests.post(f"{base}/hooks/inbound/trg_nope/{SIGNATURE}", json={}, timeout=5)

    logged = output.read_text()
    assert "GET /healthz?api_key=[redacted]&token=[redacted]" in logged
    assert "/hooks/inbound/trg_nope/[redacted]" in logged
    assert KEY not in logged
    assert "t0k3n" not in logged
    assert SIGNATURE not in logged
