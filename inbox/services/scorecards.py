"""Scorecards: a QA grader's score of a conversation."""

from django.db import transaction

from webhooks.events import EventType, emit
from workspaces.models import Workspace

from ..models import Conversation, Scorecard, TraceEntry
from ..representations import scorecard_data
from .trace import trace_entry_append


@transaction.atomic
def scorecard_create(
    *,
    workspace: Workspace,
    conversation: Conversation,
    grader: str,
    total_score: float,
    actor: str,
    criteria: dict[str, float] | None = None,
    comment: str = "",
) -> Scorecard:
    """Record a score of a conversation, trace it there and emit `scorecard.created`."""
    scorecard = Scorecard.objects.create(
        workspace=workspace,
        conversation=conversation,
        grader=grader,
        total_score=total_score,
        criteria=criteria or {},
        comment=comment,
    )
    trace_entry_append(
        conversation=conversation,
        kind=TraceEntry.Kind.SCORECARD_CREATED,
        actor=actor,
        details={"scorecard_id": scorecard.pk, "grader": grader, "total_score": total_score},
    )
    emit(
        workspace=workspace,
        event_type=EventType.SCORECARD_CREATED,
        resource_id=scorecard.pk,
        data=scorecard_data(scorecard),
    )
    return scorecard
