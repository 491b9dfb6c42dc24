"""Forms of Settings → API Keys: they parse input; the services validate and change keys."""

from django import forms

from .models import ApiKey
from .ratelimits import InvalidRate, parse_rates
from .scopes import ACCESS_LEVELS, READ, RESOURCES, WRITE

SCOPE_CHOICES = [
    (f"{resource}:{access}", f"{resource}:{access}")
    for resource in RESOURCES
    for access in ACCESS_LEVELS
]


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Which integration uses it, e.g. “CRM sync”.")
    scopes = forms.MultipleChoiceField(
        choices=SCOPE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Write implies read. Leave every box empty to grant every scope.",
    )
    tier = forms.ChoiceField(
        choices=ApiKey.Tier.choices, initial=ApiKey.Tier.DEFAULT, widget=forms.RadioSelect
    )
    custom_rate = forms.CharField(
        max_length=100,
        required=False,
        label="Custom limits",
        help_text="For the Custom tier: N/s, N/m, N/h or N/d, comma-separated, e.g. 300/m,5000/h.",
    )

    def clean(self):
        cleaned_data = super().clean()
        # Parsed here as well as in the service, so every error shows at the first submit.
        if cleaned_data.get("tier") == ApiKey.Tier.CUSTOM:
            try:
                parse_rates(cleaned_data.get("custom_rate", ""))
            except InvalidRate as error:
                self.add_error("custom_rate", str(error))
        return cleaned_data

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


class ApiKeyCreateForm(ApiKeyForm):
    expires_at = forms.DateTimeField(
        required=False,
        label="Expires (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Optional. After this moment the key answers 401.",
    )
