"""What every app's Django admin shares (not an app: each app registers its own models)."""

from django.contrib import admin
from django.db import models


class ReadOnlyAdmin(admin.ModelAdmin):
    """Browse and search only: changes go through services, which trace, emit, sign and audit
    them; an edit here would skip all of that."""

    # URL fields are https (Django 6 assumes so too; 5.2 warns until told).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
