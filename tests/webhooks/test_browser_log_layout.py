"""The deliveries log reads at a desktop and a phone width, in a real headless Chromium: no row
(or, on a phone, no card field) is taller than two lines, no cell is cut off without its full
value on hover, and each row's status and Replay button are in view. Screenshots go to
var/screenshots/ (not committed)."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories import MembershipFactory
from tests.support.browser import browser_login
from tests.support.webhook_events import emit_committed
from webhooks.models import WebhookDelivery
from webhooks.replays import delivery_replay
from webhooks.services import endpoint_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
VIEWPORTS = {"1280": {"width": 1280, "height": 900}, "390": {"width": 390, "height": 844}}
LONG_URL = (
    "https://hooks.customer-success.example.com/integrations/omniflow/webhooks/receive/"
    "customer-success-pipeline?token=0123456789abcdefghijklmnopqrstuvwxyz0123456789"
)

# For every cell (a row's <td>), in page coordinates: its box, its line height, whether its
# content is cut off anywhere without a title (the full value on hover).
MEASURE_CELLS = """
(table) => Array.from(table.querySelectorAll("tbody tr")).map((row) => ({
  id: row.dataset.deliveryId,
  height: row.getBoundingClientRect().height,
  cells: Array.from(row.cells).map((cell) => {
    const box = cell.getBoundingClientRect();
    const style = getComputedStyle(cell);
    const padding = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom);
    const cut = Array.from(cell.querySelectorAll("*")).concat([cell]).filter(
      (el) => el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflow !== "visible"
    );
    return {
      name: cell.className,
      top: box.top, bottom: box.bottom, left: box.left, right: box.right,
      contentHeight: box.height - padding,
      lineHeight: parseFloat(style.lineHeight),
      cutWithoutTitle: cut.filter((el) => !el.title).map((el) => el.outerHTML.slice(0, 120)),
    };
  }),
}))
"""


def _log_with_every_kind_of_row():
    membership = MembershipFactory(role="admin")
    workspace = membership.workspace
    endpoint = endpoint_create(
        workspace=workspace,
        url=LONG_URL,
        event_types=["ticket.created", "training_attempt.completed", "ticket.status_changed"],
    )
    emit_committed(workspace=workspace, event_type="ticket.created", resource_id=7)
    emit_committed(workspace=workspace, event_type="ticket.created", resource_id=7)
    emit_committed(
        workspace=workspace,
        event_type="training_attempt.completed",
        resource_id="a-very-long-resource-identifier-from-the-customer-0123456789",
    )
    for resource_id in (1, 2):
        emit_committed(
            workspace=workspace, event_type="ticket.status_changed", resource_id=resource_id
        )
    head, _held, long_one, failed, refused = WebhookDelivery.objects.filter(
        endpoint=endpoint
    ).order_by("id")
    WebhookDelivery.objects.filter(id=head.id).update(
        status="retrying",
        attempt_count=2,
        last_error="ClientConnectorError: Cannot connect to host hooks.example.com:443 "
        "ssl:default [Connect call failed ('93.184.215.14', 443)]",
    )
    WebhookDelivery.objects.filter(id=failed.id).update(
        status="failed", attempt_count=12, last_status_code=404, last_error=""
    )
    WebhookDelivery.objects.filter(id__in=[long_one.id, refused.id]).update(
        status="failed", attempt_count=3, last_error="Timed out after 10 s"
    )
    delivery_replay(delivery=WebhookDelivery.objects.get(id=failed.id))
    return membership


@pytest.mark.parametrize("width", list(VIEWPORTS))
def test_every_log_row_fits_in_two_lines_with_status_and_replay_in_view(page, width):
    page.set_viewport_size(VIEWPORTS[width])
    membership = _log_with_every_kind_of_row()
    browser_login(page, membership.user)

    page.goto("/settings/deliveries/")
    table = page.locator("table.delivery-log")
    expect(table.locator("tbody tr")).to_have_count(6)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"deliveries-log-{width}.png"), full_page=True)

    viewport = VIEWPORTS[width]["width"]
    if width == "390":
        # The Settings menu starts folded: one line above the page, not its whole list.
        assert not page.locator("details.settings-menu").evaluate("(menu) => menu.open")
        assert page.locator("details.settings-menu").bounding_box()["height"] < 60
    card = table.evaluate("(t) => t.closest('.card').getBoundingClientRect().right")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport
    for row in table.evaluate(MEASURE_CELLS):
        for cell in row["cells"]:
            where = f"delivery {row['id']}, {cell['name']} at {width} px"
            # Two lines at most (a phone card's field: its label and one line).
            assert cell["contentHeight"] <= 2 * cell["lineHeight"] + 4, (
                f"{where}: {cell['contentHeight']} px tall"
            )
            assert cell["right"] <= card + 1, f"{where}: falls off the log's right edge"
            assert not cell["cutWithoutTitle"], f"{where}: cut off without a title"
        if width == "1280":
            # A table row: two lines of the tallest cell, plus its padding.
            assert row["height"] <= 2 * 20 + 16 + 6, f"row {row['id']} is {row['height']} px"

    for row in table.locator("tbody tr").all():
        # Whole in the page's width: nothing to scroll sideways to, at either width.
        for thing in (row.locator(".cell-status .badge").first, row.get_by_role("button")):
            box = thing.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= viewport, (
                f"{thing} is outside the page's {viewport} px"
            )
    url = table.locator("tbody tr").first.locator(".cell-endpoint code")
    expect(url).to_have_attribute("title", LONG_URL)
