"""The inbox domain: contacts, conversations and their trace, tickets, QA, AI agents, training."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from workspaces.models import Workspace


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class Tag(models.Model):
    """A label on conversations and tickets, unique by name in its workspace."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=64)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="uniq_tag_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """A customer, known by email and/or an external system's id."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField(max_length=254, blank=True)
    external_id = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    custom_attributes = models.JSONField(default=dict, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # Blank means "unknown", and many contacts may not know one of the two.
            models.UniqueConstraint(
                fields=["workspace", "email"],
                condition=~Q(email=""),
                name="uniq_contact_email",
            ),
            models.UniqueConstraint(
                fields=["workspace", "external_id"],
                condition=~Q(external_id=""),
                name="uniq_contact_external_id",
            ),
        ]
        indexes = [models.Index(fields=["workspace", "updated_at"])]

    def __str__(self) -> str:
        return self.name or self.email or self.external_id or f"Contact {self.pk}"


class Conversation(models.Model):
    """A support conversation with a contact, on one channel."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        CHAT = "chat", "Chat"
        PHONE = "phone", "Phone"
        SMS = "sms", "SMS"
        SOCIAL = "social", "Social"
        API = "api", "API"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.API)
    subject = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    priority = models.CharField(max_length=16, choices=Priority.choices, default=Priority.NORMAL)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="conversations")
    custom_attributes = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_id"],
                condition=~Q(external_id=""),
                name="uniq_conversation_external_id",
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "status", "id"]),
            models.Index(fields=["workspace", "contact", "id"]),
            models.Index(fields=["workspace", "updated_at"]),
            models.Index(fields=["workspace", "created_at"]),
        ]

    def __str__(self) -> str:
        return self.subject or f"Conversation {self.pk}"


class Message(models.Model):
    """One message of a conversation, stamped with when it was originally sent."""

    class AuthorType(models.TextChoices):
        CONTACT = "contact", "Contact"
        AGENT = "agent", "Agent"
        BOT = "bot", "Bot"
        SYSTEM = "system", "System"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    author_type = models.CharField(max_length=16, choices=AuthorType.choices)
    author_name = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["conversation", "created_at", "id"])]

    def __str__(self) -> str:
        return f"{self.author_type}: {self.body[:40]}"


class Ticket(models.Model):
    """A unit of follow-up work, usually linked to the conversation that raised it."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PENDING = "pending", "Pending"
        ESCALATED = "escalated", "Escalated"
        RESOLVED = "resolved", "Resolved"
        CLOSED = "closed", "Closed"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=500)
    description = models.TextField(blank=True)
    priority = models.CharField(max_length=16, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["workspace", "status", "id"]),
            models.Index(fields=["workspace", "conversation", "id"]),
            models.Index(fields=["workspace", "updated_at"]),
        ]

    def __str__(self) -> str:
        return self.subject


class Scorecard(models.Model):
    """A QA grader's score of a conversation: a total and a score per criterion."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="scorecards"
    )
    grader = models.CharField(max_length=200)
    total_score = models.FloatField()
    criteria = models.JSONField(default=dict, blank=True)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        indexes = [
            # Bulk pulls page by id within a workspace, filtered by time, grader or conversation.
            models.Index(fields=["workspace", "created_at", "id"]),
            models.Index(fields=["workspace", "grader", "id"]),
            models.Index(fields=["workspace", "conversation", "id"]),
        ]

    def __str__(self) -> str:
        return f"{self.grader}: {self.total_score}"


class Agent(models.Model):
    """An AI agent: a draft configuration and the versions published from it."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    configuration = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    published_version = models.PositiveIntegerField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["workspace", "status", "id"])]

    def __str__(self) -> str:
        return self.name


class AgentVersion(models.Model):
    """An immutable published configuration of an agent."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    configuration = models.JSONField(default=dict)
    # The agent tools it may call, as they were when it was published (agenttools.snapshots):
    # editing a tool later does not change what a published version calls. No secrets.
    tools = models.JSONField(default=list, blank=True)
    published_by = models.CharField(max_length=200)
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["agent", "number"]
        constraints = [
            models.UniqueConstraint(fields=["agent", "number"], name="uniq_agent_version"),
        ]

    def __str__(self) -> str:
        return f"{self.agent} v{self.number}"


class TrainingAttempt(models.Model):
    """A trainee's practice call on a scenario, scored once completed."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    trainee = models.CharField(max_length=200)
    scenario = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_PROGRESS)
    score = models.FloatField(null=True, blank=True)
    feedback = models.TextField(blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["workspace", "status", "id"])]

    def __str__(self) -> str:
        return f"{self.trainee} · {self.scenario}"


class RoutingRule(models.Model):
    """Conditions on a new or updated conversation and the actions to take when they hold."""

    class Trigger(models.TextChoices):
        CREATED = "created", "Conversation created"
        UPDATED = "updated", "Conversation updated"
        ANY = "any", "Created or updated"
        # An inbound trigger's accepted POST (optionally only its custom event of one name).
        INBOUND = "inbound", "Inbound webhook event"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.ANY)
    # For trigger=inbound: the inbound trigger whose events fire the rule (null: any of the
    # workspace's), and the custom event name it reacts to (blank: any event).
    inbound_trigger = models.ForeignKey(
        "inbound.InboundTrigger",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="rules",
    )
    event_name = models.CharField(max_length=100, blank=True)
    # Most tickets one firing may change (null: OMNIFLOW_INBOUND_RULE_MAX_TICKETS).
    max_tickets = models.PositiveIntegerField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    conditions = models.JSONField(default=list)
    actions = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["workspace", "is_active", "position"])]

    def __str__(self) -> str:
        return self.name


class TraceEntry(models.Model):
    """One append-only entry of a conversation's timeline: when, who, what."""

    class Kind(models.TextChoices):
        CONVERSATION_CREATED = "conversation_created", "Conversation created"
        MESSAGE = "message", "Message"
        STATUS_CHANGED = "status_changed", "Status changed"
        PRIORITY_CHANGED = "priority_changed", "Priority changed"
        SUBJECT_CHANGED = "subject_changed", "Subject changed"
        TAGS_CHANGED = "tags_changed", "Tags changed"
        ASSIGNEE_CHANGED = "assignee_changed", "Assignee changed"
        ATTRIBUTES_CHANGED = "attributes_changed", "Custom attributes changed"
        RULE_FIRED = "rule_fired", "Routing rule fired"
        TICKET_LINKED = "ticket_linked", "Ticket linked"
        TICKET_STATUS_CHANGED = "ticket_status_changed", "Ticket status changed"
        SCORECARD_CREATED = "scorecard_created", "Scorecard created"
        CUSTOM_EVENT = "custom_event", "Custom event"
        TOOL_CALL = "tool_call", "Agent tool called"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="trace_entries"
    )
    occurred_at = models.DateTimeField(default=timezone.now)
    actor = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["conversation", "occurred_at", "id"])]
        verbose_name_plural = "trace entries"

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.kind} by {self.actor}"

    def save(self, *args, **kwargs):
        # The trace is evidence of what happened; rewriting an entry would falsify it.
        if not self._state.adding:
            raise TypeError("Trace entries are append-only.")
        super().save(*args, **kwargs)
