from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from ... import selectors, services
from ...models import Conversation
from ...representations import (
    ConversationRepresentation,
    TraceEntryRepresentation,
    conversation_data,
)
from ..serializers import ConversationCreateInput, ConversationFilters, ConversationUpdateInput
from .base import InboxView, TracePagination, renamed

TAG = ["Conversations"]


class ConversationListView(InboxView):
    """List conversations and ingest transcripts."""

    required_scope = "conversations"

    @extend_schema(
        tags=TAG,
        operation_id="conversations_list",
        summary="List conversations",
        parameters=[ConversationFilters],
        responses=ConversationRepresentation(many=True),
    )
    def get(self, request):
        conversations = selectors.conversations_for_workspace(
            workspace=self.workspace,
            **renamed(
                self.filters(ConversationFilters), contact="contact_id", assignee="assignee_id"
            ),
        )
        return self.page(conversations, ConversationRepresentation)

    @extend_schema(
        tags=TAG,
        operation_id="conversations_ingest",
        summary="Ingest an external transcript",
        description=(
            "Creates the conversation, upserts its contact by external_id or email and adds the "
            "messages with their original timestamps, all in one transaction. Emits "
            "`conversation.created`, then fires routing rules (`automation.triggered`). A "
            "transcript ingested as already resolved emits `conversation.created` only."
        ),
        request=ConversationCreateInput,
        responses={201: ConversationRepresentation},
    )
    def post(self, request):
        conversation = services.conversation_ingest(
            workspace=self.workspace, actor=self.actor, **self.validated(ConversationCreateInput)
        )
        return Response(
            conversation_data(selectors.conversation_with_tags(conversation=conversation)),
            status=status.HTTP_201_CREATED,
        )


class ConversationDetailView(InboxView):
    """Read and update one conversation."""

    required_scope = "conversations"

    def _conversation(self):
        return self.found(selectors.conversations_for_workspace(workspace=self.workspace))

    @extend_schema(
        tags=TAG,
        operation_id="conversations_retrieve",
        summary="Get a conversation",
        responses=ConversationRepresentation,
    )
    def get(self, request, pk):
        return Response(conversation_data(self._conversation()))

    @extend_schema(
        tags=TAG,
        operation_id="conversations_update",
        summary="Update a conversation",
        description=(
            "Change status, priority, subject, assignee, tags (the full new list) or custom "
            "attributes. Resolving emits `conversation.resolved`; every change is traced."
        ),
        request=ConversationUpdateInput,
        responses=ConversationRepresentation,
    )
    def patch(self, request, pk):
        conversation = services.conversation_update(
            conversation=self._conversation(),
            actor=self.actor,
            **self.validated(ConversationUpdateInput, partial=True),
        )
        return Response(
            conversation_data(selectors.conversation_with_tags(conversation=conversation))
        )


class ConversationTraceView(InboxView):
    """Read a conversation's trace."""

    required_scope = "conversations"
    pagination_class = TracePagination

    @extend_schema(
        tags=TAG,
        operation_id="conversations_trace",
        summary="Get a conversation's trace",
        description=(
            "The append-only timeline of the conversation, oldest first: messages, status, "
            "priority, tag and assignment changes, routing rules fired, tickets linked, "
            "scorecards and custom events, each with its time, actor and details."
        ),
        responses=TraceEntryRepresentation(many=True),
    )
    def get(self, request, pk):
        conversation = self.found(Conversation.objects.filter(workspace=self.workspace))
        trace = selectors.conversation_trace(
            workspace=self.workspace, conversation_id=conversation.pk
        )
        return self.page(trace, TraceEntryRepresentation)
