"""Agent tool arguments stay inside their path segment, against a real normalising server.

The review's finding: with `…/customers/{customer_id}/orders`, `customer_id=".."` reached
`/orders` on nginx (which resolves dot-segments and merges slashes), and a DELETE tool hit the
collection. nginx also decodes %2F before it resolves them, so a "/" in a value (even encoded)
splits the segment: refused too. nginx here is Debian's (scripts/ensure-services.sh installs it).
"""

import socket
import subprocess
import time

import pytest

from agenttools.models import ToolCall
from agenttools.services import tool_create, tool_try

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_urls_allowed")]


class NormalisingNginx:
    """nginx answering which location a request reached, logging the path it normalised to."""

    def __init__(self, workdir):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.log = workdir / "access.log"
        conf = workdir / "nginx.conf"
        temp = " ".join(
            f"{name}_temp_path {workdir}/{name};"
            for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        conf.write_text(
            f"""
worker_processes 1;
daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 64; }}
http {{
    log_format seen '$request_method $uri';
    access_log {self.log} seen;
    {temp}
    server {{
        listen 127.0.0.1:{self.port};
        location ~ ^/customers/[^/]+/orders$ {{ return 200 "one customer's orders"; }}
        location / {{ return 200 "the collection"; }}
    }}
}}
"""
        )
        self.process = subprocess.Popen(
            ["/usr/sbin/nginx", "-c", str(conf), "-p", str(workdir)], stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not start")

    def seen(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def nginx(tmp_path):
    server = NormalisingNginx(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def delete_tool(workspace, nginx):
    return tool_create(
        workspace=workspace,
        created_by=None,
        name="cancel_orders",
        method="DELETE",
        url_template=f"http://127.0.0.1:{nginx.port}/customers/{{customer_id}}/orders",
        input_schema={
            "type": "object",
            "properties": {"customer_id": {"type": "string"}},
            "required": ["customer_id"],
        },
    )


@pytest.mark.parametrize("value", ["..", ".", "", "../..", "a/../..", "1/orders/2", "..\\x"])
def test_dot_and_empty_segments_are_refused_and_nothing_is_sent(delete_tool, nginx, value):
    outcome = tool_try(tool=delete_tool, arguments={"customer_id": value}, actor="test")

    assert outcome.call.outcome == ToolCall.Outcome.INVALID_ARGUMENTS
    assert "customer_id" in outcome.result["error"]["errors"]
    assert "'..'" in outcome.result["error"]["errors"]["customer_id"][0]
    assert nginx.seen() == []


@pytest.mark.parametrize("value", ["%2e%2e", "..%2f", "...", "a..b", "42"])
def test_other_values_stay_inside_their_segment(delete_tool, nginx, value):
    outcome = tool_try(tool=delete_tool, arguments={"customer_id": value}, actor="test")

    assert outcome.result["ok"], outcome.result
    assert outcome.result["body"] == "one customer's orders"
    assert len(nginx.seen()) == 1 and nginx.seen()[0].endswith("/orders")
    assert nginx.seen()[0].startswith("DELETE /customers/")
