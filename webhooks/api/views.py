from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from omniflow.api.idempotency import IdempotentAPIView
from omniflow.api.pagination import StableCursorPagination

from .. import selectors, services
from ..events import CATALOGUE
from ..models import WebhookDelivery
from ..payloads import example_body
from . import serializers as s

ENDPOINTS_TAG = ["Webhook endpoints"]
DELIVERIES_TAG = ["Webhook deliveries"]


def _not_stored(response: Response) -> Response:
    """Mark a response that shows a secret so no browser or proxy cache keeps it."""
    response["Cache-Control"] = "no-store"
    return response


class WebhooksView(IdempotentAPIView):
    required_scope = "webhooks"


class EndpointListView(WebhooksView, GenericAPIView):
    pagination_class = StableCursorPagination

    @extend_schema(
        tags=ENDPOINTS_TAG,
        operation_id="webhook_endpoints_list",
        summary="List webhook endpoints",
        responses=s.EndpointSerializer(many=True),
    )
    def get(self, request):
        endpoints = selectors.endpoints_for_workspace(workspace=request.auth.workspace)
        page = self.paginate_queryset(endpoints)
        return self.get_paginated_response(s.EndpointSerializer(page, many=True).data)

    @extend_schema(
        tags=ENDPOINTS_TAG,
        operation_id="webhook_endpoints_create",
        summary="Create a webhook endpoint",
        description="Without `secret`, one is generated; an empty `secret` means unsigned.",
        request=s.EndpointInputSerializer,
        responses={201: s.EndpointSerializer},
    )
    def post(self, request):
        data = s.EndpointInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = services.endpoint_create(workspace=request.auth.workspace, **data.validated_data)
        return Response(s.EndpointSerializer(endpoint).data, status=status.HTTP_201_CREATED)


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
        responses=s.EndpointSerializer,
    )
    def get(self, request, endpoint_id: int):
        return Response(s.EndpointSerializer(self._endpoint(request, endpoint_id)).data)

    @extend_schema(
        tags=ENDPOINTS_TAG,
        operation_id="webhook_endpoints_update",
        summary="Update a webhook endpoint",
        request=s.EndpointInputSerializer,
        responses=s.EndpointSerializer,
    )
    def patch(self, request, endpoint_id: int):
        endpoint = self._endpoint(request, endpoint_id)
        data = s.EndpointInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        endpoint = services.endpoint_update(endpoint=endpoint, **data.validated_data)
        return Response(s.EndpointSerializer(endpoint).data)

    @extend_schema(
        tags=ENDPOINTS_TAG,
        operation_id="webhook_endpoints_destroy",
        summary="Delete a webhook endpoint",
        responses={204: None},
    )
    def delete(self, request, endpoint_id: int):
        services.endpoint_delete(endpoint=self._endpoint(request, endpoint_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class EndpointSecretView(EndpointView):
    """Reveal the secret: a POST, so it is an explicit act that proxies and logs do not cache."""

    @extend_schema(
        tags=ENDPOINTS_TAG,
        operation_id="webhook_endpoints_secret_reveal",
        summary="Reveal the signing secret",
        request=None,
        responses=s.SecretSerializer,
    )
    def post(self, request, endpoint_id: int):
        endpoint = self._endpoint(request, endpoint_id)
        return _not_stored(Response({"secret": services.endpoint_secret(endpoint=endpoint)}))


class EndpointRotateSecretView(EndpointView):
    @extend_schema(
        tags=ENDPOINTS_TAG,
        operation_id="webhook_endpoints_secret_rotate",
        summary="Rotate the signing secret",
        request=None,
        responses=s.EndpointWithSecretSerializer,
    )
    def post(self, request, endpoint_id: int):
        endpoint = self._endpoint(request, endpoint_id)
        secret = services.endpoint_rotate_secret(endpoint=endpoint)
        # The one response besides a reveal that shows the secret in clear: the new one.
        return _not_stored(Response({**s.EndpointSerializer(endpoint).data, "secret": secret}))


class EventTypeListView(IdempotentAPIView):
    required_scope = None
    scope_not_required = True

    @extend_schema(
        tags=["Webhook event types"],
        operation_id="webhook_event_types_list",
        summary="List the event types",
        auth=[],
        responses=s.EventTypeListSerializer,
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
                    }
                    for event in CATALOGUE.values()
                ]
            }
        )


class DeliveryListView(WebhooksView, GenericAPIView):
    pagination_class = StableCursorPagination

    @extend_schema(
        tags=DELIVERIES_TAG,
        operation_id="webhook_deliveries_list",
        summary="List deliveries",
        parameters=[s.DeliveryFilterSerializer],
        responses=s.DeliverySerializer(many=True),
    )
    def get(self, request):
        filters = s.DeliveryFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        params = dict(filters.validated_data)
        params["endpoint_id"] = params.pop("endpoint", None)
        deliveries = selectors.deliveries_for_log(workspace=request.auth.workspace, **params)
        page = self.paginate_queryset(deliveries)
        return self.get_paginated_response(s.DeliverySerializer(page, many=True).data)


def _delivery(request, delivery_id: int) -> WebhookDelivery:
    try:
        return selectors.delivery_detail(workspace=request.auth.workspace, delivery_id=delivery_id)
    except WebhookDelivery.DoesNotExist as exc:
        raise NotFound("No such delivery.") from exc


class DeliveryDetailView(WebhooksView):
    @extend_schema(
        tags=DELIVERIES_TAG,
        operation_id="webhook_deliveries_retrieve",
        summary="Get a delivery with its attempts",
        responses=s.DeliveryDetailSerializer,
    )
    def get(self, request, delivery_id: int):
        return Response(s.DeliveryDetailSerializer(_delivery(request, delivery_id)).data)


class DeliveryReplayView(WebhooksView):
    @extend_schema(
        tags=DELIVERIES_TAG,
        operation_id="webhook_deliveries_replay",
        summary="Replay a delivery",
        description="A new delivery of the same event, signed afresh with the current secret.",
        request=None,
        responses={202: s.DeliverySerializer},
    )
    def post(self, request, delivery_id: int):
        replay = services.delivery_replay(delivery=_delivery(request, delivery_id))
        replay = selectors.delivery_detail(workspace=request.auth.workspace, delivery_id=replay.id)
        return Response(s.DeliverySerializer(replay).data, status=status.HTTP_202_ACCEPTED)


class BulkReplayView(WebhooksView):
    @extend_schema(
        tags=DELIVERIES_TAG,
        operation_id="webhook_deliveries_replay_failed",
        summary="Replay every failed delivery matching a filter",
        request=s.BulkReplaySerializer,
        responses={202: s.BulkReplayResultSerializer},
    )
    def post(self, request):
        data = s.BulkReplaySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        params = dict(data.validated_data)
        params["endpoint_id"] = params.pop("endpoint", None)
        count = services.deliveries_replay_failed(workspace=request.auth.workspace, **params)
        return Response({"replayed": count}, status=status.HTTP_202_ACCEPTED)
