"""Routes of the inbound-trigger API under /api/v1/ (no trailing slashes)."""

from django.urls import path

from . import views

app_name = "inbound_api"

urlpatterns = [
    path("inbound-triggers", views.TriggerListView.as_view(), name="inbound-triggers"),
    path(
        "inbound-triggers/<int:pk>",
        views.TriggerDetailView.as_view(),
        name="inbound-trigger-detail",
    ),
    path(
        "inbound-triggers/<int:pk>/regenerate-url",
        views.TriggerRegenerateUrlView.as_view(),
        name="inbound-trigger-regenerate-url",
    ),
    path(
        "inbound-triggers/<int:pk>/receipts",
        views.TriggerReceiptListView.as_view(),
        name="inbound-trigger-receipts",
    ),
    path(
        "inbound-triggers/<int:pk>/dry-run",
        views.TriggerDryRunView.as_view(),
        name="inbound-trigger-dry-run",
    ),
    path("inbound-rule-presets", views.RulePresetListView.as_view(), name="inbound-rule-presets"),
    path(
        "inbound-receipts/<int:pk>/rerun",
        views.ReceiptRerunView.as_view(),
        name="inbound-receipt-rerun",
    ),
]
