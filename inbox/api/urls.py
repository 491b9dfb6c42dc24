"""Routes of the inbox API under /api/v1/ (no trailing slashes)."""

from django.urls import path

from .views import agents, contacts, conversations, routing, scorecards, tickets, training

app_name = "inbox_api"

urlpatterns = [
    path("conversations", conversations.ConversationListView.as_view(), name="conversations"),
    path(
        "conversations/<int:pk>",
        conversations.ConversationDetailView.as_view(),
        name="conversation-detail",
    ),
    path(
        "conversations/<int:pk>/trace",
        conversations.ConversationTraceView.as_view(),
        name="conversation-trace",
    ),
    path("contacts", contacts.ContactListView.as_view(), name="contacts"),
    path("contacts/<int:pk>", contacts.ContactDetailView.as_view(), name="contact-detail"),
    path("tickets", tickets.TicketListView.as_view(), name="tickets"),
    path("tickets/<int:pk>", tickets.TicketDetailView.as_view(), name="ticket-detail"),
    path("scorecards", scorecards.ScorecardListView.as_view(), name="scorecards"),
    path("scorecards/export", scorecards.ScorecardExportView.as_view(), name="scorecards-export"),
    path("agents", agents.AgentListView.as_view(), name="agents"),
    path("agents/<int:pk>", agents.AgentDetailView.as_view(), name="agent-detail"),
    path("agents/<int:pk>/publish", agents.AgentPublishView.as_view(), name="agent-publish"),
    path("training-attempts", training.TrainingAttemptListView.as_view(), name="training-attempts"),
    path(
        "training-attempts/<int:pk>",
        training.TrainingAttemptDetailView.as_view(),
        name="training-attempt-detail",
    ),
    path(
        "training-attempts/<int:pk>/complete",
        training.TrainingAttemptCompleteView.as_view(),
        name="training-attempt-complete",
    ),
    path("routing-rules", routing.RoutingRuleListView.as_view(), name="routing-rules"),
    path(
        "routing-rules/<int:pk>",
        routing.RoutingRuleDetailView.as_view(),
        name="routing-rule-detail",
    ),
]
