"""Issue 14: a website's HTML form posts to a contact trigger from a real Chromium."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from inbound.presets import RULE_PRESETS
from inbound.services import trigger_create
from inbox.models import Contact
from inbox.services.routing import routing_rule_create
from tests.factories import MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class _Shop:
    """A customer's website on its own origin: a contact form, a thank-you page, a fetch()."""

    def __init__(self) -> None:
        self.action = ""
        shop = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                pages = {
                    "/contact": (
                        "<!doctype html><title>Contact us</title><h1>Contact us</h1>"
                        f'<form method="post" action="{shop.action}">'
                        '<label>Email <input name="email" type="email"></label>'
                        '<label>Name <input name="name"></label>'
                        '<input name="website" type="text" hidden>'
                        '<button type="submit">Send</button></form>'
                    ),
                    "/thanks": "<!doctype html><title>Thanks</title><h1>Thanks, we got it</h1>",
                }
                body = pages.get(self.path, "").encode()
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def shop():
    server = _Shop()
    yield server
    server.close()


def test_a_website_form_creates_the_contact_and_lands_on_the_shops_thank_you_page(
    live_server, page, shop
):
    membership = MembershipFactory(role="support")
    preset = RULE_PRESETS["website_form"]
    trigger = trigger_create(
        workspace=membership.workspace,
        created_by=None,
        name="Website contact form",
        **preset["trigger"],
        redirect_urls=[f"{shop.origin}/thanks"],
        allowed_origins=[shop.origin],
    )
    actions = [{**preset["rule"]["actions"][0], "assignee": membership.user_id}]
    routing_rule_create(
        workspace=membership.workspace,
        name=preset["rule"]["name"],
        trigger="inbound",
        inbound_trigger=trigger,
        conditions=preset["rule"]["conditions"],
        actions=actions,
    )
    shop.action = f"{live_server.url}{trigger.receive_path}"

    page.goto(f"{shop.origin}/contact")
    page.fill("input[name=email]", "ada@example.com")
    page.fill("input[name=name]", "Ada Lovelace")
    page.get_by_role("button", name="Send").click()

    expect(page.get_by_role("heading", name="Thanks, we got it")).to_be_visible()
    assert page.url == f"{shop.origin}/thanks"
    contact = Contact.objects.get(workspace=membership.workspace, email="ada@example.com")
    assert (contact.name, contact.assignee_id) == ("Ada Lovelace", membership.user_id)

    # The same page may fetch() the URL: its origin is allow-listed, so the browser lets it read
    # the answer (a preflight goes first, for the JSON content type).
    status = page.evaluate(
        """async (url) => {
            const response = await fetch(url, {
                method: "POST",
                headers: {"Content-Type": "application/json"},
                body: JSON.stringify({email: "bo@example.com"}),
            });
            return response.status;
        }""",
        shop.action,
    )
    assert status == 200
    assert Contact.objects.filter(email="bo@example.com").exists()
