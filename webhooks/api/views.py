from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from omniflow.api.pagination import StableCursorPagination

from .. import selectors, services
from ..events import CATALOGUE
from ..models import WebhookDelivery
from ..payloads import example_body
from . import serializers as s


def _service_call(function, **kwargs):
    """Call a service, turning its model validation errors into API validation errors."""
    try:
        return function(**kwargs)
    except DjangoValidationError as exc:
        raise ValidationError(exc.message_dict) from exc


TAG = ["Webhooks"]
SECRET_RESPONSE = inline_serializer("WebhookSecret", {"secret": serializers.CharField()})
REPLAYED_RESPONSE = inline_serializer("WebhookReplayed", {"replayed": serializers.IntegerField()})


def _doc(operation_id: str, summary: str, **kwargs):
    return extend_schema(tags=TAG, operation_id=operation_id, summary=summary, **kwargs)


class WebhooksView(APIView):
    required_scope = "webhooks"


class EndpointListView(WebhooksView, GenericAPIView):
    pagination_class = StableCursorPagination
    serializer_class = s.EndpointSerializer

    @_doc("webhook_endpoints_list", "List webhook endpoints")
    def get(self, request):
        endpoints = selectors.endpoints_for_workspace(workspace=request.auth.workspace)
        page = self.paginate_queryset(endpoints)
        return self.get_paginated_response(s.EndpointSerializer(page, many=True).data)

    @_doc(
        "webhook_endpoints_create",
        "Create a webhook endpoint",
        request=s.EndpointInputSerializer,
        responses={201: s.EndpointSerializer},
    )
    def post(self, request):
        data = s.EndpointInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = _service_call(
            services.endpoint_create, workspace=request.auth.workspace, **data.validated_data
        )
        return Response(s.EndpointSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class EndpointDetailView(WebhooksView):
    def _endpoint(self, request, endpoint_id):
        return get_object_or_404(
            selectors.endpoints_for_workspace(workspace=request.auth.workspace), id=endpoint_id
        )

    @_doc("webhook_endpoints_retrieve", "Show a webhook endpoint", responses=s.EndpointSerializer)
    def get(self, request, endpoint_id: int):
        return Response(s.EndpointSerializer(self._endpoint(request, endpoint_id)).data)

    @_doc(
        "webhook_endpoints_update",
        "Change a webhook endpoint",
        request=s.EndpointInputSerializer(partial=True),
        responses=s.EndpointSerializer,
    )
    def patch(self, request, endpoint_id: int):
        endpoint = self._endpoint(request, endpoint_id)
        data = s.EndpointInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        endpoint = _service_call(services.endpoint_update, endpoint=endpoint, **data.validated_data)
        return Response(s.EndpointSerializer(endpoint).data)

    @_doc(
        "webhook_endpoints_destroy",
        "Delete a webhook endpoint",
        responses={204: OpenApiResponse(description="Deleted.")},
    )
    def delete(self, request, endpoint_id: int):
        services.endpoint_delete(endpoint=self._endpoint(request, endpoint_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class EndpointSecretView(EndpointDetailView):
    """Reveal the secret: a POST, so it is an explicit act that proxies and logs do not cache."""

    # Only POST: the detail view's GET, PATCH and DELETE must not answer on this path.
    http_method_names = ["post", "options"]

    @_doc(
        "webhook_endpoints_secret_reveal",
        "Reveal a webhook endpoint's secret",
        request=None,
        responses=SECRET_RESPONSE,
    )
    def post(self, request, endpoint_id: int):
        endpoint = self._endpoint(request, endpoint_id)
        return Response({"secret": services.endpoint_secret(endpoint=endpoint)})


class EndpointRotateSecretView(EndpointDetailView):
    http_method_names = ["post", "options"]

    @_doc(
        "webhook_endpoints_secret_rotate",
        "Rotate a webhook endpoint's secret",
        request=None,
        responses=s.EndpointSerializer,
    )
    def post(self, request, endpoint_id: int):
        endpoint = self._endpoint(request, endpoint_id)
        secret = services.endpoint_rotate_secret(endpoint=endpoint)
        # The one response besides a reveal that shows the secret in clear: the new one.
        return Response({**s.EndpointSerializer(endpoint).data, "secret": secret})


class EventTypeListView(APIView):
    required_scope = None
    scope_not_required = True

    @_doc(
        "webhook_event_types_list",
        "List the webhook event types",
        responses=inline_serializer(
            "WebhookEventTypes",
            {
                "results": inline_serializer(
                    "WebhookEventType",
                    {
                        "type": serializers.CharField(),
                        "description": serializers.CharField(),
                        "resource_type": serializers.CharField(),
                        "example": serializers.DictField(),
                    },
                    many=True,
                )
            },
        ),
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
    serializer_class = s.DeliverySerializer

    @_doc(
        "webhook_deliveries_list",
        "List webhook deliveries",
        parameters=[s.DeliveryFilterSerializer],
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
    @_doc(
        "webhook_deliveries_retrieve",
        "Show a webhook delivery with its attempts",
        responses=s.DeliveryDetailSerializer,
    )
    def get(self, request, delivery_id: int):
        return Response(s.DeliveryDetailSerializer(_delivery(request, delivery_id)).data)


class DeliveryReplayView(WebhooksView):
    @_doc(
        "webhook_deliveries_replay",
        "Replay a webhook delivery",
        request=None,
        responses={202: s.DeliverySerializer},
    )
    def post(self, request, delivery_id: int):
        replay = services.delivery_replay(delivery=_delivery(request, delivery_id))
        replay = selectors.delivery_detail(workspace=request.auth.workspace, delivery_id=replay.id)
        return Response(s.DeliverySerializer(replay).data, status=status.HTTP_202_ACCEPTED)


class BulkReplayView(WebhooksView):
    @_doc(
        "webhook_deliveries_replay_failed",
        "Replay the failed webhook deliveries matching a filter",
        request=s.BulkReplaySerializer,
        responses={202: REPLAYED_RESPONSE},
    )
    def post(self, request):
        data = s.BulkReplaySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        params = dict(data.validated_data)
        params["endpoint_id"] = params.pop("endpoint", None)
        count = services.deliveries_replay_failed(workspace=request.auth.workspace, **params)
        return Response({"replayed": count}, status=status.HTTP_202_ACCEPTED)
