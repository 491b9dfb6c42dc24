"""Every Settings page, as an admin and as support staff, at a desktop and a phone width, in a
real headless Chromium: nothing scrolls sideways, admin-only entries are hidden from support
staff, refusals and unknown pages are shown in the Settings shell. Plus the key-roll and
member-add flows. Screenshots go to var/screenshots/ (not committed) for a person to look at.
"""

from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from playwright.sync_api import expect

from agenttools.services import agent_tools_set, tool_create
from apikeys import tokens
from apikeys.models import ApiKey
from inbound.services import trigger_create
from inbox.models import RoutingRule
from tests.factories import AgentFactory, MembershipFactory, make_api_key
from tests.support.agent_tools import ORDER_SCHEMA as ORDER_LOOKUP_SCHEMA
from tests.support.browser import browser_login
from tests.support.inbound_triggers import ORDER_SCHEMA
from tests.support.webhook_events import emit_committed
from webhooks.models import WebhookDelivery
from webhooks.replays import replay_job_create
from webhooks.services import endpoint_create
from workspaces.models import Membership

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
# A long URL and names, as customers have them: they must wrap or scroll inside their card.
LONG_URL = (
    "http://127.0.0.1:9/integrations/omniflow/webhooks/receive/customer-success-pipeline"
    "?token=0123456789abcdefghijklmnopqrstuvwxyz0123456789"
)


@pytest.fixture
def workspace_with_everything(transactional_db, settings):
    """A workspace with an admin, a support agent and one of everything Settings shows."""
    settings.OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS = True
    admin = MembershipFactory(role="admin")
    workspace = admin.workspace
    support = MembershipFactory(workspace=workspace, role="support")
    api_key, _ = make_api_key(
        workspace, name="CRM sync for the customer success team", scopes=["tickets:read"]
    )
    endpoint = endpoint_create(
        workspace=workspace,
        url=LONG_URL,
        event_types=["ticket.created", "ticket.status_changed", "conversation.created"],
        description="Customer success pipeline",
    )
    for resource_id in range(1, 6):
        emit_committed(workspace=workspace, event_type="ticket.created", resource_id=resource_id)
    WebhookDelivery.objects.filter(endpoint=endpoint, event__resource_id__in=["1", "2"]).update(
        status=WebhookDelivery.Status.FAILED, attempt_count=5, last_status_code=500
    )
    trigger = trigger_create(
        workspace=workspace,
        created_by=None,
        name="Shop: order shipped",
        resource="conversation",
        payload_schema=ORDER_SCHEMA,
        conversation_path="order.conversation_id",
        tags=["shipped"],
    )
    rule = RoutingRule.objects.create(
        workspace=workspace,
        name="Escalate the shipped orders' tickets when the carrier reports a delay",
        trigger="inbound",
        inbound_trigger=trigger,
        conditions=[{"field": "payload.order.status", "operator": "in", "value": ["delayed"]}],
        actions=[
            {"type": "tag", "tag": "carrier-delay"},
            {
                "type": "set_ticket_status",
                "status": "escalated",
                "selector": {"conversation": True, "open_since_minutes": 1440},
            },
        ],
    )
    replay_job = replay_job_create(workspace=workspace, endpoint_id=endpoint.pk)
    tool = tool_create(
        workspace=workspace,
        created_by=None,
        name="lookup_order_in_the_customer_success_warehouse",
        description="Look up an order by its number in the warehouse system.",
        input_schema=ORDER_LOOKUP_SCHEMA,
        method="GET",
        url_template=LONG_URL.split("?")[0] + "/orders/{order_id}",
    )
    agent = AgentFactory(workspace=workspace)
    agent_tools_set(agent=agent, tools=[tool])
    return {
        "admin": admin,
        "support": support,
        "key_id": api_key.pk,
        "endpoint_id": endpoint.pk,
        "delivery_id": WebhookDelivery.objects.filter(endpoint=endpoint).first().pk,
        "trigger_id": trigger.pk,
        "rule_id": rule.pk,
        "member_id": support.pk,
        "job_id": replay_job.pk,
        "tool_id": tool.pk,
        "agent_id": agent.pk,
    }


def _settings_routes(resolver=None, prefix: str = "", namespace: str = ""):
    """Yield (route, URL name, parameters, view class) of every page under /settings/."""
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _settings_routes(entry, route, inner)
        elif isinstance(entry, URLPattern) and route.startswith("settings/") and entry.name:
            params = list(getattr(entry.pattern, "converters", {}))
            name = namespace + entry.name
            yield route, name, params, getattr(entry.callback, "view_class", None)


# Pages that are not pages: POST-only actions, and the invitation link and its acceptance (the
# invited person's, no Settings shell). The replay job's progress is JSON that its page polls.
NOT_PAGES = {
    "workspaces:invitation-open",
    "workspaces:invitation-accept",
    "webhooks:replay-job-progress",
}


def _settings_pages(objects: dict) -> list[tuple[str, str, bool]]:
    """Return (URL name, path, admin only) of every Settings page a GET shows, filled with real
    objects."""
    pages = []
    for _route, name, params, view_class in _settings_routes():
        if name in NOT_PAGES or (view_class and "get" not in view_class.http_method_names):
            continue
        if "get" not in dir(view_class):
            continue  # a View with post() only
        unknown = [param for param in params if param not in objects]
        assert not unknown, f"{name}: give this test an object for {unknown} (every page counts)"
        path = reverse(name, kwargs={param: objects[param] for param in params})
        pages.append((name, path, getattr(view_class, "admin_only", False)))
    return pages


def _no_sideways_scroll(page) -> None:
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth, document.title]"
    )
    assert widths[0] <= widths[1], f"{page.url} is {widths[0]} px wide in {widths[1]} px"


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"settings-{name}.png"), full_page=True)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("role", ["admin", "support"])
def test_every_settings_page_fits_the_screen_for_each_role(
    live_server, page, workspace_with_everything, role, width
):
    objects = workspace_with_everything
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    browser_login(page, objects[role].user)
    pages = _settings_pages(objects) + [("not-found", "/settings/no-such-page/", False)]
    assert len(pages) > 20

    for name, path, admin_only in pages:
        response = page.goto(path)
        expected = 200
        if name == "not-found":
            expected = 404
        elif role == "support" and admin_only:
            expected = 403
        assert response.status == expected, f"{path} as {role}: {response.status}"
        # Every page, refusals included, is in the Settings shell with its navigation and banner.
        expect(page.locator(".settings-menu .settings-nav")).to_have_count(1)
        expect(page.locator(".banner.warn")).to_contain_text("Development mode")
        if expected != 200:
            expect(page.get_by_role("link", name="Back to Settings")).to_be_visible()
        _no_sideways_scroll(page)
        _shot(page, f"{role}-{width}-{name}")

    page.goto("/settings/")
    nav = page.locator(".settings-nav")
    if width == "phone":
        # Folded into a menu above the page; it opens on a tap.
        expect(nav.get_by_role("link", name="Members")).to_be_hidden()
        page.locator(".settings-menu summary").click()
    expect(nav.get_by_role("link", name="Webhooks", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Deliveries log")).to_be_visible()
    expect(nav.get_by_role("link", name="Inbound webhooks")).to_be_visible()
    expect(nav.get_by_text("Integrations")).to_be_visible()
    expect(nav.get_by_role("link", name="Members")).to_be_visible()
    expect(nav.get_by_role("link", name="API Keys")).to_have_count(1 if role == "admin" else 0)
    _shot(page, f"{role}-{width}-nav-open")


def test_roll_a_key_in_the_browser_and_the_new_one_is_shown_once(
    live_server, page, workspace_with_everything
):
    objects = workspace_with_everything
    old_key = ApiKey.objects.get(pk=objects["key_id"])
    page.set_viewport_size({"width": 1280, "height": 900})
    browser_login(page, objects["admin"].user)

    page.goto("/settings/api-keys/")
    page.get_by_role("link", name="CRM sync for the customer success team").click()
    expect(page.get_by_role("heading", name="Usage")).to_be_visible()
    page.get_by_role("link", name="Roll key").click()
    page.get_by_label("3 days").check()
    _shot(page, "flow-roll-confirm")
    page.get_by_role("button", name="Roll key").click()

    expect(page.get_by_text("It is shown only this once")).to_be_visible()
    plaintext = page.text_content("#api-key-plaintext").strip()
    assert tokens.is_well_formed(plaintext)
    new_key = ApiKey.objects.get(prefix=tokens.display_prefix(plaintext))
    assert new_key.rolled_from_id == old_key.pk
    expect(page.get_by_text(f"The old key {old_key.prefix}… keeps working until")).to_be_visible()
    _no_sideways_scroll(page)
    _shot(page, "flow-roll-created")

    # A reload shows the key no more and creates nothing.
    page.reload()
    expect(page.get_by_text("was shown once and cannot be shown again")).to_be_visible()
    assert plaintext not in page.content()
    assert ApiKey.objects.filter(workspace=old_key.workspace).count() == 2
    expect(page.get_by_role("link", name=f"{old_key.prefix}…")).to_be_visible()  # rolled from
    page.get_by_role("link", name=f"{old_key.prefix}…").click()
    expect(page.locator("section", has_text="Audit log")).to_contain_text("Rolled")
    _shot(page, "flow-roll-old-key")


def test_invite_a_member_on_a_phone_and_they_join_from_the_emailed_link(
    live_server, page, workspace_with_everything, _chromium, mailoutbox
):
    objects = workspace_with_everything
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(page, objects["admin"].user)

    page.locator(".settings-menu summary").click()
    page.locator(".settings-nav").get_by_role("link", name="Members").click()
    page.get_by_role("link", name="Add member").click()
    page.fill("#id_email", "new.agent@example.com")
    page.get_by_label("Support").check()
    _shot(page, "flow-member-form")
    page.get_by_role("button", name="Add member").click()

    expect(page.get_by_text("Invited new.agent@example.com as support")).to_be_visible()
    pending = page.locator('tr[data-invitation="new.agent@example.com"]')
    expect(pending.get_by_role("button", name="Resend")).to_be_visible()
    expect(pending.get_by_role("button", name="Cancel invitation")).to_be_visible()
    assert "/settings/invitations/" not in page.content()  # the link went by email only
    _no_sideways_scroll(page)
    _shot(page, "flow-member-invited")
    [mail] = mailoutbox
    link = next(word for word in mail.body.split() if "/settings/invitations/" in word)

    # The new member opens the emailed link in their own browser and sets their password.
    context = _chromium.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}
    )
    try:
        theirs = context.new_page()
        theirs.goto(link.replace("http://testserver", live_server.url))
        theirs.fill("#id_new_password1", "a-fresh-password-31")
        theirs.fill("#id_new_password2", "a-fresh-password-31")
        _shot(theirs, "flow-member-accept-invitation")
        theirs.get_by_role("button", name="Set password and join").click()
        theirs.wait_for_url("**/settings/")
        expect(theirs.get_by_text("new.agent@example.com · Support")).to_be_visible()
        _no_sideways_scroll(theirs)
    finally:
        context.close()

    page.reload()
    row = page.locator('tr[data-member="new.agent@example.com"]')
    expect(row.get_by_role("combobox")).to_have_value("support")
    expect(page.locator("tr[data-invitation]")).to_have_count(0)
    row.get_by_role("combobox").select_option("admin")
    row.get_by_role("button", name="Change").click()
    expect(page.get_by_text("new.agent@example.com is now admin.")).to_be_visible()
    assert Membership.objects.get(user__email="new.agent@example.com").role == "admin"
