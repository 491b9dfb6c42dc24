"""Training: a trainee's practice call, started and then completed with a score."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from omniflow.exceptions import Conflict
from webhooks.events import EventType, emit
from workspaces.models import Workspace

from ..models import TrainingAttempt
from ..representations import training_attempt_data


@transaction.atomic
def training_attempt_create(
    *,
    workspace: Workspace,
    trainee: str,
    scenario: str,
    started_at: datetime | None = None,
) -> TrainingAttempt:
    """Start a practice call."""
    return TrainingAttempt.objects.create(
        workspace=workspace,
        trainee=trainee,
        scenario=scenario,
        started_at=started_at or timezone.now(),
    )


@transaction.atomic
def training_attempt_complete(
    *,
    attempt: TrainingAttempt,
    score: float,
    feedback: str = "",
    completed_at: datetime | None = None,
) -> TrainingAttempt:
    """Complete a practice call with its score; emits `training_attempt.completed` once."""
    attempt = TrainingAttempt.objects.select_for_update().get(pk=attempt.pk)
    if attempt.status == TrainingAttempt.Status.COMPLETED:
        raise Conflict("This training attempt is already completed.")
    completed_at = completed_at or timezone.now()
    if completed_at < attempt.started_at:
        message = "A practice call cannot end before it started."
        raise ValidationError({"completed_at": ValidationError(message, code="ends_before_start")})
    attempt.status = TrainingAttempt.Status.COMPLETED
    attempt.score = score
    attempt.feedback = feedback
    attempt.completed_at = completed_at
    attempt.save(update_fields=["status", "score", "feedback", "completed_at"])
    emit(
        workspace=attempt.workspace,
        event_type=EventType.TRAINING_ATTEMPT_COMPLETED,
        resource_id=attempt.pk,
        data=training_attempt_data(attempt),
        previous_attributes={"status": TrainingAttempt.Status.IN_PROGRESS},
    )
    return attempt
