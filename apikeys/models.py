from django.conf import settings
from django.db import models
from django.utils import timezone

from workspaces.models import Workspace


class ApiKey(models.Model):
    """A workspace API key. Only a keyed hash and a display prefix are stored."""

    class Tier(models.TextChoices):
        DEFAULT = "default", "Default (60/min)"
        BURSTABLE = "burstable", "Burstable (120/min, 1000/hour)"
        CUSTOM = "custom", "Custom"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=32, unique=True)
    key_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    tier = models.CharField(max_length=16, choices=Tier.choices, default=Tier.DEFAULT)
    # Only for the custom tier: comma-separated limits such as "300/m,5000/h".
    custom_rate = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_active(self) -> bool:
        return not self.is_revoked and not self.is_expired

    @property
    def status(self) -> str:
        if self.is_revoked:
            return "revoked"
        if self.is_expired:
            return "expired"
        return "active"
