from django.conf import settings
from django.db import models
from django.utils import timezone


class LoginEvent(models.Model):
    """One attempt to log in to the Settings pages: who, from where, and what came of it."""

    class Outcome(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Wrong username or password"
        THROTTLED = "throttled", "Refused: too many failures"

    at = models.DateTimeField(default=timezone.now)
    # As typed, so attempts on accounts that do not exist are on record too.
    username = models.CharField(max_length=150)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)

    class Meta:
        ordering = ["-id"]
        # The admin's list: an account's or an address's recent attempts.
        indexes = [models.Index(fields=["username", "id"]), models.Index(fields=["ip", "id"])]

    def __str__(self) -> str:
        return f"{self.username} {self.outcome} from {self.ip} at {self.at:%Y-%m-%d %H:%M:%S}"
