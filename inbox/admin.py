"""Read-only admin of the inbox: changes go through services, which trace and emit them."""

from django.contrib import admin

from omniflow.admin import ReadOnlyAdmin

from .models import (
    Agent,
    AgentVersion,
    Contact,
    Conversation,
    RoutingRule,
    Scorecard,
    Ticket,
    TraceEntry,
    TrainingAttempt,
)


@admin.register(Contact)
class ContactAdmin(ReadOnlyAdmin):
    list_display = ["id", "workspace", "email", "external_id", "name", "updated_at"]
    list_filter = ["workspace"]
    search_fields = ["email", "external_id", "name"]


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdmin):
    list_display = ["id", "workspace", "subject", "channel", "status", "priority", "updated_at"]
    list_filter = ["workspace", "status", "channel", "priority"]
    search_fields = ["subject", "external_id"]


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ["id", "workspace", "subject", "status", "priority", "conversation"]
    list_filter = ["workspace", "status", "priority"]
    search_fields = ["subject"]


@admin.register(Scorecard)
class ScorecardAdmin(ReadOnlyAdmin):
    list_display = ["id", "workspace", "conversation", "grader", "total_score", "created_at"]
    list_filter = ["workspace"]
    search_fields = ["grader"]


@admin.register(Agent)
class AgentAdmin(ReadOnlyAdmin):
    list_display = ["id", "workspace", "name", "status", "published_version", "published_at"]
    list_filter = ["workspace", "status"]


@admin.register(AgentVersion)
class AgentVersionAdmin(ReadOnlyAdmin):
    list_display = ["agent", "number", "published_by", "published_at"]


@admin.register(TrainingAttempt)
class TrainingAttemptAdmin(ReadOnlyAdmin):
    list_display = ["id", "workspace", "trainee", "scenario", "status", "score", "completed_at"]
    list_filter = ["workspace", "status"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(ReadOnlyAdmin):
    list_display = ["id", "workspace", "name", "trigger", "is_active", "position"]
    list_filter = ["workspace", "is_active"]


@admin.register(TraceEntry)
class TraceEntryAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "conversation", "kind", "actor"]
    list_filter = ["kind"]
