from django.urls import path

from . import rule_views, views

app_name = "inbound"

urlpatterns = [
    path("", views.TriggerListView.as_view(), name="trigger-list"),
    path("new/", views.TriggerCreateView.as_view(), name="trigger-create"),
    path("<int:trigger_id>/", views.TriggerDetailView.as_view(), name="trigger-detail"),
    path("<int:trigger_id>/edit/", views.TriggerUpdateView.as_view(), name="trigger-edit"),
    path(
        "<int:trigger_id>/regenerate/",
        views.TriggerRegenerateView.as_view(),
        name="trigger-regenerate",
    ),
    path("<int:trigger_id>/delete/", views.TriggerDeleteView.as_view(), name="trigger-delete"),
    path("<int:trigger_id>/rules/", rule_views.TriggerRulesView.as_view(), name="trigger-rules"),
    path(
        "<int:trigger_id>/rules/<int:rule_id>/edit/",
        rule_views.RuleEditView.as_view(),
        name="rule-edit",
    ),
    path(
        "<int:trigger_id>/rules/<int:rule_id>/delete/",
        rule_views.RuleDeleteView.as_view(),
        name="rule-delete",
    ),
    path(
        "<int:trigger_id>/rules/<int:rule_id>/toggle/",
        rule_views.RuleToggleView.as_view(),
        name="rule-toggle",
    ),
    path(
        "<int:trigger_id>/rules/<int:rule_id>/move/",
        rule_views.RuleMoveView.as_view(),
        name="rule-move",
    ),
    path("<int:trigger_id>/dry-run/", views.TriggerDryRunView.as_view(), name="trigger-dry-run"),
    path(
        "<int:trigger_id>/receipts/<int:receipt_id>/rerun/",
        views.ReceiptRerunView.as_view(),
        name="receipt-rerun",
    ),
]
