from django.urls import path

from . import delivery_views, endpoint_views

app_name = "webhooks"

urlpatterns = [
    path("webhooks/", endpoint_views.EndpointListView.as_view(), name="endpoint-list"),
    path("webhooks/new/", endpoint_views.EndpointCreateView.as_view(), name="endpoint-create"),
    path(
        "webhooks/<int:endpoint_id>/",
        endpoint_views.EndpointDetailView.as_view(),
        name="endpoint-detail",
    ),
    path(
        "webhooks/<int:endpoint_id>/edit/",
        endpoint_views.EndpointUpdateView.as_view(),
        name="endpoint-edit",
    ),
    path(
        "webhooks/<int:endpoint_id>/delete/",
        endpoint_views.EndpointDeleteView.as_view(),
        name="endpoint-delete",
    ),
    path(
        "webhooks/<int:endpoint_id>/pause/",
        endpoint_views.EndpointPauseView.as_view(),
        name="endpoint-pause",
    ),
    path(
        "webhooks/<int:endpoint_id>/resume/",
        endpoint_views.EndpointResumeView.as_view(),
        name="endpoint-resume",
    ),
    path(
        "webhooks/<int:endpoint_id>/secret/reveal/",
        endpoint_views.EndpointRevealSecretView.as_view(),
        name="endpoint-reveal-secret",
    ),
    path(
        "webhooks/<int:endpoint_id>/secret/rotate/",
        endpoint_views.EndpointRotateSecretView.as_view(),
        name="endpoint-rotate-secret",
    ),
    path(
        "webhooks/<int:endpoint_id>/test/",
        endpoint_views.EndpointSendTestEventView.as_view(),
        name="endpoint-send-test-event",
    ),
    path(
        "webhooks/<int:endpoint_id>/secret/end-overlap/",
        endpoint_views.EndpointEndSecretOverlapView.as_view(),
        name="endpoint-end-secret-overlap",
    ),
    path("deliveries/", delivery_views.DeliveryListView.as_view(), name="delivery-list"),
    path(
        "deliveries/replay-failed/",
        delivery_views.DeliveryBulkReplayView.as_view(),
        name="delivery-bulk-replay",
    ),
    path(
        "deliveries/replay-jobs/<int:job_id>/",
        delivery_views.ReplayJobDetailView.as_view(),
        name="replay-job-detail",
    ),
    path(
        "deliveries/replay-jobs/<int:job_id>/progress/",
        delivery_views.ReplayJobProgressView.as_view(),
        name="replay-job-progress",
    ),
    path(
        "deliveries/<int:delivery_id>/",
        delivery_views.DeliveryDetailView.as_view(),
        name="delivery-detail",
    ),
    path(
        "deliveries/<int:delivery_id>/replay/",
        delivery_views.DeliveryReplayView.as_view(),
        name="delivery-replay",
    ),
]
