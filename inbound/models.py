import json
import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from workspaces.models import Workspace

PUBLIC_ID_PREFIX = "trg_"


def _trigger_public_id() -> str:
    return PUBLIC_ID_PREFIX + secrets.token_urlsafe(18)  # 24 characters


class InboundTrigger(models.Model):
    """A signed URL of a workspace; a POSTed JSON of the declared shape runs one action."""

    class Resource(models.TextChoices):
        CONVERSATION = "conversation", "Conversation"
        TICKET = "ticket", "Ticket"
        CONTACT = "contact", "Contact"
        CUSTOM_EVENT = "custom_event", "Custom event"

    class Action(models.TextChoices):
        TAG_CONVERSATION = "tag_conversation", "Tag the conversation"
        ESCALATE_TICKETS = "escalate_tickets", "Escalate the conversation's open tickets"
        CREATE_CONTACT = "create_contact", "Create or update a contact and assign it"
        RECORD_EVENT = "record_event", "Record a custom event on the conversation's trace"
        RUN_RULES = "run_rules", "Only run the trigger's rules"

    class ConversationMatch(models.TextChoices):
        EXTERNAL_ID = "external_id", "External id"
        ID = "id", "Omniflow id"

    public_id = models.CharField(max_length=32, unique=True, default=_trigger_public_id)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    resource = models.CharField(max_length=16, choices=Resource.choices)
    action = models.CharField(max_length=32, choices=Action.choices)
    # The declared JSON shape, a JSON Schema object; payloads that do not match get 422.
    payload_schema = models.JSONField(default=dict, blank=True)
    # Action configuration. Paths are dotted, e.g. "order.conversation_id".
    conversation_match = models.CharField(
        max_length=16, choices=ConversationMatch.choices, default=ConversationMatch.EXTERNAL_ID
    )
    conversation_path = models.CharField(max_length=200, blank=True)
    tags = models.JSONField(default=list, blank=True)
    event_name = models.CharField(max_length=100, blank=True)
    contact_email_path = models.CharField(max_length=200, blank=True)
    contact_external_id_path = models.CharField(max_length=200, blank=True)
    contact_name_path = models.CharField(max_length=200, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Where the sender's own event id is, so its retries are recognised without a header.
    idempotency_path = models.CharField(max_length=200, blank=True)
    enabled = models.BooleanField(default=True)
    # Optional: the sender then signs each body with it (X-Omniflow-Signature). A Fernet token.
    secret = models.CharField(max_length=500, blank=True)
    # Website forms: where a browser's form post is redirected (303) and which origins may
    # fetch() the URL; both are allow-lists the admin writes. A filled honeypot field marks spam.
    redirect_urls = models.JSONField(default=list, blank=True)
    allowed_origins = models.JSONField(default=list, blank=True)
    honeypot_field = models.CharField(max_length=100, blank=True)
    # Part of the URL's signature: bumping it voids every URL handed out before.
    url_version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["workspace", "id"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.public_id})"

    def get_absolute_url(self) -> str:
        return reverse("inbound:trigger-detail", args=[self.pk])

    @property
    def receive_path(self) -> str:
        """Return the path senders POST to (the URL is the credential)."""
        from .signing import url_signature

        return reverse("inbound-receive", args=[self.public_id, url_signature(trigger=self)])

    @property
    def payload_schema_json(self) -> str:
        return json.dumps(self.payload_schema, indent=2)


class InboundReceipt(models.Model):
    """One POST to a trigger: what came in, what was answered and what was done."""

    class Status(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    trigger = models.ForeignKey(InboundTrigger, on_delete=models.CASCADE, related_name="receipts")
    received_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=16, choices=Status.choices)
    http_status = models.PositiveSmallIntegerField()
    error_type = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    payload_excerpt = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)
    # The rules the payload matched and what each changed (or would have, on a dry run).
    rules = models.JSONField(default=list, blank=True)
    # Answered from the idempotency store: the event was already handled, nothing ran again.
    is_replay = models.BooleanField(default=False)
    # A filled honeypot: accepted-looking, nothing ran.
    is_spam = models.BooleanField(default=False)
    # An admin re-ran this receipt's payload: the original.
    rerun_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reruns"
    )
    # The full payload, kept so that the receipt can be re-run (the excerpt is cut at 4 KB).
    payload = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["trigger", "id"]),
            # Retention: the receipts older than the cutoff.
            models.Index(fields=["received_at"], name="inbound_receipt_received_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.trigger_id} {self.status} {self.http_status}"

    @property
    def result_json(self) -> str:
        return json.dumps(self.result, sort_keys=True)
