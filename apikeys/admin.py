"""Read-only admin of API keys: keys are created, rolled and revoked through services only."""

from django.contrib import admin

from omniflow.admin import ReadOnlyAdmin

from .models import ApiKey, ApiKeyAuditEntry


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    list_display = ("name", "prefix", "workspace", "tier", "created_at", "revoked_at")
    list_filter = ("tier",)
    search_fields = ("name", "prefix")
    # The hash of the secret stays out of every page (the prefix identifies a key).
    exclude = ("key_hash",)


@admin.register(ApiKeyAuditEntry)
class ApiKeyAuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("key_prefix", "action", "actor_label", "workspace", "created_at")
    list_filter = ("action",)
    search_fields = ("key_prefix", "actor_label")
