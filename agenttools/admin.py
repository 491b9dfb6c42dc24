from django.contrib import admin

from .models import AgentTool, AgentToolGrant, ToolCall


@admin.register(AgentTool)
class AgentToolAdmin(admin.ModelAdmin):
    list_display = ("name", "workspace", "method", "url_template", "auth", "version", "enabled")
    list_filter = ("method", "auth", "enabled")
    search_fields = ("name", "url_template")
    exclude = ("secret",)


@admin.register(AgentToolGrant)
class AgentToolGrantAdmin(admin.ModelAdmin):
    list_display = ("agent", "tool", "workspace", "created_at")


@admin.register(ToolCall)
class ToolCallAdmin(admin.ModelAdmin):
    list_display = ("tool_name", "tool_version", "source", "outcome", "http_status", "created_at")
    list_filter = ("outcome", "source")
    readonly_fields = [field.name for field in ToolCall._meta.fields]
