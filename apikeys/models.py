from datetime import UTC, datetime

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from omniflow.ratelimits import describe
from workspaces.models import Workspace

from .scopes import ALL_SCOPES
from .tiers import rates_for

# The fields an update may change, in the order the audit log lists them.
UPDATABLE_FIELDS = ("name", "scopes", "tier", "custom_rate", "expires_at")


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
    # Recorded with last_used_at (at most once a minute), from the request's REMOTE_ADDR.
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A rolled key is a new row with the same settings; the old one expires after a grace period.
    rolled_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="rolled_to"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def get_absolute_url(self) -> str:
        return reverse("apikeys:apikey-detail", kwargs={"key_id": self.pk})

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

    @property
    def has_all_scopes(self) -> bool:
        return set(self.scopes) == set(ALL_SCOPES)

    @property
    def limits_label(self) -> str:
        """Return the key's limits for people, e.g. "120/minute, 1000/hour"."""
        return describe(rates_for(tier=self.tier, custom_rate=self.custom_rate))


class ApiKeyAuditEntry(models.Model):
    """One change to a key (who, what, when); the history outlives the key and the actor."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        REVOKED = "revoked", "Revoked"
        ROLLED = "rolled", "Rolled"

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="api_key_audit_entries"
    )
    api_key = models.ForeignKey(
        ApiKey, null=True, on_delete=models.SET_NULL, related_name="audit_entries"
    )
    # Snapshots, so an entry still reads right after the key or the user is deleted.
    key_prefix = models.CharField(max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=254)
    action = models.CharField(max_length=16, choices=Action.choices)
    # For updates: {"field": {"from": old, "to": new}} for each field that changed.
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-created_at"], name="apikey_audit_recent")]
        verbose_name = "API key audit entry"
        verbose_name_plural = "API key audit entries"

    def __str__(self) -> str:
        return f"{self.actor_label} {self.action} {self.key_prefix}…"

    @property
    def summary(self) -> str:
        """Return what changed, for people: "scopes: tickets:read → tickets:write"."""
        if self.action == self.Action.ROLLED:
            return (
                f"new key {self.details.get('new_prefix', '')}…; this one valid until "
                f"{_shown(self.details.get('old_expires_at'))}"
            )
        if self.action != self.Action.UPDATED:
            return self.details.get("name", "")
        # jsonb does not keep key order.
        changed = [field for field in UPDATABLE_FIELDS if field in self.details]
        return "; ".join(
            f"{field.replace('_', ' ')}: {_shown(self.details[field]['from'])} → "
            f"{_shown(self.details[field]['to'])}"
            for field in changed
        )


def _shown(value) -> str:
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        # An ISO time (expiry): shown as every other absolute time is, in UTC.
        return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, list):
        return ", ".join(value) or "none"
    return str(value) if value not in ("", None) else "none"
