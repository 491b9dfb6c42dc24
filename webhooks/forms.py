"""Forms of Settings → Webhooks and Deliveries: they parse input; the services validate."""

from django import forms
from django.core.validators import URLValidator

from . import filters
from .events import CATALOGUE
from .models import WebhookEndpoint
from .services import MAX_ENDPOINT_LIMIT
from .signing import secret_is_standard

EVENT_CHOICES = [(event.name, event.name) for event in CATALOGUE.values()]


class EndpointForm(forms.Form):
    url = forms.CharField(
        max_length=2000,
        label="Endpoint URL",
        # The scheme, host and address rules are the service's; this catches malformed URLs.
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="Where Omniflow POSTs the events, e.g. https://example.com/omniflow/webhooks.",
    )
    event_types = forms.MultipleChoiceField(
        choices=EVENT_CHOICES,
        label="Events",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Subscribe to at least one event type."},
    )
    description = forms.CharField(max_length=500, required=False)
    enabled = forms.BooleanField(
        required=False,
        initial=True,
        help_text="Unchecked: paused, its events held (not sent, not failed) until resumed.",
    )
    max_in_flight = forms.IntegerField(
        min_value=1,
        max_value=MAX_ENDPOINT_LIMIT,
        required=False,
        label="Requests in flight, at most",
        help_text="For a receiver that cannot take many at once. Empty: its fair share.",
    )
    rate_limit_per_second = forms.IntegerField(
        min_value=1,
        max_value=MAX_ENDPOINT_LIMIT,
        required=False,
        label="Deliveries per second, at most",
        help_text="Empty: no limit.",
    )

    def event_rows(self) -> list[dict]:
        """Return one row per catalogue event with its description and checkbox state."""
        selected = set(self["event_types"].value() or [])
        return [
            {
                "name": event.name,
                "description": event.description,
                "checked": event.name in selected,
            }
            for event in CATALOGUE.values()
        ]


class EndpointCreateForm(EndpointForm):
    GENERATE = "generate"
    OWN = "own"

    secret_mode = forms.ChoiceField(
        choices=[(GENERATE, "Generate a secret for me"), (OWN, "Use my own secret")],
        initial=GENERATE,
        widget=forms.RadioSelect,
        label="Signing secret",
    )
    secret = forms.CharField(
        max_length=200,
        required=False,
        strip=False,
        label="Your secret",
        widget=forms.PasswordInput(render_value=True),
        help_text="whsec_ followed by the base64 of 24 to 64 random bytes, e.g. from "
        "`openssl rand -base64 32`. Omniflow keeps it encrypted.",
    )

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("secret_mode") == self.OWN:
            secret = cleaned_data.get("secret", "")
            if not secret_is_standard(secret=secret):
                self.add_error(
                    "secret",
                    "Paste a secret in the Standard Webhooks form: whsec_ followed by the "
                    "base64 of 24 to 64 random bytes (or choose “Generate a secret for me”).",
                )
        return cleaned_data

    def secret_for_service(self) -> str | None:
        """Return the secret to store; None asks the service to generate one."""
        if self.cleaned_data["secret_mode"] == self.OWN:
            return self.cleaned_data["secret"]
        return None


class RotateSecretForm(forms.Form):
    """How long the previous secret keeps signing beside the new one."""

    overlap_hours = forms.TypedChoiceField(
        label="Keep the current secret valid for",
        coerce=int,
        initial=24,
        # A form that does not send it (an older page, a script) gets the default.
        required=False,
        empty_value=24,
        choices=[
            (0, "No overlap: stop using it now"),
            (1, "1 hour"),
            (24, "24 hours"),
            (72, "3 days"),
            (168, "7 days"),
        ],
    )


class DeliveryFilterForm(forms.Form):
    """The deliveries log's filters, read from the query string."""

    search = forms.CharField(
        max_length=filters.SEARCH_MAX_LENGTH,
        required=False,
        label="Find",
        help_text=filters.SEARCH_HELP,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "evt_…, 123 or ticket:123",
                "spellcheck": "false",
            }
        ),
    )
    status = forms.ChoiceField(
        choices=[("", "Any status"), *filters.STATUS_CHOICES], required=False
    )
    endpoint = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    event_type = forms.ChoiceField(choices=[("", "Any event"), *EVENT_CHOICES], required=False)
    resource_type = forms.CharField(
        max_length=filters.RESOURCE_TYPE_MAX_LENGTH, required=False, label="Resource type"
    )
    resource_id = forms.CharField(
        max_length=filters.RESOURCE_ID_MAX_LENGTH, required=False, label="Resource id"
    )
    created_after = forms.DateTimeField(
        required=False,
        label="From (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    created_before = forms.DateTimeField(
        required=False,
        label="Until (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args, endpoints: list[WebhookEndpoint], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["endpoint"].choices = [("", "Any endpoint")] + [
            (endpoint.id, endpoint.url) for endpoint in endpoints
        ]

    def clean(self):
        cleaned_data = super().clean()
        after, before = cleaned_data.get("created_after"), cleaned_data.get("created_before")
        if after and before and after >= before:
            self.add_error("created_before", "Must be later than “From”.")
        if "search" in cleaned_data:
            try:
                self.selector_filters()
            except filters.SearchInvalid as error:
                self.add_error("search", str(error))
        return cleaned_data

    def selector_filters(self, *, search: bool = True) -> dict:
        """Return the filters as `deliveries_for_log` takes them (blank ones dropped).

        The search narrows them (SearchInvalid when it names nothing; `clean` says so);
        bulk replay, which takes no search, asks without it.
        """
        selected = filters.selector_filters(self.cleaned_data)
        text = selected.pop("search", None)
        return filters.with_search(selected, text) if search else selected
