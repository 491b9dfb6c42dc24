"""Forms of Settings → API Keys: they parse input; the services validate and change keys."""

from django import forms
from django.core.exceptions import ValidationError

from omniflow.ratelimits import InvalidRate, parse_rates

from .models import ApiKey
from .scopes import ACCESS_LEVELS, ALL_SCOPES, READ, RESOURCES, WRITE
from .services import ROLL_GRACE_CHOICES, api_key_expiry_check

SCOPE_CHOICES = [
    (f"{resource}:{access}", f"{resource}:{access}")
    for resource in RESOURCES
    for access in ACCESS_LEVELS
]


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Which integration uses it, e.g. “CRM sync”.")
    full_access = forms.BooleanField(
        required=False,
        label="Full access",
        help_text="Every scope, read and write, including managing members and API keys.",
    )
    scopes = forms.MultipleChoiceField(
        choices=SCOPE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Write implies read. Give the integration only what it needs.",
    )
    tier = forms.ChoiceField(
        choices=ApiKey.Tier.choices, initial=ApiKey.Tier.DEFAULT, widget=forms.RadioSelect
    )
    custom_rate = forms.CharField(
        max_length=100,
        required=False,
        label="Custom limits",
        help_text=(
            "Custom tier only: N/s, N/m, N/h or N/d, each with an optional multiplier, "
            "comma-separated, e.g. 300/m,5000/h or 10/15m."
        ),
    )
    expires_at = forms.DateTimeField(
        required=False,
        label="Expires (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Optional; empty: the key never expires. After it the key gets 401.",
    )

    def clean(self):
        cleaned_data = super().clean()
        # Checked here as well as in the service, so every error shows at the first submit.
        if not cleaned_data.get("full_access") and not cleaned_data.get("scopes"):
            self.add_error("scopes", "Pick at least one scope, or tick Full access.")
        tier, custom_rate = cleaned_data.get("tier"), cleaned_data.get("custom_rate", "")
        if tier == ApiKey.Tier.CUSTOM:
            try:
                parse_rates(custom_rate)
            except InvalidRate as error:
                self.add_error("custom_rate", str(error))
        elif custom_rate.strip():
            self.add_error(
                "custom_rate",
                "Custom limits apply to the Custom tier only: pick it, or clear them.",
            )
        try:
            api_key_expiry_check(expires_at=cleaned_data.get("expires_at"))
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned_data

    def granted_scopes(self) -> list[str]:
        """Return the scopes to give: every one for full access, else the ticked ones."""
        if self.cleaned_data["full_access"]:
            return list(ALL_SCOPES)
        return self.cleaned_data["scopes"]

    def scope_rows(self) -> list[dict]:
        """Return one row per resource with the state of its read and write boxes."""
        selected = set(self["scopes"].value() or [])
        return [
            {
                "resource": resource,
                "read": f"{resource}:{READ}",
                "write": f"{resource}:{WRITE}",
                # Write implies read, so a write scope shows both boxes ticked.
                "read_checked": bool({f"{resource}:{READ}", f"{resource}:{WRITE}"} & selected),
                "write_checked": f"{resource}:{WRITE}" in selected,
            }
            for resource in RESOURCES
        ]


class ApiKeyRollForm(forms.Form):
    grace = forms.ChoiceField(
        label="Keep the old key working for",
        choices=[
            ("now", "No time: it stops working now"),
            ("1h", "1 hour"),
            ("24h", "24 hours"),
            ("3d", "3 days"),
            ("7d", "7 days"),
        ],
        initial="24h",
        widget=forms.RadioSelect,
    )

    def grace_period(self):
        return ROLL_GRACE_CHOICES[self.cleaned_data["grace"]]
