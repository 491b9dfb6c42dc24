"""Read-only admin of webhooks: changes go through services (signing secrets, audit, leases)."""

from django.contrib import admin

from omniflow.admin import ReadOnlyAdmin

from .models import (
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookEndpoint,
    WebhookEvent,
    WebhookReplayJob,
)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ("url", "workspace", "state", "created_at", "deleted_at")
    list_filter = ("state",)
    search_fields = ("url", "description")
    # The signing secret, even encrypted, has no business on a page.
    exclude = ("secret_encrypted",)


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "event_type", "workspace", "resource_type", "resource_id")
    list_filter = ("event_type",)
    search_fields = ("public_id", "resource_id")


class WebhookDeliveryAttemptInline(admin.TabularInline):
    model = WebhookDeliveryAttempt
    fields = ("created_at", "response_status_code", "duration_ms", "error")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("id", "event_type", "endpoint", "status", "attempt_count", "next_attempt_at")
    list_filter = ("status", "event_type")
    search_fields = ("resource_id",)
    list_select_related = ("endpoint",)
    raw_id_fields = ("event", "endpoint", "replay_of")
    inlines = [WebhookDeliveryAttemptInline]


@admin.register(WebhookReplayJob)
class WebhookReplayJobAdmin(ReadOnlyAdmin):
    list_display = ("id", "workspace", "status", "created_at")
    list_filter = ("status",)
