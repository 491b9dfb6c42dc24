from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apikeys.scopes import WRITE, scopes_grant
from inbox.api.fields import JSONObjectField, WorkspaceMemberField, tag_list_field
from omniflow.api.fields import PYTHON_SPACES, validate_uri_text
from omniflow.api.schema import http_url_pattern

from ..models import InboundReceipt, InboundTrigger

# Python's whitespace (str.strip()'s): DRF strips a path before the trigger checks it.
_SPACES = PYTHON_SPACES
_SEGMENT = f"[^.]*[^.{_SPACES}][^.]*"  # not blank
_PATH = {"max_length": 200, "required": False, "allow_blank": True}


# What inbound.payloads.path_check admits: none, or dotted segments none of them blank.
@extend_schema_field(
    {
        "type": "string",
        "maxLength": 200,
        # Not "": drf-spectacular adds it beside (allow_blank), and `oneOf` takes one match.
        "pattern": f"^(?:[{_SPACES}]+|[{_SPACES}]*{_SEGMENT}(?:\\.{_SEGMENT})*)$",
    }
)
class PayloadPathField(serializers.CharField):
    """A dotted path into the payload (`order.conversation_id`), or none."""


@extend_schema_field({"type": "string", "format": "uri", "pattern": http_url_pattern()})
class FormURLField(serializers.URLField):
    """An http(s) URL a browser is sent to: a URI (Django's URLValidator admits more)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(validate_uri_text)


@extend_schema_field({"type": "string", "format": "uri", "pattern": http_url_pattern(origin=True)})
class OriginField(FormURLField):
    """scheme://host[:port] of the pages that may fetch() a trigger's URL."""


class TriggerInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    resource = serializers.ChoiceField(choices=InboundTrigger.Resource.choices)
    action = serializers.ChoiceField(
        choices=InboundTrigger.Action.choices,
        required=False,
        help_text="Implied by the resource; if given it must be the resource's action.",
    )
    payload_schema = JSONObjectField(
        required=False, help_text="The JSON shape you will POST, as a JSON Schema object."
    )
    conversation_match = serializers.ChoiceField(
        choices=InboundTrigger.ConversationMatch.choices, required=False
    )
    conversation_path = PayloadPathField(**_PATH)
    tags = tag_list_field(required=False)
    event_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    contact_email_path = PayloadPathField(**_PATH)
    contact_external_id_path = PayloadPathField(**_PATH)
    contact_name_path = PayloadPathField(**_PATH)
    assignee = WorkspaceMemberField(required=False, allow_null=True)
    idempotency_path = PayloadPathField(**_PATH)
    enabled = serializers.BooleanField(required=False)
    secret = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="If set, each POST must carry X-Omniflow-Signature (never shown again).",
    )
    redirect_urls = serializers.ListField(
        child=FormURLField(max_length=500),
        required=False,
        max_length=20,
        help_text="Contact triggers: where a browser's form post is redirected (303); a form's "
        "`redirect` field picks one, else the first. None: our thank-you page.",
    )
    allowed_origins = serializers.ListField(
        child=OriginField(max_length=200),
        required=False,
        max_length=20,
        help_text="Origins (scheme://host[:port]) whose pages may fetch() the URL (CORS).",
    )
    honeypot_field = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="A form field hidden from people: a post that fills it is spam and does nothing.",
    )


class TriggerRepresentation(serializers.Serializer):
    id = serializers.IntegerField()
    public_id = serializers.CharField()
    url = serializers.SerializerMethodField()
    name = serializers.CharField()
    resource = serializers.ChoiceField(choices=InboundTrigger.Resource.choices)
    action = serializers.ChoiceField(choices=InboundTrigger.Action.choices)
    payload_schema = serializers.JSONField()
    conversation_match = serializers.ChoiceField(choices=InboundTrigger.ConversationMatch.choices)
    conversation_path = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    event_name = serializers.CharField()
    contact_email_path = serializers.CharField()
    contact_external_id_path = serializers.CharField()
    contact_name_path = serializers.CharField()
    assignee = serializers.IntegerField(source="assignee_id", allow_null=True)
    idempotency_path = serializers.CharField()
    enabled = serializers.BooleanField()
    redirect_urls = serializers.ListField(child=serializers.CharField())
    allowed_origins = serializers.ListField(child=serializers.CharField())
    honeypot_field = serializers.CharField()
    has_secret = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(
        serializers.URLField(
            allow_null=True,
            help_text="Where your system POSTs; a credential, so only keys with "
            "`inbound:write` see it (null otherwise).",
        )
    )
    def get_url(self, trigger: InboundTrigger) -> str | None:
        request = self.context["request"]
        if not scopes_grant(request.auth.scopes, resource="inbound", access=WRITE):
            return None
        return request.build_absolute_uri(trigger.receive_path)

    def get_has_secret(self, trigger: InboundTrigger) -> bool:
        return bool(trigger.secret)


class ReceiptRepresentation(serializers.ModelSerializer):
    class Meta:
        model = InboundReceipt
        fields = [
            "id",
            "received_at",
            "status",
            "http_status",
            "error_type",
            "error",
            "payload_excerpt",
            "result",
            "rules",
            "is_replay",
            "is_spam",
            "rerun_of",
        ]


class DryRunInput(serializers.Serializer):
    payload = serializers.JSONField(help_text="The payload to try, as the sender would POST it.")


class DryRunRepresentation(serializers.Serializer):
    http_status = serializers.IntegerField(help_text="What the sender would be answered.")
    error_type = serializers.CharField()
    error = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        allow_null=True,
        help_text="Messages per payload field when the payload does not fit its shape, or null.",
    )
    result = serializers.JSONField(help_text="What the trigger's own action would do.")
    rules = serializers.JSONField(help_text="The rules that would match and what each would do.")


class RulePresetRepresentation(serializers.Serializer):
    key = serializers.CharField(help_text="Stable name of the preset, e.g. `order_shipped`.")
    label = serializers.CharField()
    trigger = JSONObjectField(help_text="Settings for `POST /inbound-triggers`.")
    rule = JSONObjectField(
        help_text="A body for `POST /routing-rules` (add the trigger's id as `inbound_trigger`)."
    )


class RulePresetListRepresentation(serializers.Serializer):
    results = RulePresetRepresentation(many=True)
