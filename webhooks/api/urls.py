from django.urls import path

from . import views

app_name = "webhooks_api"

urlpatterns = [
    path("webhook-endpoints", views.EndpointListView.as_view(), name="webhook-endpoint-list"),
    path(
        "webhook-endpoints/<int:endpoint_id>",
        views.EndpointDetailView.as_view(),
        name="webhook-endpoint-detail",
    ),
    path(
        "webhook-endpoints/<int:endpoint_id>/pause",
        views.EndpointPauseView.as_view(),
        name="webhook-endpoint-pause",
    ),
    path(
        "webhook-endpoints/<int:endpoint_id>/resume",
        views.EndpointResumeView.as_view(),
        name="webhook-endpoint-resume",
    ),
    path(
        "webhook-endpoints/<int:endpoint_id>/history",
        views.EndpointHistoryView.as_view(),
        name="webhook-endpoint-history",
    ),
    path(
        "webhook-endpoints/<int:endpoint_id>/secret",
        views.EndpointSecretView.as_view(),
        name="webhook-endpoint-secret",
    ),
    path(
        "webhook-endpoints/<int:endpoint_id>/rotate-secret",
        views.EndpointRotateSecretView.as_view(),
        name="webhook-endpoint-rotate-secret",
    ),
    path(
        "webhook-endpoints/<int:endpoint_id>/end-secret-overlap",
        views.EndpointEndSecretOverlapView.as_view(),
        name="webhook-endpoint-end-secret-overlap",
    ),
    path(
        "webhook-endpoints/<int:endpoint_id>/test",
        views.EndpointTestEventView.as_view(),
        name="webhook-endpoint-test-event",
    ),
    path(
        "webhook-endpoints/<int:endpoint_id>/stats",
        views.EndpointStatsView.as_view(),
        name="webhook-endpoint-stats",
    ),
    path(
        "webhook-replay-jobs/<int:job_id>",
        views.ReplayJobDetailView.as_view(),
        name="webhook-replay-job-detail",
    ),
    path("webhook-event-types", views.EventTypeListView.as_view(), name="webhook-event-types"),
    path("webhook-deliveries", views.DeliveryListView.as_view(), name="webhook-delivery-list"),
    path(
        "webhook-deliveries/replay",
        views.BulkReplayView.as_view(),
        name="webhook-delivery-bulk-replay",
    ),
    path(
        "webhook-deliveries/<int:delivery_id>",
        views.DeliveryDetailView.as_view(),
        name="webhook-delivery-detail",
    ),
    path(
        "webhook-deliveries/<int:delivery_id>/replay",
        views.DeliveryReplayView.as_view(),
        name="webhook-delivery-replay",
    ),
]
