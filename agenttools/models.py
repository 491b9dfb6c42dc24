import json

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from inbox.models import Agent, Conversation
from workspaces.models import Workspace

DEFAULT_TIMEOUT_SECONDS = 5.0
# Tool calls run inside a web request: a third of gunicorn's worker timeout (gunicorn.conf.py).
MAX_TIMEOUT_SECONDS = 10.0
DEFAULT_MAX_RESPONSE_BYTES = 16_384
MAX_RESPONSE_BYTES = 1_048_576
DEFAULT_RATE_LIMIT = "60/m"
DEFAULT_MAX_CONCURRENCY = 4


class AgentTool(models.Model):
    """An HTTP call into a customer's own API that AI agents of the workspace may make."""

    class Method(models.TextChoices):
        GET = "GET", "GET"
        POST = "POST", "POST"
        PUT = "PUT", "PUT"
        PATCH = "PATCH", "PATCH"
        DELETE = "DELETE", "DELETE"

    class Auth(models.TextChoices):
        NONE = "none", "None"
        BEARER = "bearer", "Bearer token"
        HEADER = "header", "Secret in a header"
        SIGNATURE = "signature", "Omniflow signature (X-Omniflow-Signature)"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    # The function name the model calls it by: letters, digits, _ and -, as every runtime takes.
    name = models.CharField(max_length=64)
    description = models.TextField(blank=True)
    # A JSON Schema object of the arguments; calls whose arguments do not match send nothing.
    input_schema = models.JSONField(default=dict)
    method = models.CharField(max_length=8, choices=Method.choices, default=Method.GET)
    # e.g. https://api.example.com/orders/{order_id}: placeholders are filled from arguments.
    url_template = models.CharField(max_length=2000)
    query_arguments = models.JSONField(default=list, blank=True)
    body_arguments = models.JSONField(default=list, blank=True)
    # When set, this argument's value is the whole JSON body (e.g. an array body).
    body_argument = models.CharField(max_length=64, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    auth = models.CharField(max_length=16, choices=Auth.choices, default=Auth.NONE)
    auth_header_name = models.CharField(max_length=100, blank=True)
    # The bearer token, header value or signing secret, as a Fernet token (omniflow.crypto).
    secret = models.CharField(max_length=1000, blank=True)
    timeout_seconds = models.FloatField(default=DEFAULT_TIMEOUT_SECONDS)
    max_response_bytes = models.PositiveIntegerField(default=DEFAULT_MAX_RESPONSE_BYTES)
    # Protect the customer's API: calls per window and calls in flight, across all processes.
    rate_limit = models.CharField(max_length=20, default=DEFAULT_RATE_LIMIT)
    max_concurrency = models.PositiveSmallIntegerField(default=DEFAULT_MAX_CONCURRENCY)
    enabled = models.BooleanField(default=True)
    # Bumped by every change, and recorded with each call and each agent version's snapshot.
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="uniq_agent_tool_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("agenttools:agenttool-detail", args=[self.pk])

    @property
    def input_schema_json(self) -> str:
        return json.dumps(self.input_schema, indent=2)


class AgentToolGrant(models.Model):
    """A tool an agent's draft may call; publishing snapshots the granted tools."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="tool_grants")
    tool = models.ForeignKey(AgentTool, on_delete=models.CASCADE, related_name="grants")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["tool__name"]
        constraints = [
            models.UniqueConstraint(fields=["agent", "tool"], name="uniq_agent_tool_grant"),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} → {self.tool_id}"


class ToolCall(models.Model):
    """One call of a tool, by an agent or a "Try it": what was sent and what came back."""

    class Outcome(models.TextChoices):
        OK = "ok", "OK"
        HTTP_ERROR = "http_error", "Non-2xx answer"
        TIMEOUT = "timeout", "Timed out"
        REFUSED = "refused", "Refused destination"
        CONNECTION_ERROR = "connection_error", "Connection failed"
        INVALID_ARGUMENTS = "invalid_arguments", "Invalid arguments"
        RATE_LIMITED = "rate_limited", "Rate limited"
        CONCURRENCY_LIMITED = "concurrency_limited", "Too many calls in flight"
        TOOL_UNAVAILABLE = "tool_unavailable", "Tool disabled or deleted"

    class Source(models.TextChoices):
        AGENT = "agent", "Agent"
        TRY_IT = "try_it", "Try it"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    tool = models.ForeignKey(
        AgentTool, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    tool_name = models.CharField(max_length=64)
    tool_version = models.PositiveIntegerField()
    agent = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    agent_version = models.PositiveIntegerField(null=True, blank=True)
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=16, choices=Source.choices)
    arguments = models.JSONField(default=dict, blank=True)
    # The request as sent, secrets masked: method, url, headers, body.
    request = models.JSONField(default=dict, blank=True)
    outcome = models.CharField(max_length=32, choices=Outcome.choices)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.TextField(blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        indexes = [
            # The call log: a workspace's newest calls, optionally of one tool or outcome.
            models.Index(fields=["workspace", "id"]),
            models.Index(fields=["tool", "id"]),
        ]

    def __str__(self) -> str:
        return f"{self.tool_name} {self.outcome}"

    @property
    def arguments_json(self) -> str:
        return json.dumps(self.arguments, indent=2, sort_keys=True)

    @property
    def request_json(self) -> str:
        return json.dumps(self.request, indent=2)
