from django.contrib import admin

from .models import InboundReceipt, InboundTrigger


@admin.register(InboundTrigger)
class InboundTriggerAdmin(admin.ModelAdmin):
    list_display = ("name", "public_id", "workspace", "resource", "action", "enabled")
    list_filter = ("resource", "enabled")
    search_fields = ("name", "public_id")
    exclude = ("secret",)


@admin.register(InboundReceipt)
class InboundReceiptAdmin(admin.ModelAdmin):
    list_display = ("trigger", "received_at", "status", "http_status", "error_type")
    list_filter = ("status",)
    readonly_fields = [field.name for field in InboundReceipt._meta.fields]
