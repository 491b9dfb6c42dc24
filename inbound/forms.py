"""Form of Settings → Inbound webhooks: it parses input; the services check the trigger."""

from django import forms
from django.contrib.auth import get_user_model

from omniflow.json_input import JSONInputError, json_loads
from workspaces.models import Membership, Workspace

from .models import InboundTrigger
from .payloads import PATH_HELP, schema_errors

EXAMPLE_SCHEMA = """{
  "type": "object",
  "required": ["order"],
  "properties": {
    "order": {
      "type": "object",
      "required": ["conversation_id"],
      "properties": {"conversation_id": {"type": "string"}}
    }
  }
}"""


Resource = InboundTrigger.Resource
_FINDS_A_CONVERSATION = (Resource.CONVERSATION, Resource.TICKET, Resource.CUSTOM_EVENT)
# The action fields each resource uses; the form shows and saves only the chosen resource's.
RESOURCE_FIELDS = {
    "conversation_match": _FINDS_A_CONVERSATION,
    "conversation_path": _FINDS_A_CONVERSATION,
    "tags": (Resource.CONVERSATION,),
    "event_name": (Resource.CUSTOM_EVENT,),
    "contact_email_path": (Resource.CONTACT,),
    "contact_external_id_path": (Resource.CONTACT,),
    "contact_name_path": (Resource.CONTACT,),
    "assignee": (Resource.CONTACT,),
    "redirect_urls": (Resource.CONTACT,),
    "allowed_origins": (Resource.CONTACT,),
    "honeypot_field": (Resource.CONTACT,),
}
# What an action field of another resource is saved as.
_UNUSED_VALUE = {
    "tags": [],
    "assignee": None,
    "conversation_match": "external_id",
    "redirect_urls": [],
    "allowed_origins": [],
}


class TriggerForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="What sends it, e.g. “Shop: order shipped”.")
    resource = forms.ChoiceField(
        choices=InboundTrigger.Resource.choices,
        help_text="Conversation: tag it. Ticket: escalate the conversation's open tickets. "
        "Contact: create or update it and assign it. Custom event: record it on the trace.",
    )
    payload_schema = forms.CharField(
        label="JSON shape",
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false", "class": "monospace"}),
        help_text="A JSON Schema (draft 2020-12) of the JSON you will POST. "
        "Payloads that do not match get 422 and change nothing.",
    )
    conversation_match = forms.ChoiceField(
        choices=InboundTrigger.ConversationMatch.choices,
        initial=InboundTrigger.ConversationMatch.EXTERNAL_ID,
        label="Find the conversation by",
    )
    conversation_path = forms.CharField(
        max_length=200, required=False, label="Conversation path", help_text=PATH_HELP
    )
    tags = forms.CharField(
        max_length=500, required=False, help_text="Tags to add, comma-separated, e.g. shipped."
    )
    event_name = forms.CharField(
        max_length=100, required=False, help_text="The custom event's name, e.g. order.shipped."
    )
    contact_email_path = forms.CharField(max_length=200, required=False, label="Email path")
    contact_external_id_path = forms.CharField(
        max_length=200, required=False, label="External id path"
    )
    contact_name_path = forms.CharField(max_length=200, required=False, label="Name path")
    assignee = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label="Nobody",
        help_text="The member new and updated contacts are assigned to.",
    )
    idempotency_path = forms.CharField(
        max_length=200,
        required=False,
        label="Event id path",
        help_text="Optional: where your event's unique id is. A repeat within 24 hours "
        "gets the first answer and changes nothing (so does a repeated Idempotency-Key).",
    )
    secret = forms.CharField(
        max_length=200,
        required=False,
        label="Signing secret",
        widget=forms.PasswordInput(render_value=True),
        help_text="Optional: then each POST must carry X-Omniflow-Signature = "
        "base64(HMAC-SHA256(secret, raw body)).",
    )
    redirect_urls = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
        required=False,
        label="Redirect URLs",
        help_text="Website forms: one URL a line; a browser's post lands on the first (or the "
        "one its `redirect` field names). None: our thank-you page.",
    )
    allowed_origins = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
        required=False,
        label="Allowed origins",
        help_text="Origins whose pages may fetch() the URL (CORS), one a line, e.g. "
        "https://shop.example.",
    )
    honeypot_field = forms.CharField(
        max_length=100,
        required=False,
        label="Honeypot field",
        help_text="A form field hidden from people, e.g. website: a post that fills it is spam.",
    )
    rules_only = forms.BooleanField(
        required=False,
        label="Only run the trigger's rules",
        help_text="The trigger's own action is skipped; its rules (Rules page) do the work.",
    )
    enabled = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args, workspace: Workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = get_user_model().objects.filter(
            pk__in=Membership.objects.filter(workspace=workspace).values("user_id")
        )
        self.fields["assignee"].label_from_instance = lambda user: user.email or user.username

    def clean_payload_schema(self):
        text = self.cleaned_data["payload_schema"]
        try:
            schema = json_loads(text)
        except JSONInputError as error:
            where = f" (at {error.path})" if error.path else ""
            raise forms.ValidationError(f"This is not valid JSON: {error}{where}") from error
        problems = schema_errors(schema)
        if problems:
            raise forms.ValidationError(f"This is not a valid JSON Schema: {problems[0]}")
        return schema

    def clean_redirect_urls(self):
        return [
            line.strip() for line in self.cleaned_data["redirect_urls"].splitlines() if line.strip()
        ]

    def clean_allowed_origins(self):
        return [
            line.strip()
            for line in self.cleaned_data["allowed_origins"].splitlines()
            if line.strip()
        ]

    def clean_tags(self):
        return [tag.strip() for tag in self.cleaned_data["tags"].split(",") if tag.strip()]

    def clean(self):
        cleaned = super().clean()
        resource = cleaned.get("resource")
        if resource:
            # A field of another resource (filled in, then the resource changed) is not saved.
            for name, resources in RESOURCE_FIELDS.items():
                if resource not in resources:
                    cleaned[name] = _UNUSED_VALUE.get(name, "")
        if cleaned.pop("rules_only", False):
            cleaned["action"] = InboundTrigger.Action.RUN_RULES
        return cleaned

    @property
    def chosen_resource(self) -> str:
        """Return the resource whose fields are shown: the one picked, else the first."""
        value = self.data.get("resource") if self.is_bound else self.initial.get("resource")
        return value if value in Resource.values else Resource.CONVERSATION

    def rows(self) -> list[dict]:
        """Return each field with the resources it is for ("" for all) and whether it shows."""
        chosen = self.chosen_resource
        return [
            {
                "field": field,
                "resources": " ".join(RESOURCE_FIELDS.get(field.name, ())),
                "shown": field.name not in RESOURCE_FIELDS or chosen in RESOURCE_FIELDS[field.name],
            }
            for field in self
        ]


def initial_from_data(data) -> dict:
    """Return a form's initial values from what was POSTed (to redraw it, saving nothing)."""
    initial = {name: data.get(name, "") for name in TriggerForm.base_fields}
    initial["enabled"] = "enabled" in data
    initial["rules_only"] = "rules_only" in data
    return initial


def trigger_initial(trigger: InboundTrigger) -> dict:
    """Return a form's initial data from a trigger (the secret is never sent back)."""
    return {
        "name": trigger.name,
        "resource": trigger.resource,
        "payload_schema": trigger.payload_schema_json,
        "conversation_match": trigger.conversation_match,
        "conversation_path": trigger.conversation_path,
        "tags": ", ".join(trigger.tags),
        "event_name": trigger.event_name,
        "contact_email_path": trigger.contact_email_path,
        "contact_external_id_path": trigger.contact_external_id_path,
        "contact_name_path": trigger.contact_name_path,
        "assignee": trigger.assignee_id,
        "idempotency_path": trigger.idempotency_path,
        "redirect_urls": "\n".join(trigger.redirect_urls),
        "allowed_origins": "\n".join(trigger.allowed_origins),
        "honeypot_field": trigger.honeypot_field,
        "rules_only": trigger.action == InboundTrigger.Action.RUN_RULES,
        "enabled": trigger.enabled,
    }


class DryRunForm(forms.Form):
    payload = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false", "class": "monospace"}),
        help_text="A payload as the sender would POST it: nothing is changed.",
    )

    def clean_payload(self):
        try:
            return json_loads(self.cleaned_data["payload"])
        except JSONInputError as error:
            raise forms.ValidationError(f"This is not valid JSON: {error}") from error
