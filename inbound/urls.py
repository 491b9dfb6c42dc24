from django.urls import path

from . import views

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
    path("<int:trigger_id>/rules/", views.TriggerRulesView.as_view(), name="trigger-rules"),
    path("<int:trigger_id>/dry-run/", views.TriggerDryRunView.as_view(), name="trigger-dry-run"),
    path(
        "<int:trigger_id>/receipts/<int:receipt_id>/rerun/",
        views.ReceiptRerunView.as_view(),
        name="receipt-rerun",
    ),
]
