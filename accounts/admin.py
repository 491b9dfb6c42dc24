from django.contrib import admin

from omniflow.admin import ReadOnlyAdmin

from .models import LoginEvent


@admin.register(LoginEvent)
class LoginEventAdmin(ReadOnlyAdmin):
    """The login audit log, read-only: what happened is not edited afterwards."""

    list_display = ("at", "username", "outcome", "ip", "user_agent")
    list_filter = ("outcome",)
    search_fields = ("username", "ip")
    date_hierarchy = "at"
