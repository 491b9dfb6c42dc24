from django.urls import path

from . import views

app_name = "agenttools"

urlpatterns = [
    path("", views.ToolListView.as_view(), name="agenttool-list"),
    path("new/", views.ToolCreateView.as_view(), name="agenttool-create"),
    path("import/", views.ToolImportView.as_view(), name="agenttool-import"),
    path("calls/", views.CallLogView.as_view(), name="agenttool-calls"),
    path("agents/", views.AgentListView.as_view(), name="agenttool-agents"),
    path("agents/<int:agent_id>/", views.AgentToolsView.as_view(), name="agenttool-agent"),
    path("<int:tool_id>/", views.ToolDetailView.as_view(), name="agenttool-detail"),
    path("<int:tool_id>/edit/", views.ToolUpdateView.as_view(), name="agenttool-edit"),
    path("<int:tool_id>/delete/", views.ToolDeleteView.as_view(), name="agenttool-delete"),
]
