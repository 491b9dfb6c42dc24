"""The README's verifiers (shell, Python, Node), extracted from the README itself, accept a real
delivery and refuse a tampered or stale one; the endpoint page shows the same code."""

import base64
import json
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone
from django.utils.datastructures import CaseInsensitiveMapping
from django.utils.html import escape

from tests.support.webhook_events import emit_committed
from tests.webhooks.test_standard_signatures import AWKWARD_SUBJECT
from webhooks.engine import dispatch as engine
from webhooks.services import endpoint_create, endpoint_rotate_secret, endpoint_secret

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
VERIFIERS = ROOT / "webhooks" / "verifiers"


def readme_snippet(name: str) -> str:
    """Return the code block the README marks `<!-- verifier: name -->`."""
    readme = (ROOT / "README.md").read_text()
    match = re.search(rf"<!-- verifier: {re.escape(name)} -->\n```\w+\n(.*?)```", readme, re.S)
    assert match, f"README has no {name} block"
    return match.group(1)


@pytest.fixture
def delivered(workspace, receiver, allow_private_urls):
    """A real delivery of a body with a JSON `\\n`, quotes and non-ASCII text, and its secret."""
    endpoint = endpoint_create(
        workspace=workspace, url=receiver.url(), event_types=["ticket.created"]
    )
    emit_committed(
        workspace=workspace, event_type="ticket.created", resource_id=3, subject=AWKWARD_SUBJECT
    )
    engine.deliveries_dispatch()
    [request] = receiver.received()
    assert b"\\n" in request.body and "café".encode() in request.body
    return endpoint_secret(endpoint=endpoint), request


@pytest.mark.parametrize("name", ["verify.sh", "verify.py", "verify.js"])
def test_the_readme_blocks_are_the_shipped_verifier_files(name):
    assert readme_snippet(name) == (VERIFIERS / name).read_text()


@pytest.mark.parametrize("shell", ["sh", "bash"])
def test_the_shell_recipe_verifies_a_real_delivery(delivered, shell, tmp_path):
    secret, request = delivered
    script = tmp_path / "verify.sh"
    script.write_text(readme_snippet("verify.sh"))

    def run(body: bytes, signature: str) -> subprocess.CompletedProcess:
        env = {
            "PATH": "/usr/bin:/bin",
            "BODY": body.decode(),
            "SIGNATURE": signature,
            "WEBHOOK_SECRET": secret,
        }
        return subprocess.run([shell, str(script)], env=env, capture_output=True, text=True)

    good = run(request.body, request.headers["X-Omniflow-Signature"])
    tampered = run(
        request.body.replace(b"caf\xc3\xa9", b"cafe"), request.headers["X-Omniflow-Signature"]
    )
    assert (good.returncode, good.stdout) == (0, "valid\n"), good.stderr
    assert (tampered.returncode, tampered.stdout) == (1, "invalid\n")
    wrong = run(request.body, request.headers["X-Omniflow-Signature"][::-1])
    assert wrong.returncode == 1


def _python_verifiers() -> dict:
    namespace: dict = {}
    exec(compile(readme_snippet("verify.py"), "README verify.py", "exec"), namespace)
    return namespace


def test_the_python_verifiers_accept_a_real_delivery_and_refuse_tampering(delivered):
    secret, request = delivered
    verifiers = _python_verifiers()
    headers = CaseInsensitiveMapping(request.headers)
    tampered = request.body.replace(b"caf\xc3\xa9", b"cafe")

    for verify in (verifiers["verify_standard"], verifiers["verify_omniflow"]):
        assert verify(secret, headers, request.body)
        assert not verify(secret, headers, tampered)
        assert not verify(secret.replace("whsec_", "whsec_A"), headers, request.body)


def test_the_python_verifiers_refuse_a_request_older_than_5_minutes(delivered):
    secret, request = delivered
    verifiers = _python_verifiers()
    headers = CaseInsensitiveMapping(request.headers)

    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert not verifiers["verify_standard"](secret, headers, request.body)
        assert not verifiers["verify_omniflow"](secret, headers, request.body)
    with time_machine.travel(timezone.now() + timedelta(minutes=4)):
        assert verifiers["verify_standard"](secret, headers, request.body)


def _node(secret: str, headers: dict, body: bytes, tmp_path) -> dict:
    script = tmp_path / "verify.js"
    script.write_text(
        readme_snippet("verify.js")
        + """
let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const { secret, headers, body } = JSON.parse(input);
  const raw = Buffer.from(body, "base64");
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  process.stdout.write(JSON.stringify({
    standard: verifyStandard(secret, lower, raw),
    omniflow: verifyOmniflow(secret, lower, raw),
  }));
});
"""
    )
    finished = subprocess.run(
        ["node", str(script)],
        input=json.dumps(
            {"secret": secret, "headers": headers, "body": base64.b64encode(body).decode()}
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 0, finished.stderr
    return json.loads(finished.stdout)


def test_the_node_verifiers_accept_a_real_delivery_and_refuse_tampering(delivered, tmp_path):
    secret, request = delivered

    assert _node(secret, request.headers, request.body, tmp_path) == {
        "standard": True,
        "omniflow": True,
    }
    tampered = request.body.replace(b"caf\xc3\xa9", b"cafe")
    assert _node(secret, request.headers, tampered, tmp_path) == {
        "standard": False,
        "omniflow": False,
    }


def test_during_a_rotation_the_verifiers_accept_the_old_secret(
    workspace, receiver, allow_private_urls
):
    endpoint = endpoint_create(
        workspace=workspace, url=receiver.url(), event_types=["ticket.created"]
    )
    old = endpoint_secret(endpoint=endpoint)
    new = endpoint_rotate_secret(endpoint=endpoint)
    emit_committed(workspace=workspace, event_type="ticket.created", resource_id=4)
    engine.deliveries_dispatch()
    [request] = receiver.received()
    verifiers = _python_verifiers()
    headers = CaseInsensitiveMapping(request.headers)

    for secret in (old, new):
        assert verifiers["verify_standard"](secret, headers, request.body)
        assert verifiers["verify_omniflow"](secret, headers, request.body)


def test_the_endpoint_page_shows_the_verifiers_with_its_details(admin_client, workspace):
    endpoint = endpoint_create(
        workspace=workspace, url="https://93.184.215.14/hooks", event_types=["ticket.created"]
    )
    secret = endpoint_secret(endpoint=endpoint)

    response = admin_client.get(f"/settings/webhooks/{endpoint.id}/")

    page = response.content.decode()
    assert "https://93.184.215.14/hooks, secret whsec_…" + secret[-4:] in page
    for name in ("verify.sh", "verify.py", "verify.js"):
        first_line = readme_snippet(name).splitlines()[0]
        assert escape(first_line) in page
    assert "<script>" not in page and "<style" not in page
    assert secret not in page


def test_the_api_reference_carries_the_verifiers(api_client):
    document = api_client.get("/api/v1/schema?format=json").json()

    # Once, in the introduction's webhooks section; each event's entry links to it.
    introduction = document["info"]["description"]
    for name in ("verify.sh", "verify.py", "verify.js"):
        assert introduction.count(readme_snippet(name)) == 1
        assert readme_snippet(name) not in json.dumps(document["webhooks"])
    entry = document["webhooks"]["ticket.created"]["post"]
    assert "#section/Webhooks-and-verifying-them" in entry["description"]
