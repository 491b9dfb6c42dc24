from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from ... import selectors, services
from ...representations import TrainingAttemptRepresentation, training_attempt_data
from ..serializers import (
    TrainingAttemptCompleteInput,
    TrainingAttemptFilters,
    TrainingAttemptInput,
)
from .base import InboxView

TAG = ["Training"]


class TrainingAttemptListView(InboxView):
    """List and start training attempts."""

    required_scope = "training"

    @extend_schema(
        tags=TAG,
        operation_id="training_attempts_list",
        summary="List training attempts",
        parameters=[TrainingAttemptFilters],
        responses=TrainingAttemptRepresentation(many=True),
    )
    def get(self, request):
        attempts = selectors.training_attempts_for_workspace(
            workspace=self.workspace, **self.filters(TrainingAttemptFilters)
        )
        return self.page(attempts, TrainingAttemptRepresentation)

    @extend_schema(
        tags=TAG,
        operation_id="training_attempts_create",
        summary="Start a training attempt",
        request=TrainingAttemptInput,
        responses={201: TrainingAttemptRepresentation},
    )
    def post(self, request):
        attempt = services.training_attempt_create(
            workspace=self.workspace, **self.validated(TrainingAttemptInput)
        )
        return Response(training_attempt_data(attempt), status=status.HTTP_201_CREATED)


class TrainingAttemptDetailView(InboxView):
    """Read one training attempt."""

    required_scope = "training"

    @extend_schema(
        tags=TAG,
        operation_id="training_attempts_retrieve",
        summary="Get a training attempt",
        responses=TrainingAttemptRepresentation,
    )
    def get(self, request, pk):
        attempt = self.found(selectors.training_attempts_for_workspace(workspace=self.workspace))
        return Response(training_attempt_data(attempt))


class TrainingAttemptCompleteView(InboxView):
    """Complete a training attempt with its score."""

    required_scope = "training"

    @extend_schema(
        tags=TAG,
        operation_id="training_attempts_complete",
        summary="Complete a training attempt",
        description="Records the score and emits `training_attempt.completed`; twice is a 409.",
        request=TrainingAttemptCompleteInput,
        responses={200: TrainingAttemptRepresentation},
    )
    def post(self, request, pk):
        attempt = self.found(selectors.training_attempts_for_workspace(workspace=self.workspace))
        attempt = services.training_attempt_complete(
            attempt=attempt, **self.validated(TrainingAttemptCompleteInput)
        )
        return Response(training_attempt_data(attempt))
