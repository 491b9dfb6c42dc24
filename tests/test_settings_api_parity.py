"""Everything the Settings pages do, the API does: a walk over every URL under /settings/.

Each (Settings URL name, HTTP method) its view answers must have a row below: the API call
that does the same, a form or confirmation page (the POST it leads to has its own row), or a
reason it is no action. A new Settings page without a row fails here; adding one is one line.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

FORM = "form"  # GET draws a form or a confirmation; its POST is the action


def api(method: str, url_name: str) -> tuple[str, str]:
    return (method, url_name)


SETTINGS_TO_API: dict[tuple[str, str], object] = {
    # Webhooks: endpoints.
    ("endpoint-list", "GET"): [api("GET", "webhook-endpoint-list")],
    ("endpoint-create", "GET"): FORM,
    ("endpoint-create", "POST"): [api("POST", "webhook-endpoint-list")],
    ("endpoint-detail", "GET"): [
        api("GET", "webhook-endpoint-detail"),
        api("GET", "webhook-endpoint-stats"),
        api("GET", "webhook-event-types"),
    ],
    ("endpoint-edit", "GET"): FORM,
    ("endpoint-edit", "POST"): [api("PATCH", "webhook-endpoint-detail")],
    ("endpoint-delete", "GET"): FORM,
    ("endpoint-delete", "POST"): [api("DELETE", "webhook-endpoint-detail")],
    ("endpoint-reveal-secret", "POST"): [api("POST", "webhook-endpoint-secret")],
    ("endpoint-rotate-secret", "GET"): FORM,
    ("endpoint-rotate-secret", "POST"): [api("POST", "webhook-endpoint-rotate-secret")],
    ("endpoint-end-secret-overlap", "POST"): [api("POST", "webhook-endpoint-end-secret-overlap")],
    ("endpoint-send-test-event", "POST"): [api("POST", "webhook-endpoint-test-event")],
    ("endpoint-pause", "POST"): [api("POST", "webhook-endpoint-pause")],
    ("endpoint-resume", "POST"): [api("POST", "webhook-endpoint-resume")],
    # Webhooks: the deliveries log, replay, bulk replay jobs.
    ("delivery-list", "GET"): [api("GET", "webhook-delivery-list")],
    ("delivery-detail", "GET"): [api("GET", "webhook-delivery-detail")],
    ("delivery-replay", "POST"): [api("POST", "webhook-delivery-replay")],
    # The confirmation page shows the count: the API's dry run.
    ("delivery-bulk-replay", "GET"): [api("POST", "webhook-delivery-bulk-replay")],
    ("delivery-bulk-replay", "POST"): [api("POST", "webhook-delivery-bulk-replay")],
    ("replay-job-detail", "GET"): [api("GET", "webhook-replay-job-detail")],
    ("replay-job-progress", "GET"): [api("GET", "webhook-replay-job-detail")],
    # Inbound webhooks.
    ("trigger-list", "GET"): [api("GET", "inbound-triggers")],
    ("trigger-create", "GET"): FORM,
    ("trigger-create", "POST"): [api("POST", "inbound-triggers")],
    ("trigger-detail", "GET"): [
        api("GET", "inbound-trigger-detail"),
        api("GET", "inbound-trigger-receipts"),
    ],
    ("trigger-edit", "GET"): FORM,
    ("trigger-edit", "POST"): [api("PATCH", "inbound-trigger-detail")],
    ("trigger-regenerate", "GET"): FORM,
    ("trigger-regenerate", "POST"): [api("POST", "inbound-trigger-regenerate-url")],
    ("trigger-delete", "GET"): FORM,
    ("trigger-delete", "POST"): [api("DELETE", "inbound-trigger-detail")],
    ("trigger-rules", "GET"): [api("GET", "routing-rules"), api("GET", "inbound-rule-presets")],
    ("trigger-rules", "POST"): [api("POST", "routing-rules")],
    ("rule-edit", "GET"): FORM,
    ("rule-edit", "POST"): [api("PATCH", "routing-rule-detail")],
    ("rule-delete", "GET"): FORM,
    ("rule-delete", "POST"): [api("DELETE", "routing-rule-detail")],
    ("rule-toggle", "POST"): [api("PATCH", "routing-rule-detail")],  # is_active
    ("rule-move", "POST"): [api("PATCH", "routing-rule-detail")],  # position
    ("trigger-dry-run", "GET"): FORM,
    ("trigger-dry-run", "POST"): [api("POST", "inbound-trigger-dry-run")],
    ("receipt-rerun", "POST"): [api("POST", "inbound-receipt-rerun")],
    # API keys.
    ("apikey-list", "GET"): [api("GET", "api-keys")],
    ("apikey-create", "GET"): FORM,
    ("apikey-create", "POST"): [api("POST", "api-keys")],
    # The page that shows a new key once: the API answers the key in the create/roll response.
    ("apikey-created", "GET"): [api("POST", "api-keys"), api("POST", "api-key-roll")],
    ("apikey-detail", "GET"): [
        api("GET", "api-key-detail"),
        api("GET", "api-key-audit"),
        api("GET", "api-key-usage"),
    ],
    ("apikey-edit", "GET"): FORM,
    ("apikey-edit", "POST"): [api("PATCH", "api-key-detail")],
    ("apikey-roll", "GET"): FORM,
    ("apikey-roll", "POST"): [api("POST", "api-key-roll")],
    ("apikey-revoke", "GET"): FORM,
    ("apikey-revoke", "POST"): [api("POST", "api-key-revoke")],
    # Members.
    ("member-list", "GET"): [api("GET", "members")],
    ("member-create", "GET"): FORM,
    ("member-create", "POST"): [api("POST", "members")],
    ("member-role", "POST"): [api("PATCH", "member-detail")],
    ("member-remove", "GET"): FORM,
    ("member-remove", "POST"): [api("DELETE", "member-detail")],
    ("invitation-resend", "POST"): [api("POST", "invitation-resend")],
    ("invitation-cancel", "POST"): [api("DELETE", "invitation-detail")],
    # Agent tools.
    ("agenttool-list", "GET"): [api("GET", "agent-tools")],
    ("agenttool-create", "GET"): FORM,
    ("agenttool-create", "POST"): [api("POST", "agent-tools")],
    ("agenttool-import", "GET"): FORM,
    ("agenttool-import", "POST"): [api("POST", "agent-tools-import")],
    ("agenttool-calls", "GET"): [api("GET", "agent-tool-calls")],
    ("agenttool-agents", "GET"): [api("GET", "agents"), api("GET", "agent-tools-of-agent")],
    ("agenttool-agent", "GET"): [api("GET", "agent-tools-of-agent")],
    ("agenttool-agent", "POST"): [api("PUT", "agent-tools-of-agent")],
    ("agenttool-detail", "GET"): [api("GET", "agent-tool-detail")],
    # "Try it" on the tool's page.
    ("agenttool-detail", "POST"): [api("POST", "agent-tool-try")],
    ("agenttool-edit", "GET"): FORM,
    ("agenttool-edit", "POST"): [api("PATCH", "agent-tool-detail")],
    ("agenttool-delete", "GET"): FORM,
    ("agenttool-delete", "POST"): [api("DELETE", "agent-tool-detail")],
}

NOT_ACTIONS = {
    "settings-home": "a page of links to the others",
    "workspace-switch": "picks the browser session's workspace; an API key has exactly one",
    "invitation-open": "the invited person's own emailed one-time link, not an admin action",
    "invitation-accept": "the invited person accepts as themselves, not an admin action",
}

API_ELSEWHERE: dict[str, str] = {}


def _patterns(resolver: URLResolver, prefix: str = ""):
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


def _settings_actions() -> list[tuple[str, str]]:
    """Return (URL name, method) of every GET or POST a view under /settings/ answers."""
    actions = []
    for route, pattern in _patterns(get_resolver()):
        if not route.startswith("settings/"):
            continue
        view = pattern.callback.view_class
        assert pattern.name, f"settings/{route} has no URL name"
        for method in ("get", "post"):
            if method in view.http_method_names and hasattr(view, method):
                actions.append((pattern.name, method.upper()))
    return actions


def _api_view(url_name: str):
    for route, pattern in _patterns(get_resolver()):
        if pattern.name == url_name and route.startswith("api/v1/"):
            return pattern.callback.cls
    raise AssertionError(f"No API route named {url_name!r}")


def test_the_walk_finds_the_settings_pages():
    actions = _settings_actions()

    assert ("delivery-list", "GET") in actions
    assert ("trigger-regenerate", "POST") in actions
    assert ("settings-home", "GET") in actions
    assert reverse("webhooks:delivery-list") == "/settings/deliveries/"


def test_every_settings_action_has_an_api_equivalent_or_a_stated_reason():
    missing = [
        f"{name} {method}"
        for name, method in _settings_actions()
        if (name, method) not in SETTINGS_TO_API
        and name not in NOT_ACTIONS
        and name not in API_ELSEWHERE
    ]

    assert not missing, (
        "Settings actions without an API equivalent (add the API, then a row to "
        f"SETTINGS_TO_API): {', '.join(missing)}"
    )


def test_the_map_names_no_settings_action_that_is_gone():
    actions = set(_settings_actions())

    assert set(SETTINGS_TO_API) <= actions, set(SETTINGS_TO_API) - actions


@pytest.mark.parametrize(
    ("settings_action", "api_call"),
    [(key, call) for key, calls in SETTINGS_TO_API.items() if calls != FORM for call in calls],
    ids=lambda value: " ".join(value),
)
def test_each_api_equivalent_exists_and_answers_that_method(settings_action, api_call):
    method, url_name = api_call

    view = _api_view(url_name)

    assert hasattr(view, method.lower()), f"{url_name} does not answer {method}"
