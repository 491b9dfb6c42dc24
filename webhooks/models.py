import secrets

from django.db import models
from django.utils import timezone

from workspaces.models import Workspace


def _event_public_id() -> str:
    return f"evt_{secrets.token_hex(12)}"


class WebhookEvent(models.Model):
    """Something that happened in a workspace, written in the transaction that caused it."""

    public_id = models.CharField(max_length=32, unique=True, default=_event_public_id)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    event_type = models.CharField(max_length=64)
    resource_type = models.CharField(max_length=32)
    resource_id = models.CharField(max_length=64)
    data = models.JSONField()
    previous_attributes = models.JSONField(null=True, blank=True)
    # The exact JSON sent to every endpoint, serialised once so retries and replays are
    # byte-identical (and so the signature a consumer checks is over these very bytes).
    body = models.TextField(blank=True, default="")
    # An example sent on request ("Send test event"): its body says `"test": true` too.
    is_test = models.BooleanField(default=False)
    # Not auto_now_add: the body carries created_at and is built before the row is saved.
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["workspace", "resource_type", "resource_id", "id"])]

    def __str__(self) -> str:
        return f"{self.public_id} {self.event_type}"


class WebhookEndpoint(models.Model):
    """A customer URL subscribed to some event types."""

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        # By an admin: its events are held until an admin resumes it; never probed.
        PAUSED = "paused", "Paused"
        # By the engine (410 Gone, or every attempt failed for the disable window): its
        # events are held and the oldest is sent now and then as a probe (webhooks/health.py).
        DISABLED = "disabled", "Disabled"

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=2000)
    event_types = models.JSONField(default=list)
    # Fernet token of the shared secret; empty means requests go unsigned.
    secret_encrypted = models.TextField(blank=True, default="")
    # When the current secret was set (null: when the endpoint was created, before this field).
    secret_created_at = models.DateTimeField(null=True, blank=True)
    # The secret a rotation replaced, still signing alongside the new one until it expires, so
    # consumers can switch to the new one without refusing requests meanwhile (Fernet token).
    previous_secret_encrypted = models.TextField(blank=True, default="")
    previous_secret_created_at = models.DateTimeField(null=True, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    description = models.CharField(max_length=500, blank=True, default="")
    state = models.CharField(max_length=16, choices=State.choices, default=State.ACTIVE)
    # Why the endpoint is paused or disabled, for people; empty while active.
    state_reason = models.CharField(max_length=500, blank=True, default="")
    state_changed_at = models.DateTimeField(null=True, blank=True)
    # Since when every attempt has failed (null: the latest attempt succeeded, or none yet).
    failing_since = models.DateTimeField(null=True, blank=True)
    # While disabled: when the next probe goes out, and the wait after it (doubling to 24 h).
    probe_at = models.DateTimeField(null=True, blank=True)
    probe_interval_seconds = models.PositiveIntegerField(default=0)
    # A hard ceiling on this endpoint's requests in flight, across every worker (None: its
    # fair share of the engine, see webhooks/engine/lanes.py), for a fragile receiver.
    max_in_flight = models.PositiveIntegerField(null=True, blank=True)
    # At most this many deliveries a second to this endpoint, across every worker (None: no
    # limit).
    rate_limit_per_second = models.PositiveIntegerField(null=True, blank=True)
    # Set when the endpoint is deleted: it is gone from the pages and the API, but its
    # deliveries stay in the log (support may still need them) until retention prunes them.
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["workspace", "state"], name="webhook_endpoint_state_idx")]

    def __str__(self) -> str:
        return self.url

    @property
    def enabled(self) -> bool:
        """Tell whether events go out now (the API's `enabled`, kept beside `state`)."""
        return self.state == self.State.ACTIVE and self.deleted_at is None

    @property
    def new_delivery_status(self) -> str:
        """Return the status a new delivery here starts in: held unless the endpoint is active."""
        return WebhookDelivery.Status.PENDING if self.enabled else WebhookDelivery.Status.HELD

    @property
    def has_secret(self) -> bool:
        return bool(self.secret_encrypted)

    @property
    def current_secret_since(self):
        return self.secret_created_at or self.created_at

    def previous_secret_valid_at(self, now) -> bool:
        """Tell whether the rotated-out secret still signs requests at `now`."""
        return bool(
            self.previous_secret_encrypted
            and self.previous_secret_expires_at
            and now < self.previous_secret_expires_at
        )


# Deliveries the engine may claim. A held delivery is unfinished too, but waits for its
# endpoint to be active again: it is in none of the engine's indexes (see HELD).
UNFINISHED_STATUSES = ("pending", "retrying")


class WebhookDelivery(models.Model):
    """One event on its way to one endpoint, with its retry state and lease."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RETRYING = "retrying", "Retrying"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        # Its endpoint is paused or disabled: not sent, not failed, its retry window not
        # running; released (pending, window restarted) when the endpoint is active again.
        HELD = "held", "Held"

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    # Not indexed alone: webhook_delivery_endpoint_idx below leads with it.
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    # Not indexed alone: the log indexes below lead with it. Every index here is written twice
    # per delivery (claim, outcome), so each one costs throughput.
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # Copied from the event so the due query and the per-resource ordering check need no join.
    event_type = models.CharField(max_length=64)
    resource_type = models.CharField(max_length=32)
    resource_id = models.CharField(max_length=64)
    replay_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replays",
        db_index=False,  # see the partial index below
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempt_count = models.PositiveIntegerField(default=0)
    first_attempted_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # The lease: a worker that claimed the delivery owns it until then; after that, anyone may.
    locked_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    succeeded_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [
            # What is due: only unfinished rows, by due time.
            models.Index(
                fields=["next_attempt_at", "id"],
                name="webhook_delivery_due_idx",
                condition=models.Q(status__in=UNFINISHED_STATUSES),
            ),
            # What is due per endpoint: the endpoints with due work and each one's oldest due
            # deliveries (the engine serves endpoints round-robin, see engine/lanes.py).
            models.Index(
                fields=["endpoint", "next_attempt_at", "id"],
                name="webhook_delivery_lane_idx",
                condition=models.Q(status__in=UNFINISHED_STATUSES),
            ),
            # Is there an older unfinished delivery of this (endpoint, resource)?
            models.Index(
                fields=["endpoint", "resource_type", "resource_id", "id"],
                name="webhook_delivery_order_idx",
                condition=models.Q(status__in=UNFINISHED_STATUSES),
            ),
            # The deliveries log, newest first, per workspace.
            models.Index(fields=["workspace", "-id"], name="webhook_delivery_log_idx"),
            # The log filtered by a status other than succeeded. Succeeded deliveries, nearly
            # all of them, are left out: the log index serves that filter, and a delivery that
            # succeeds is then not written into this index a second time.
            models.Index(
                fields=["workspace", "status", "-id"],
                name="webhook_delivery_status_idx",
                condition=~models.Q(status="succeeded"),
            ),
            # One resource's deliveries, newest first: "what did we send about ticket 123?",
            # the log's resource filter and search. Written once, at insert (these columns
            # never change), so claims and outcomes stay HOT updates.
            models.Index(
                fields=["workspace", "resource_type", "resource_id", "-id"],
                name="webhook_delivery_resource_idx",
            ),
            # One endpoint's deliveries, newest first: the log's endpoint filter, which on a
            # rare endpoint would otherwise walk the whole log. It replaces the foreign key's
            # own index (same leading column), so a delivery writes no more index entries.
            models.Index(fields=["endpoint", "-id"], name="webhook_delivery_endpoint_idx"),
            # Retention: the deliveries created before a cutoff. Written once, at insert (the
            # column never changes), so claims and outcomes stay HOT updates.
            models.Index(fields=["created_at"], name="webhook_delivery_created_idx"),
            # An endpoint's held deliveries, oldest first: the probe takes the first, a resume
            # releases them all. Only held rows are in it.
            models.Index(
                fields=["endpoint", "id"],
                name="webhook_delivery_held_idx",
                condition=models.Q(status="held"),
            ),
            # Replays of a delivery; only replays are in it, not every delivery.
            models.Index(
                fields=["replay_of"],
                name="webhook_delivery_replay_idx",
                condition=models.Q(replay_of__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk} ({self.status})"


class WebhookDeliveryAttempt(models.Model):
    """One HTTP request of a delivery and what came back."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    request_headers = models.JSONField(default=dict)
    request_body = models.TextField(blank=True, default="")
    response_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_headers = models.JSONField(default=dict)
    response_body = models.TextField(blank=True, default="")
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"attempt {self.pk} of delivery {self.delivery_id}"


class WebhookReplayJob(models.Model):
    """A bulk replay of failed deliveries, run in the background, with its progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Finished"
        FAILED = "failed", "Failed"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    # The log's filters as the API names them (endpoint_id, event_type, resource_type,
    # resource_id, created_after, created_before), JSON-ready: times as ISO 8601 strings.
    filters = models.JSONField(default=dict, blank=True)
    # Only deliveries up to this id: one that fails after the count was confirmed is not in it.
    up_to_delivery_id = models.BigIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["workspace", "-id"], name="webhook_replay_job_idx")]

    def __str__(self) -> str:
        return f"replay job {self.pk} ({self.status}, {self.done}/{self.total})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.done * 100 // self.total)


class WebhookEndpointHistoryEntry(models.Model):
    """One change of an endpoint's state (paused, resumed, disabled, recovered), for its page."""

    class Kind(models.TextChoices):
        PAUSED = "paused", "Paused"
        RESUMED = "resumed", "Resumed"
        DISABLED = "disabled", "Disabled"
        RECOVERED = "recovered", "Recovered"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="history")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    detail = models.CharField(max_length=500, blank=True, default="")
    # Who: a member's label, an API key's trace label, or "engine".
    actor = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["endpoint", "-id"], name="webhook_endpoint_history_idx")]

    def __str__(self) -> str:
        return f"{self.kind} endpoint {self.endpoint_id} at {self.created_at:%Y-%m-%d %H:%M}"


class SweeperHeartbeat(models.Model):
    """When the engine last looked for due work: one row, read by `/readyz?worker=1`.

    Written by every sweep, and by dispatch runs working through a backlog (when sweeps wait
    behind them) at most once a second per process.
    """

    swept_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"last sweep at {self.swept_at:%Y-%m-%d %H:%M:%S}"
