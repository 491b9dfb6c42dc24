from datetime import timedelta

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from omniflow.api.errors import Conflict
from omniflow.api.views import WorkspaceAPIView, query_values
from omniflow.crypto import SecretUnavailable

from .. import health, replays, selectors, services
from ..event_schemas import event_schema
from ..events import CATALOGUE
from ..models import WebhookDelivery, WebhookReplayJob
from ..payloads import example_body
from ..try_endpoint import endpoint_send_test_event
from . import serializers as s

ENDPOINTS_TAG = ["Webhook endpoints"]
DELIVERIES_TAG = ["Webhook deliveries"]
REPLAY_JOBS_TAG = ["Webhook replay jobs"]


def _not_stored(response: Response) -> Response:
    """Mark a response that shows a secret so no browser or proxy cache keeps it."""
    response["Cache-Control"] = "no-store"
    return response


class WebhooksView(WorkspaceAPIView):
    required_scope = "webhooks"


class EndpointListView(WebhooksView):
    """List the workspace's webhook endpoints, or add one."""

    @extend_schema(
        tags=ENDPOINTS_TAG,
        operation_id="webhook_endpoints_list",
        summary="List webhook endpoints",
        responses=s.EndpointRepresentation(many=True),
    )
    def get(self, request):
        endpoints = selectors.endpoints_for_workspace(workspace=self.workspace)
        return self.page(endpoints, s.EndpointRepresentation)

    @extend_schema(
        tags=ENDPOINTS_TAG,
        operation_id="webhook_endpoints_create",
        summary="Create a webhook endpoint",
        description="Without `secret`, one is generated; an empty `secret` means unsigned.",
        request=s.EndpointInput,
        responses={201: s.EndpointRepresentation},
    )
    def post(self, request):
        data = self.checked(s.EndpointInput(data=request.data))
        endpoint = services.endpoint_create(workspace=request.auth.workspace, **data.validated_data)
        return Response(s.EndpointRepresentation(endpoint).data, status=status.HTTP_201_CREATED)


class EndpointView(WebhooksView):
    """Base of the views of one endpoint (only the methods each subclass defines are allowed)."""

    def _endpoint(self, request, endpoint_id):
        return get_object_or_404(
            selectors.endpoints_for_workspace(workspace=request.auth.workspace), id=endpoint_id
        )


class EndpointDetailView(EndpointView):
    @extend_schema(
        tags=ENDPOINTS_TAG,
        operation_id="webhook_endpoints_retrieve",
        summary="Get a webhook endpoint",
        responses=s.EndpointRepresentation,
    )
    def get(self, request, endpoint_id: int):
        return Response(s.EndpointRepresentation(self._endpoint(request, endpoint_id)).data)

    @extend_schema(
        tags=ENDPOINTS_TAG,
        operation_id="webhook_endpoints_update",
        summary="Update a webhook endpoint",
        description="A URL on another host gets a new signing secret unless `secret` is given "
        "too (`notes` says so).",
        request=s.EndpointInput,
        responses=s.EndpointUpdatedRepresentation,
    )
    def patch(self, request, endpoint_id: int):
        endpoint = self._endpoint(request, endpoint_id)
        data = self.checked(s.EndpointInput(data=request.data, partial=True))
        endpoint = services.endpoint_update(
            endpoint=endpoint, actor=self.actor, **data.validated_data
        )
        endpoint.notes = [services.SECRET_REPLACED_NOTE] if endpoint.secret_replaced else []
        return Response(s.EndpointUpdatedRepresentation(endpoint).data)

    @extend_schema(
        tags=ENDPOINTS_TAG,
        operation_id="webhook_endpoints_destroy",
        summary="Delete a webhook endpoint",
        responses={204: None},
    )
    def delete(self, request, endpoint_id: int):
        services.endpoint_delete(endpoint=self._endpoint(request, endpoint_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class EndpointPauseView(EndpointView):
    @extend_schema(
        tags=ENDPOINTS_TAG,
        operation_id="webhook_endpoints_pause",
        summary="Pause a webhook endpoint",
        description="Its events are held (not sent, not failed, their retry window not "
        "running) until it is resumed; a paused endpoint is never probed. Requests already "
        "in flight finish. Pausing a paused endpoint changes nothing. Recorded in its history.",
        request=None,
        responses=s.EndpointRepresentation,
    )
    def post(self, request, endpoint_id: int):
        endpoint = health.endpoint_pause(
            endpoint=self._endpoint(request, endpoint_id), actor=self.actor
        )
        return Response(s.EndpointRepresentation(endpoint).data)


class EndpointResumeView(EndpointView):
    @extend_schema(
        tags=ENDPOINTS_TAG,
        operation_id="webhook_endpoints_resume",
        summary="Resume a paused or disabled webhook endpoint",
        description="Its held deliveries become due now, each with a fresh 24-hour retry "
        "window, and go out in per-resource order. Resuming an active endpoint changes "
        "nothing. Recorded in its history.",
        request=None,
        responses=s.EndpointRepresentation,
    )
    def post(self, request, endpoint_id: int):
        endpoint = health.endpoint_resume(
            endpoint=self._endpoint(request, endpoint_id), actor=self.actor
        )
        return Response(s.EndpointRepresentation(endpoint).data)


class EndpointHistoryView(EndpointView):
    @extend_schema(
        tags=ENDPOINTS_TAG,
        operation_id="webhook_endpoints_history",
        summary="State changes of a webhook endpoint",
        description="Paused, resumed (by whom), disabled (why), recovered; newest first.",
        responses=s.EndpointHistoryRepresentation(many=True),
    )
    def get(self, request, endpoint_id: int):
        endpoint = self._endpoint(request, endpoint_id)
        return self.page(
            selectors.endpoint_history(endpoint=endpoint), s.EndpointHistoryRepresentation
        )


class EndpointSecretView(EndpointView):
    """Reveal the secret: a POST, so it is an explicit act that proxies and logs do not cache."""

    @extend_schema(
        tags=ENDPOINTS_TAG,
        operation_id="webhook_endpoints_secret_reveal",
        summary="Reveal the signing secret",
        request=None,
        responses=s.SecretRepresentation,
    )
    def post(self, request, endpoint_id: int):
        endpoint = self._endpoint(request, endpoint_id)
        return _not_stored(Response({"secret": services.endpoint_secret(endpoint=endpoint)}))


class EndpointRotateSecretView(EndpointView):
    @extend_schema(
        tags=ENDPOINTS_TAG,
        operation_id="webhook_endpoints_secret_rotate",
        summary="Rotate the signing secret",
        description="A new secret signs every request from now on. For `overlap_hours` "
        "(default 24, at most 168) the previous one signs beside it: `webhook-signature` "
        "carries both `v1,` values and `X-Omniflow-Signature-Previous` the previous secret's "
        "body signature, so consumers switch secrets without refusing a request.",
        request=s.RotateSecretInput,
        responses=s.EndpointWithSecretRepresentation,
    )
    def post(self, request, endpoint_id: int):
        endpoint = self._endpoint(request, endpoint_id)
        data = self.checked(s.RotateSecretInput(data=request.data))
        secret = services.endpoint_rotate_secret(
            endpoint=endpoint, overlap=timedelta(hours=data.validated_data["overlap_hours"])
        )
        # The one response besides a reveal that shows the secret in clear: the new one.
        return _not_stored(Response({**s.EndpointRepresentation(endpoint).data, "secret": secret}))


class EndpointEndSecretOverlapView(EndpointView):
    @extend_schema(
        tags=ENDPOINTS_TAG,
        operation_id="webhook_endpoints_secret_overlap_end",
        summary="End the secret rotation's overlap now",
        description="The previous secret stops signing requests at once.",
        request=None,
        responses=s.EndpointRepresentation,
    )
    def post(self, request, endpoint_id: int):
        endpoint = services.endpoint_end_secret_overlap(
            endpoint=self._endpoint(request, endpoint_id)
        )
        return Response(s.EndpointRepresentation(endpoint).data)


class EndpointTestEventView(EndpointView):
    @extend_schema(
        tags=ENDPOINTS_TAG,
        operation_id="webhook_endpoints_test_event",
        summary="Send a test event now",
        description="A signed example of `event_type` goes to the endpoint now, through the "
        'normal transport and address checks, with `"test": true` in its body. It is sent '
        "once (never retried), kept in the deliveries log as a test, and what came back "
        "(status, headers, first 4 KB of the body, latency) is the answer.",
        request=s.TestEventInput,
        responses=s.TestEventResult,
    )
    def post(self, request, endpoint_id: int):
        endpoint = self._endpoint(request, endpoint_id)
        data = self.checked(s.TestEventInput(data=request.data))
        try:
            sent = endpoint_send_test_event(
                endpoint=endpoint, event_type=data.validated_data["event_type"]
            )
        except SecretUnavailable as exc:
            raise Conflict(f"{exc} Rotate the endpoint's secret.") from exc
        return Response(s.TestEventResult(sent).data)


class EventTypeListView(WorkspaceAPIView):
    """The public event catalogue: the one API view with neither key nor workspace."""

    required_scope = None
    scope_not_required = True

    @extend_schema(
        tags=["Webhook event types"],
        operation_id="webhook_event_types_list",
        summary="List the event types",
        auth=[],
        responses=s.EventTypeListRepresentation,
    )
    def get(self, request):
        return Response(
            {
                "results": [
                    {
                        "type": event.name,
                        "description": event.description,
                        "resource_type": event.resource_type,
                        "example": example_body(event_type=event.name),
                        "schema": event_schema(event_type=event.name),
                    }
                    for event in CATALOGUE.values()
                ]
            }
        )


class DeliveryListView(WebhooksView):
    """The deliveries log, newest first, filtered."""

    # A search naming another value than a filter gives is a 422 (documented by ApiAutoSchema).
    query_rules_unstated = True

    @extend_schema(
        tags=DELIVERIES_TAG,
        operation_id="webhook_deliveries_list",
        summary="List deliveries",
        parameters=[s.DeliveryFilters],
        responses=s.DeliveryRepresentation(many=True),
    )
    def get(self, request):
        filters = s.DeliveryFilters(data=query_values(request.query_params))
        filters.is_valid(raise_exception=True)
        deliveries = selectors.deliveries_for_log(
            workspace=self.workspace, **filters.selector_filters()
        )
        return self.page(deliveries, s.DeliveryRepresentation, context=_display_context)


def _display_context(deliveries: list[WebhookDelivery]) -> dict:
    """Return the serializer context of what deliveries wait for and were replayed as."""
    return {
        "waiting_for": selectors.deliveries_waiting_for(deliveries=deliveries),
        "replayed_as": selectors.latest_replays(deliveries=deliveries),
    }


def _delivery(request, delivery_id: int) -> WebhookDelivery:
    try:
        return selectors.delivery_get(workspace=request.auth.workspace, delivery_id=delivery_id)
    except WebhookDelivery.DoesNotExist as exc:
        raise NotFound("No such delivery.") from exc


class DeliveryDetailView(WebhooksView):
    """One delivery with every attempt: request, response, duration, error."""

    @extend_schema(
        tags=DELIVERIES_TAG,
        operation_id="webhook_deliveries_retrieve",
        summary="Get a delivery with its attempts",
        responses=s.DeliveryDetailRepresentation,
    )
    def get(self, request, delivery_id: int):
        delivery = _delivery(request, delivery_id)
        context = _display_context([delivery])
        return Response(s.DeliveryDetailRepresentation(delivery, context=context).data)


class DeliveryReplayView(WebhooksView):
    @extend_schema(
        tags=DELIVERIES_TAG,
        operation_id="webhook_deliveries_replay",
        summary="Replay a delivery",
        description="A new delivery of the same event, signed afresh with the current secret. "
        "A delivery of a deleted endpoint is refused: 409 `endpoint_deleted`.",
        request=None,
        responses={202: s.DeliveryRepresentation},
    )
    def post(self, request, delivery_id: int):
        replay = replays.delivery_replay(delivery=_delivery(request, delivery_id))
        replay = selectors.delivery_get(workspace=request.auth.workspace, delivery_id=replay.id)
        context = _display_context([replay])
        return Response(
            s.DeliveryRepresentation(replay, context=context).data, status=status.HTTP_202_ACCEPTED
        )


class BulkReplayView(WebhooksView):
    @extend_schema(
        tags=DELIVERIES_TAG,
        operation_id="webhook_deliveries_replay_failed",
        summary="Replay every failed delivery matching a filter",
        description="Failed deliveries not replayed yet are replayed by a background job: "
        "the answer is the job, to poll at `/webhook-replay-jobs/{id}`. With `dry_run`, only "
        "their count is returned and nothing is replayed. Deleted endpoints' deliveries are "
        "never replayed; naming a deleted `endpoint` answers 409 `endpoint_deleted`.",
        request=s.BulkReplayInput,
        responses={200: s.BulkReplayDryRunRepresentation, 202: s.ReplayJobRepresentation},
    )
    def post(self, request):
        data = self.checked(s.BulkReplayInput(data=request.data))
        params = data.selector_filters()
        workspace = self.workspace
        if data.validated_data["dry_run"]:
            replays.endpoint_replayable_or_refuse(endpoint_id=params.get("endpoint_id"))
            count = selectors.deliveries_to_replay(workspace=workspace, **params).count()
            return Response({"count": count})
        job = replays.replay_job_create(workspace=workspace, **params)
        return Response(s.ReplayJobRepresentation(job).data, status=status.HTTP_202_ACCEPTED)


class ReplayJobDetailView(WebhooksView):
    """A bulk replay job and its progress."""

    @extend_schema(
        tags=REPLAY_JOBS_TAG,
        operation_id="webhook_replay_jobs_retrieve",
        summary="Get a bulk replay job's progress",
        responses=s.ReplayJobRepresentation,
    )
    def get(self, request, job_id: int):
        try:
            job = selectors.replay_job_get(workspace=request.auth.workspace, job_id=job_id)
        except WebhookReplayJob.DoesNotExist as exc:
            raise NotFound("No such replay job.") from exc
        return Response(s.ReplayJobRepresentation(job).data)


class EndpointStatsView(EndpointView):
    @extend_schema(
        tags=ENDPOINTS_TAG,
        operation_id="webhook_endpoints_stats",
        summary="Delivery statistics of an endpoint",
        description="Success rate of the deliveries created in the window, p50/p95/p99 latency "
        "and the number of HTTP attempts, and the attempts in equal slices (`series`: one per 5 "
        "minutes over `1h`, per hour over `24h`, per 6 hours over `7d`, per day over `30d`), "
        "as the endpoint's Settings page charts them.",
        parameters=[s.EndpointStatsFilters],
        responses=s.EndpointStatsRepresentation,
    )
    def get(self, request, endpoint_id: int):
        query = s.EndpointStatsFilters(data=query_values(request.query_params))
        query.is_valid(raise_exception=True)
        window = query.validated_data["window"]
        endpoint = self._endpoint(request, endpoint_id)
        now = timezone.now()
        stats = selectors.endpoint_stats(
            endpoint=endpoint, since=now - selectors.STATS_WINDOWS[window]
        )
        series = selectors.endpoint_attempt_series(endpoint=endpoint, window=window, now=now)
        return Response(
            s.EndpointStatsRepresentation(
                {
                    "window": window,
                    **vars(stats),
                    "bucket_seconds": selectors.BUCKET_SECONDS[window],
                    "series": series,
                }
            ).data
        )
