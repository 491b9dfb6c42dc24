from datetime import datetime

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from omniflow.api.fields import DestinationURLField
from omniflow.crypto import SecretUnavailable, decrypt_secret
from omniflow.exceptions import RULE_ERROR_CODE

from .. import filters
from ..events import CATALOGUE
from ..failures import failure_reason
from ..models import (
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookEndpoint,
    WebhookEndpointHistoryEntry,
    WebhookReplayJob,
)
from ..selectors import DEFAULT_STATS_WINDOW, STATS_WINDOWS
from ..services import MAX_ENDPOINT_LIMIT
from ..signing import (
    STANDARD_SECRET_PATTERN,
    STANDARD_SECRET_RULE,
    mask_secret,
    secret_rotation_advised,
)


class EndpointRepresentation(serializers.ModelSerializer):
    """An endpoint as the API shows it: the secret only masked."""

    secret = serializers.SerializerMethodField()
    secret_created_at = serializers.DateTimeField(
        source="current_secret_since", read_only=True, help_text="When the secret was set."
    )
    previous_secret = serializers.SerializerMethodField(
        help_text="The secret a rotation replaced, masked, while it still signs requests "
        "beside the new one (null otherwise)."
    )
    previous_secret_created_at = serializers.SerializerMethodField()
    previous_secret_expires_at = serializers.SerializerMethodField(
        help_text="When the overlap ends and the previous secret stops signing."
    )
    secret_rotation_advised = serializers.SerializerMethodField(
        help_text="True for a secret not in the `whsec_` + base64 (24-64 bytes) form: it signs "
        "`X-Omniflow-Signature`, but Standard Webhooks libraries cannot check "
        "`webhook-signature` under it. Rotate it (POST …/rotate-secret)."
    )
    state = serializers.ChoiceField(
        choices=WebhookEndpoint.State.choices,
        read_only=True,
        help_text="`active`: events go out. `paused`: paused by an admin (POST …/pause); "
        "`disabled`: disabled by the engine after a 410 Gone or when every attempt failed for "
        "OMNIFLOW_WEBHOOK_DISABLE_AFTER_SECONDS (5 days by default). While paused or disabled, "
        "events are held (status `held`): not sent, not failed, their 24-hour retry window not "
        "running. A disabled endpoint is probed with its oldest held delivery (hourly, the "
        "wait doubling to 24 h) and re-enabled by the first success; POST …/resume re-enables "
        "either at once. Held deliveries then go out in per-resource order.",
    )
    state_reason = serializers.CharField(
        read_only=True, help_text="Why it is paused or disabled; empty while active."
    )
    state_changed_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When the state last changed."
    )
    next_probe_at = serializers.DateTimeField(
        source="probe_at",
        read_only=True,
        allow_null=True,
        help_text="While disabled: when its oldest held delivery is next sent as a probe.",
    )
    enabled = serializers.BooleanField(
        read_only=True, help_text="Whether `state` is `active` (kept for older clients)."
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "event_types",
            "description",
            "state",
            "state_reason",
            "state_changed_at",
            "next_probe_at",
            "enabled",
            "max_in_flight",
            "rate_limit_per_second",
            "secret",
            "secret_created_at",
            "previous_secret",
            "previous_secret_created_at",
            "previous_secret_expires_at",
            "secret_rotation_advised",
            "created_at",
            "updated_at",
        ]

    def get_secret(self, endpoint: WebhookEndpoint) -> str:
        return mask_secret(secret=decrypt_secret(token=endpoint.secret_encrypted))

    def get_secret_rotation_advised(self, endpoint: WebhookEndpoint) -> bool:
        try:
            secret = decrypt_secret(token=endpoint.secret_encrypted)
        except SecretUnavailable:
            return True  # it cannot sign at all: a rotation sets a new one
        return secret_rotation_advised(secret=secret)

    def _overlapping(self, endpoint: WebhookEndpoint) -> bool:
        return endpoint.previous_secret_valid_at(timezone.now())

    def get_previous_secret(self, endpoint: WebhookEndpoint) -> str | None:
        if not self._overlapping(endpoint):
            return None
        return mask_secret(secret=decrypt_secret(token=endpoint.previous_secret_encrypted))

    def get_previous_secret_created_at(self, endpoint: WebhookEndpoint) -> datetime | None:
        return endpoint.previous_secret_created_at if self._overlapping(endpoint) else None

    def get_previous_secret_expires_at(self, endpoint: WebhookEndpoint) -> datetime | None:
        return endpoint.previous_secret_expires_at if self._overlapping(endpoint) else None


class EndpointUpdatedRepresentation(EndpointRepresentation):
    notes = serializers.ListField(
        child=serializers.CharField(),
        help_text="What the change did besides what was asked, e.g. a new secret because the "
        "URL's host changed.",
    )

    class Meta(EndpointRepresentation.Meta):
        fields = [*EndpointRepresentation.Meta.fields, "notes"]


class RotateSecretInput(serializers.Serializer):
    overlap_hours = serializers.IntegerField(
        min_value=0,
        max_value=168,
        default=24,
        help_text="How long the previous secret keeps signing beside the new one "
        "(0 ends it at once; at most 168 hours, 7 days).",
    )


class TestEventInput(serializers.Serializer):
    event_type = serializers.ChoiceField(choices=list(CATALOGUE))


class TestEventResult(serializers.Serializer):
    """What a test event's one request got back, at once; also in the deliveries log."""

    delivery_id = serializers.IntegerField(source="delivery.id")
    event_id = serializers.CharField(source="delivery.event.public_id")
    event_type = serializers.CharField(source="delivery.event_type")
    test = serializers.BooleanField(source="delivery.event.is_test")
    succeeded = serializers.SerializerMethodField()
    status_code = serializers.IntegerField(source="attempt.response_status_code", allow_null=True)
    response_headers = serializers.DictField(
        source="attempt.response_headers", child=serializers.CharField()
    )
    response_body = serializers.CharField(
        source="attempt.response_body", help_text="The first 4 KB of the response body."
    )
    duration_ms = serializers.IntegerField(source="attempt.duration_ms")
    error = serializers.CharField(source="attempt.error")
    request_headers = serializers.DictField(
        source="attempt.request_headers", child=serializers.CharField()
    )
    request_body = serializers.CharField(source="attempt.request_body")

    def get_succeeded(self, sent) -> bool:
        return sent.delivery.status == WebhookDelivery.Status.SUCCEEDED


class EndpointInput(serializers.Serializer):
    url = DestinationURLField(max_length=2000)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=list(CATALOGUE)), allow_empty=False
    )
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    enabled = serializers.BooleanField(
        required=False,
        help_text="False pauses an active endpoint, true resumes a paused or disabled one "
        "(as POST …/pause and …/resume).",
    )
    max_in_flight = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ENDPOINT_LIMIT,
        required=False,
        allow_null=True,
        help_text="At most this many requests in flight to this endpoint at once, across all "
        "workers (null: no ceiling beyond the endpoint's fair share).",
    )
    rate_limit_per_second = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ENDPOINT_LIMIT,
        required=False,
        allow_null=True,
        help_text="At most this many deliveries a second to this endpoint (null: no limit).",
    )
    # Omitted: generate one. Empty string: no secret (requests go unsigned).
    secret = serializers.RegexField(
        regex=f"^$|{STANDARD_SECRET_PATTERN}",
        max_length=200,
        required=False,
        allow_blank=True,
        write_only=True,
        trim_whitespace=False,
        error_messages={"invalid": STANDARD_SECRET_RULE},
        help_text="Left out: one is generated. Empty: requests go unsigned. "
        + STANDARD_SECRET_RULE,
    )


class EndpointHistoryRepresentation(serializers.ModelSerializer):
    """One change of an endpoint's state."""

    class Meta:
        model = WebhookEndpointHistoryEntry
        fields = ["id", "kind", "detail", "actor", "created_at"]


class AttemptRepresentation(serializers.ModelSerializer):
    class Meta:
        model = WebhookDeliveryAttempt
        fields = [
            "id",
            "created_at",
            "request_headers",
            "request_body",
            "response_status_code",
            "response_headers",
            "response_body",
            "duration_ms",
            "error",
        ]


class DeliveryRepresentation(serializers.ModelSerializer):
    """A delivery; `waiting_for` and `replayed_as` come from the context (see the views)."""

    event_id = serializers.CharField(source="event.public_id")
    test = serializers.BooleanField(
        source="event.is_test", help_text="A test event sent on request (Send test event)."
    )
    endpoint = serializers.IntegerField(source="endpoint_id")
    replay_of = serializers.IntegerField(source="replay_of_id", allow_null=True)
    waiting_for = serializers.SerializerMethodField(
        help_text="The older unfinished delivery of the same resource and endpoint this one "
        "is held behind (it goes out once that one succeeded or finally failed)."
    )
    replayed_as = serializers.SerializerMethodField(help_text="The latest replay of this one.")
    failure_reason = serializers.SerializerMethodField(
        help_text="Why the last attempt failed, as a stable code: timeout, dns, tls, "
        "connection_refused, connection_failed, connection_closed, response_too_large, "
        "blocked_address, redirect, rate_limited, client_error, server_error, "
        "endpoint_disabled, secret_unavailable, other."
    )

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "test",
            "event_type",
            "endpoint",
            "resource_type",
            "resource_id",
            "status",
            "attempt_count",
            "first_attempted_at",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "succeeded_at",
            "failed_at",
            "replay_of",
            "created_at",
            "waiting_for",
            "replayed_as",
            "failure_reason",
        ]

    def get_waiting_for(self, delivery: WebhookDelivery) -> int | None:
        return self.context.get("waiting_for", {}).get(delivery.id)

    def get_replayed_as(self, delivery: WebhookDelivery) -> int | None:
        return self.context.get("replayed_as", {}).get(delivery.id)

    def get_failure_reason(self, delivery: WebhookDelivery) -> str | None:
        if delivery.status == WebhookDelivery.Status.SUCCEEDED:
            return None
        reason = failure_reason(error=delivery.last_error, status_code=delivery.last_status_code)
        return reason.code if reason else None


class DeliveryDetailRepresentation(DeliveryRepresentation):
    attempts = AttemptRepresentation(many=True)

    class Meta(DeliveryRepresentation.Meta):
        fields = DeliveryRepresentation.Meta.fields + ["attempts"]


class _DeliveryMatch(serializers.Serializer):
    """Which deliveries: the filters the log and bulk replay share (see webhooks.filters)."""

    endpoint = serializers.IntegerField(required=False, min_value=1)
    event_type = serializers.ChoiceField(choices=filters.EVENT_TYPES, required=False)
    resource_type = serializers.CharField(
        max_length=filters.RESOURCE_TYPE_MAX_LENGTH, required=False
    )
    resource_id = serializers.CharField(max_length=filters.RESOURCE_ID_MAX_LENGTH, required=False)
    created_after = serializers.DateTimeField(required=False)
    created_before = serializers.DateTimeField(required=False)

    def selector_filters(self) -> dict:
        """Return the validated filters as the selectors take them."""
        return filters.selector_filters(self.validated_data)


@extend_schema_field(
    {"type": "string", "maxLength": filters.SEARCH_MAX_LENGTH, "pattern": filters.SEARCH_PATTERN}
)
class SearchField(serializers.CharField):
    """The log's search: its forms are a pattern in the schema, its messages say which failed."""


class DeliveryFilters(_DeliveryMatch):
    status = serializers.ChoiceField(choices=filters.STATUS_CHOICES, required=False)
    search = SearchField(
        max_length=filters.SEARCH_MAX_LENGTH,
        required=False,
        # The pattern is over the text as sent: stripping it first would accept what it refuses.
        trim_whitespace=False,
        help_text=f"Find deliveries by what people quote: {filters.SEARCH_HELP[0].lower()}"
        f"{filters.SEARCH_HELP[1:-1]}; combines with the other filters.",
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        try:
            self._narrowed(attrs)
        except filters.SearchInvalid as error:
            # Two parameters that disagree answer 422; a search of no known form, 400.
            code = RULE_ERROR_CODE if isinstance(error, filters.SearchConflict) else "invalid"
            raise serializers.ValidationError({"search": [str(error)]}, code=code) from error
        return attrs

    def _narrowed(self, attrs: dict) -> dict:
        selected = filters.selector_filters(attrs)
        return filters.with_search(selected, selected.pop("search", None))

    def selector_filters(self) -> dict:
        return self._narrowed(self.validated_data)


class BulkReplayInput(_DeliveryMatch):
    dry_run = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Only count the failed deliveries that would be replayed; replay nothing.",
    )

    def selector_filters(self) -> dict:
        selected = super().selector_filters()
        selected.pop("dry_run")
        return selected


class SecretRepresentation(serializers.Serializer):
    secret = serializers.CharField(help_text="The endpoint's signing secret, in clear.")


class EndpointWithSecretRepresentation(EndpointRepresentation):
    """The answer to a rotation: the endpoint with its new secret in clear, this once."""

    secret = serializers.CharField(help_text="The new signing secret, in clear.")

    class Meta(EndpointRepresentation.Meta):
        ref_name = "WebhookEndpointWithSecret"


class EventTypeRepresentation(serializers.Serializer):
    type = serializers.CharField()
    description = serializers.CharField()
    resource_type = serializers.CharField()
    example = serializers.JSONField(help_text="An example request body of this event type.")
    schema = serializers.JSONField(
        help_text="The JSON Schema (2020-12) of this event type's request bodies, generated "
        "from the serializers that build them."
    )


class EventTypeListRepresentation(serializers.Serializer):
    results = EventTypeRepresentation(many=True)


class BulkReplayDryRunRepresentation(serializers.Serializer):
    count = serializers.IntegerField(help_text="How many failed deliveries a replay would send.")


class ReplayJobRepresentation(serializers.ModelSerializer):
    """A bulk replay running in the background: poll it until `status` is final."""

    class Meta:
        model = WebhookReplayJob
        fields = [
            "id",
            "status",
            "total",
            "done",
            "filters",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]


class EndpointStatsFilters(serializers.Serializer):
    window = serializers.ChoiceField(
        choices=list(STATS_WINDOWS),
        default=DEFAULT_STATS_WINDOW,
        required=False,
        help_text="Deliveries created in this window before now.",
    )


class EndpointLatencyRepresentation(serializers.Serializer):
    p50 = serializers.IntegerField(allow_null=True)
    p95 = serializers.IntegerField(allow_null=True)
    p99 = serializers.IntegerField(allow_null=True)


class EndpointSeriesLatencyRepresentation(serializers.Serializer):
    p50 = serializers.IntegerField(allow_null=True)
    p95 = serializers.IntegerField(allow_null=True)


class EndpointAttemptBucketRepresentation(serializers.Serializer):
    start = serializers.DateTimeField(help_text="Start of the slice; it lasts `bucket_seconds`.")
    attempts = serializers.IntegerField()
    succeeded = serializers.IntegerField(help_text="Attempts answered with a 2xx.")
    failed = serializers.IntegerField(help_text="Attempts with another answer or none.")
    latency_ms = EndpointSeriesLatencyRepresentation(
        help_text="Percentiles of the slice's attempt durations; null without attempts."
    )


class EndpointStatsRepresentation(serializers.Serializer):
    window = serializers.CharField()
    since = serializers.DateTimeField()
    deliveries = serializers.DictField(
        child=serializers.IntegerField(), help_text="Deliveries by status."
    )
    total = serializers.IntegerField()
    success_rate = serializers.FloatField(
        allow_null=True, help_text="succeeded / (succeeded + failed); null when none finished."
    )
    attempts = serializers.IntegerField(help_text="HTTP attempts made in the window.")
    latency_ms = EndpointLatencyRepresentation(help_text="Percentiles of the attempts' durations.")
    bucket_seconds = serializers.IntegerField(help_text="Length of each slice of `series`.")
    series = EndpointAttemptBucketRepresentation(
        many=True,
        help_text="The window's attempts in equal slices, oldest first, empty slices included "
        "(what the endpoint page's chart draws).",
    )
