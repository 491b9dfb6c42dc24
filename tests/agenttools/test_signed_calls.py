"""Signed agent tool calls (auth `signature`) are signed as webhooks are: Standard Webhooks
headers that the maintained library verifies, the method and URL in X-Omniflow-Request-Signature,
one Unix timestamp; the shipped verifiers (Python, Node, shell) verify real calls."""

import base64
import json
import subprocess

import pytest
import standardwebhooks
from django.utils.datastructures import CaseInsensitiveMapping

from tests.support.agent_tools import SIGNING_SECRET, call_tool, make_tool, publish_with
from tests.webhooks.test_verifiers import _python_verifiers, readme_snippet

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_urls_allowed")]


@pytest.fixture
def signed_calls(api_client, customer_api, workspace, agent, conversation):
    """A signed GET with a query and a signed POST with a body, as the customer API got them."""
    lookup = make_tool(
        workspace,
        customer_api,
        query_arguments=["expand"],
        input_schema={
            "type": "object",
            "required": ["order_id"],
            "properties": {"order_id": {"type": "string"}, "expand": {"type": "string"}},
        },
        auth="signature",
        secret=SIGNING_SECRET,
    )
    refund = make_tool(
        workspace,
        customer_api,
        name="refund",
        method="POST",
        url_template=f"{customer_api.base_url}/orders/{{order_id}}/refunds",
        input_schema={
            "type": "object",
            "required": ["order_id"],
            "properties": {"order_id": {"type": "string"}, "amount": {"type": "number"}},
        },
        body_arguments=["amount"],
        auth="signature",
        secret=SIGNING_SECRET,
    )
    publish_with(agent, lookup, refund)
    for tool, arguments in (
        ("lookup_order", {"order_id": "A-7", "expand": "lines"}),
        ("lookup_order", {"order_id": "A-7", "expand": "lines"}),
        ("refund", {"order_id": "A-7", "amount": 2.5}),
    ):
        assert call_tool(api_client, agent, conversation, tool, arguments).json()["ok"]
    return customer_api.received()


def test_every_signed_call_verifies_with_the_standardwebhooks_library(signed_calls):
    for seen in signed_calls:
        headers = CaseInsensitiveMapping(seen.headers)
        try:
            standardwebhooks.Webhook(SIGNING_SECRET).verify(seen.body, dict(headers))
        except json.JSONDecodeError:
            # Verified (a bad signature raises before), then the library parses the body as
            # JSON: a GET has none.
            assert seen.body == b""

        assert headers["webhook-id"].startswith("call_")
        assert headers["webhook-timestamp"].isdigit()
        # One timestamp format everywhere: Unix seconds, as webhooks send.
        assert headers["X-Omniflow-Timestamp"] == headers["webhook-timestamp"]


def test_two_identical_gets_are_signed_differently(signed_calls):
    first, second, _ = signed_calls

    assert first.target == second.target and first.body == second.body == b""
    assert first.headers["webhook-id"] != second.headers["webhook-id"]
    assert first.headers["webhook-signature"] != second.headers["webhook-signature"]


def test_the_python_verifier_checks_method_and_url(signed_calls, customer_api):
    verifiers = _python_verifiers()
    verify = verifiers["verify_tool_call"]

    for seen in signed_calls:
        headers = CaseInsensitiveMapping(seen.headers)
        url = seen.url(customer_api.base_url)
        assert verify(SIGNING_SECRET, seen.method, url, headers, seen.body)
        assert verifiers["verify_omniflow"](SIGNING_SECRET, headers, seen.body)
        assert not verify(SIGNING_SECRET, seen.method, url + "&x=1", headers, seen.body)
        assert not verify(SIGNING_SECRET, "DELETE", url, headers, seen.body)
        assert not verify(SIGNING_SECRET, seen.method, url, headers, seen.body + b" ")


def test_the_node_verifier_checks_method_and_url(signed_calls, customer_api, tmp_path):
    script = tmp_path / "verify.js"
    script.write_text(
        readme_snippet("verify.js")
        + """
let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const results = JSON.parse(input).map(({ method, url, headers, body }) => {
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    const raw = Buffer.from(body, "base64");
    return [
      verifyToolCall(secret, method, url, lower, raw),
      verifyToolCall(secret, method, url + "/other", lower, raw),
    ];
  });
  process.stdout.write(JSON.stringify(results));
});
""".replace("(secret,", f"({json.dumps(SIGNING_SECRET)},")
    )
    calls = [
        {
            "method": seen.method,
            "url": seen.url(customer_api.base_url),
            "headers": seen.headers,
            "body": base64.b64encode(seen.body).decode(),
        }
        for seen in signed_calls
    ]

    finished = subprocess.run(
        ["node", str(script)], input=json.dumps(calls), capture_output=True, text=True, timeout=60
    )

    assert finished.returncode == 0, finished.stderr
    assert json.loads(finished.stdout) == [[True, False]] * len(signed_calls)


@pytest.mark.parametrize("shell", ["sh", "bash"])
def test_the_shell_verifier_checks_method_and_url(signed_calls, customer_api, shell, tmp_path):
    script = tmp_path / "verify.sh"
    script.write_text(readme_snippet("verify.sh"))

    def run(seen, url: str) -> subprocess.CompletedProcess:
        headers = CaseInsensitiveMapping(seen.headers)
        env = {
            "PATH": "/usr/bin:/bin",
            "BODY": seen.body.decode(),
            "SIGNATURE": headers["X-Omniflow-Signature"],
            "WEBHOOK_SECRET": SIGNING_SECRET,
            "REQUEST_SIGNATURE": headers["X-Omniflow-Request-Signature"],
            "WEBHOOK_ID": headers["webhook-id"],
            "WEBHOOK_TIMESTAMP": headers["webhook-timestamp"],
            "METHOD": seen.method,
            "URL": url,
        }
        return subprocess.run([shell, str(script)], env=env, capture_output=True, text=True)

    for seen in signed_calls:
        url = seen.url(customer_api.base_url)
        good, moved = run(seen, url), run(seen, url.replace("A-7", "A-8"))
        assert (good.returncode, good.stdout) == (0, "valid\n"), good.stderr
        assert (moved.returncode, moved.stdout) == (1, "invalid\n")
