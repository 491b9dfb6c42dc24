from rest_framework import serializers

from ..models import ApiKey, ApiKeyAuditEntry
from ..scopes import ACCESS_LEVELS, RESOURCES
from ..services import ROLL_GRACE_CHOICES

SCOPE_CHOICES = [f"{resource}:{access}" for resource in RESOURCES for access in ACCESS_LEVELS]
MAX_GRACE_SECONDS = int(max(ROLL_GRACE_CHOICES.values()).total_seconds())


class ApiKeyInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=SCOPE_CHOICES),
        allow_empty=False,
        help_text="At least one RESOURCE:read or RESOURCE:write (write implies read); none of "
        "them beyond the scopes of the key making the request.",
    )
    tier = serializers.ChoiceField(choices=ApiKey.Tier.choices, required=False)
    custom_rate = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text='Custom tier only, e.g. "300/m,5000/h" or "10/15m".',
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class ApiKeyRollInput(serializers.Serializer):
    grace_seconds = serializers.IntegerField(
        min_value=0,
        max_value=MAX_GRACE_SECONDS,
        help_text="How long the old secret keeps working (0 to 7 days).",
    )


class ApiKeyRepresentation(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True)
    limits = serializers.CharField(source="limits_label", read_only=True)

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "prefix",
            "scopes",
            "tier",
            "custom_rate",
            "limits",
            "status",
            "created_at",
            "expires_at",
            "revoked_at",
            "last_used_at",
            "last_used_ip",
            "rolled_from",
        ]


class ApiKeyCreatedRepresentation(ApiKeyRepresentation):
    key = serializers.CharField(
        read_only=True, help_text="The plaintext key: shown in this response only."
    )

    class Meta(ApiKeyRepresentation.Meta):
        fields = [*ApiKeyRepresentation.Meta.fields, "key"]


class AuditEntryRepresentation(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_label")

    class Meta:
        model = ApiKeyAuditEntry
        fields = ["id", "created_at", "actor", "action", "key_prefix", "details"]


class UsageDayRepresentation(serializers.Serializer):
    day = serializers.DateField()
    requests = serializers.IntegerField()
    refused = serializers.IntegerField(help_text="Requests answered 429 for the key's limits.")
