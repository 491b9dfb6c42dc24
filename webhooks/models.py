import secrets

from django.db import models

from workspaces.models import Workspace


def _event_public_id() -> str:
    return f"evt_{secrets.token_hex(12)}"


class WebhookEvent(models.Model):
    """Something that happened in a workspace, written in the transaction that caused it."""

    public_id = models.CharField(max_length=32, unique=True, default=_event_public_id)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    event_type = models.CharField(max_length=64)
    resource_type = models.CharField(max_length=32)
    resource_id = models.CharField(max_length=64)
    data = models.JSONField()
    previous_attributes = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["workspace", "resource_type", "resource_id", "id"])]

    def __str__(self) -> str:
        return f"{self.public_id} {self.event_type}"
