"""API of inbound triggers: CRUD and each trigger's receipts (scope `inbound`)."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from omniflow.api.views import WorkspaceAPIView

from .. import selectors, services
from ..event_handling import event_dry_run, receipt_rerun
from ..presets import rule_presets
from .serializers import (
    DryRunInput,
    DryRunRepresentation,
    ReceiptRepresentation,
    RulePresetListRepresentation,
    TriggerInput,
    TriggerRepresentation,
)

TAG = ["Inbound webhooks"]


class InboundView(WorkspaceAPIView):
    required_scope = "inbound"

    def trigger(self):
        return self.found(selectors.triggers_for_workspace(workspace=self.workspace))

    def shown(self, trigger) -> dict:
        return TriggerRepresentation(trigger, context={"request": self.request}).data


class TriggerListView(InboundView):
    """List and create inbound triggers."""

    @extend_schema(
        tags=TAG,
        operation_id="inbound_triggers_list",
        summary="List inbound triggers",
        responses=TriggerRepresentation(many=True),
    )
    def get(self, request):
        return self.page(
            selectors.triggers_for_workspace(workspace=self.workspace),
            TriggerRepresentation,
            context={"request": request},
        )

    @extend_schema(
        tags=TAG,
        operation_id="inbound_triggers_create",
        summary="Create an inbound trigger",
        description="The representation's `url` is where your system POSTs; keep it secret.",
        request=TriggerInput,
        responses={201: TriggerRepresentation},
    )
    def post(self, request):
        trigger = services.trigger_create(
            workspace=self.workspace, created_by=None, **self.validated(TriggerInput)
        )
        return Response(self.shown(trigger), status=status.HTTP_201_CREATED)


class TriggerDetailView(InboundView):
    """Read, update and delete one inbound trigger."""

    @extend_schema(
        tags=TAG,
        operation_id="inbound_triggers_retrieve",
        summary="Get an inbound trigger",
        responses=TriggerRepresentation,
    )
    def get(self, request, pk):
        return Response(self.shown(self.trigger()))

    @extend_schema(
        tags=TAG,
        operation_id="inbound_triggers_update",
        summary="Update an inbound trigger",
        request=TriggerInput,
        responses=TriggerRepresentation,
    )
    def patch(self, request, pk):
        trigger = services.trigger_update(
            trigger=self.trigger(), **self.validated(TriggerInput, partial=True)
        )
        return Response(self.shown(trigger))

    @extend_schema(
        tags=TAG,
        operation_id="inbound_triggers_destroy",
        summary="Delete an inbound trigger",
        responses={204: None},
    )
    def delete(self, request, pk):
        services.trigger_delete(trigger=self.trigger())
        return Response(status=status.HTTP_204_NO_CONTENT)


class TriggerReceiptListView(InboundView):
    """List what a trigger received, newest first."""

    @extend_schema(
        tags=TAG,
        operation_id="inbound_triggers_receipts",
        summary="List a trigger's receipts",
        responses=ReceiptRepresentation(many=True),
    )
    def get(self, request, pk):
        receipts = selectors.receipts_for_trigger(workspace=self.workspace, trigger=self.trigger())
        return self.page(receipts, ReceiptRepresentation)


class TriggerRegenerateUrlView(InboundView):
    """Give a trigger a new URL; the old one answers 404 from then on."""

    @extend_schema(
        tags=TAG,
        operation_id="inbound_triggers_regenerate_url",
        summary="Regenerate an inbound trigger's URL",
        description="The answer carries the new `url`; the old URL answers 404 from now on.",
        request=None,
        responses=TriggerRepresentation,
    )
    def post(self, request, pk):
        trigger = services.trigger_url_regenerate(trigger=self.trigger())
        return Response(self.shown(trigger))


class TriggerDryRunView(InboundView):
    """Tell what a payload would do, changing nothing."""

    @extend_schema(
        tags=TAG,
        operation_id="inbound_triggers_dry_run",
        summary="Dry-run a payload through a trigger",
        description="Runs the trigger's action and rules on `payload` in a transaction that is "
        "rolled back: nothing is written, no event is emitted, no receipt is left.",
        request=DryRunInput,
        responses=DryRunRepresentation,
    )
    def post(self, request, pk):
        serializer = self.checked(DryRunInput(data=request.data))
        handled = event_dry_run(
            trigger=self.trigger(), payload=serializer.validated_data["payload"]
        )
        return Response(
            {
                "http_status": handled.status,
                "error_type": handled.type_,
                "error": handled.detail,
                "errors": handled.errors,
                "result": handled.result,
                "rules": handled.rules,
            }
        )


class ReceiptRerunView(InboundView):
    """Run a receipt's payload through its trigger's current action and rules."""

    @extend_schema(
        tags=TAG,
        operation_id="inbound_receipts_rerun",
        summary="Re-run a receipt",
        description="The answer is the new receipt, linked to the original by `rerun_of`.",
        request=None,
        responses={201: ReceiptRepresentation},
    )
    def post(self, request, pk):
        receipt = self.found(selectors.receipts_for_workspace(workspace=self.workspace))
        handled = receipt_rerun(receipt=receipt)
        return Response(ReceiptRepresentation(handled.receipt).data, status=status.HTTP_201_CREATED)


class RulePresetListView(InboundView):
    """The product page's use cases as rule presets to fill a rule with."""

    @extend_schema(
        tags=TAG,
        operation_id="inbound_rule_presets",
        summary="List rule presets",
        description="Each preset has a `trigger` (settings for the inbound trigger) and a `rule` "
        "(a body for `POST /routing-rules`, with `inbound_trigger` to add): edit, then save.",
        responses=RulePresetListRepresentation,
    )
    def get(self, request):
        return Response({"results": rule_presets()})
