"""Routes of the agent-tools API under /api/v1/ (no trailing slashes)."""

from django.urls import path

from . import views

app_name = "agenttools_api"

urlpatterns = [
    path("agent-tools", views.ToolListView.as_view(), name="agent-tools"),
    path("agent-tools/import", views.ToolImportView.as_view(), name="agent-tools-import"),
    path("agent-tools/<int:pk>", views.ToolDetailView.as_view(), name="agent-tool-detail"),
    path("agent-tools/<int:pk>/try", views.ToolTryView.as_view(), name="agent-tool-try"),
    path("agent-tool-calls", views.ToolCallListView.as_view(), name="agent-tool-calls"),
    path("agents/<int:pk>/tools", views.AgentToolListView.as_view(), name="agent-tools-of-agent"),
    path("agents/<int:pk>/tool-calls", views.AgentToolCallView.as_view(), name="agent-tool-call"),
]
