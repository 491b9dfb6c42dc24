"""Settings → Inbound webhooks: members see triggers and receipts; admins change them."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import FormView, TemplateView

from workspaces.access import WorkspaceAdminMixin, WorkspaceMemberMixin, WorkspaceObjectMixin

from .event_handling import event_dry_run, receipt_rerun
from .forms import (
    EXAMPLE_SCHEMA,
    DryRunForm,
    TriggerForm,
    initial_from_data,
    trigger_initial,
)
from .models import InboundTrigger
from .selectors import (
    receipts_for_trigger,
    receipts_for_workspace,
    trigger_get,
    trigger_sample,
    triggers_for_workspace,
)
from .services import trigger_create, trigger_delete, trigger_update, trigger_url_regenerate

RECENT_RECEIPTS = 25


class TriggerObjectMixin(WorkspaceObjectMixin):
    """Look up the URL's trigger inside the current workspace; another workspace's gives 404."""

    context_object_name = "trigger"
    not_found = "No such trigger."

    def lookup(self) -> InboundTrigger:
        return trigger_get(workspace=self.workspace, trigger_id=self.kwargs["trigger_id"])


class TriggerListView(WorkspaceMemberMixin, TemplateView):
    template_name = "inbound/trigger_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["triggers"] = triggers_for_workspace(workspace=self.workspace)
        return context


class TriggerDetailView(WorkspaceMemberMixin, TriggerObjectMixin, TemplateView):
    template_name = "inbound/trigger_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        trigger = self.get_object()
        if self.membership.is_admin:
            # The URL is a credential: support staff see the trigger, not how to fire it.
            context["url"] = self.request.build_absolute_uri(trigger.receive_path)
            sample = trigger_sample(trigger=trigger)
            context["sample"] = sample
            # Inside single quotes in the shell: a quote is closed, escaped and reopened.
            context["sample_shell"] = sample.body.replace("'", "'\\''")
        context["receipts"] = receipts_for_trigger(workspace=self.workspace, trigger=trigger)[
            :RECENT_RECEIPTS
        ]
        return context


class TriggerFormMixin:
    template_name = "inbound/trigger_form.html"
    form_class = TriggerForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "workspace": self.workspace}

    def save(self, form) -> InboundTrigger:
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        if "show_fields" in request.POST:
            # Without JavaScript, changing the resource is a round trip: redraw the form with
            # that resource's fields and what was typed, save nothing, show no errors yet.
            form = self.form_class(
                initial=initial_from_data(request.POST), workspace=self.workspace
            )
            return self.render_to_response(self.get_context_data(form=form))
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            trigger = self.save(form)
        except ValidationError as error:
            # Field errors of the service land on the form's fields; the input stays.
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Saved “{trigger.name}”.")
        return redirect(trigger)


class TriggerCreateView(WorkspaceAdminMixin, TriggerFormMixin, FormView):
    def get_initial(self):
        return {"payload_schema": EXAMPLE_SCHEMA, "enabled": True}

    def save(self, form) -> InboundTrigger:
        return trigger_create(
            workspace=self.workspace, created_by=self.request.user, **form.cleaned_data
        )


class TriggerUpdateView(WorkspaceAdminMixin, TriggerObjectMixin, TriggerFormMixin, FormView):
    def get_initial(self):
        return trigger_initial(self.get_object())

    def save(self, form) -> InboundTrigger:
        changes = dict(form.cleaned_data)
        if not changes["secret"]:
            # The secret is never shown back, so an empty box keeps the current one.
            changes.pop("secret")
        return trigger_update(trigger=self.get_object(), **changes)


class TriggerRegenerateView(WorkspaceAdminMixin, TriggerObjectMixin, TemplateView):
    template_name = "inbound/trigger_confirm_regenerate.html"

    def post(self, request, *args, **kwargs):
        trigger = trigger_url_regenerate(trigger=self.get_object())
        messages.success(request, "New URL generated. The old one now answers 404.")
        return redirect(trigger)


class TriggerDeleteView(WorkspaceAdminMixin, TriggerObjectMixin, TemplateView):
    template_name = "inbound/trigger_confirm_delete.html"

    def post(self, request, *args, **kwargs):
        trigger = self.get_object()
        trigger_delete(trigger=trigger)
        messages.success(request, f"Deleted “{trigger.name}”. Its URL now answers 404.")
        return redirect("inbound:trigger-list")


class TriggerDryRunView(WorkspaceAdminMixin, TriggerObjectMixin, FormView):
    """ "What would this payload do?": the action and rules run, then are rolled back."""

    template_name = "inbound/trigger_dry_run.html"
    form_class = DryRunForm

    def form_valid(self, form):
        handled = event_dry_run(trigger=self.get_object(), payload=form.cleaned_data["payload"])
        return self.render_to_response(self.get_context_data(form=form, handled=handled))


class ReceiptRerunView(WorkspaceAdminMixin, TriggerObjectMixin, View):
    """Run a receipt's payload through the trigger's current action and rules."""

    def post(self, request, *args, **kwargs):
        trigger = self.get_object()
        receipt = get_object_or_404(
            receipts_for_workspace(workspace=self.workspace).filter(trigger=trigger),
            pk=self.kwargs["receipt_id"],
        )
        try:
            handled = receipt_rerun(receipt=receipt)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(trigger)
        messages.success(
            request,
            f"Re-ran receipt #{receipt.pk} as #{handled.receipt.pk}: answer {handled.status}.",
        )
        return redirect(trigger)
