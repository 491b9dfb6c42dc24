"""Settings → Webhooks (endpoints) and Settings → Deliveries (the log, with replay).

Every member may look at endpoints and deliveries and replay deliveries; only admins create,
change or delete endpoints or see and rotate their secrets.
"""

import json
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import FormView, TemplateView

from omniflow.crypto import SecretUnavailable, decrypt_secret
from workspaces.access import WorkspaceAdminMixin, WorkspaceMemberMixin, WorkspaceObjectMixin
from workspaces.templatetags.timefmt import utc

from . import selectors, services
from .events import CATALOGUE
from .failures import failure_reason
from .forms import DeliveryFilterForm, EndpointCreateForm, EndpointForm, RotateSecretForm
from .models import WebhookDelivery, WebhookEndpoint, WebhookReplayJob
from .signing import mask_secret
from .try_endpoint import endpoint_send_test_event
from .verifier_snippets import verifier_snippets

LOG_PAGE_SIZE = 50


class EndpointObjectMixin(WorkspaceObjectMixin):
    """Look up the URL's endpoint inside the current workspace; another workspace's gives 404."""

    context_object_name = "endpoint"
    not_found = "No such endpoint."

    def lookup(self) -> WebhookEndpoint:
        return selectors.endpoint_get(
            workspace=self.workspace, endpoint_id=self.kwargs["endpoint_id"]
        )


class EndpointListView(WorkspaceMemberMixin, TemplateView):
    template_name = "webhooks/endpoint_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        counts = selectors.endpoint_delivery_counts(workspace=self.workspace)
        context["endpoints"] = [
            {"endpoint": endpoint, "counts": counts.get(endpoint.id, {})}
            for endpoint in selectors.endpoints_for_workspace(workspace=self.workspace)
        ]
        return context


class EndpointCreateView(WorkspaceAdminMixin, FormView):
    template_name = "webhooks/endpoint_form.html"
    form_class = EndpointCreateForm

    def form_valid(self, form):
        try:
            endpoint = services.endpoint_create(
                workspace=self.workspace,
                url=form.cleaned_data["url"],
                event_types=form.cleaned_data["event_types"],
                description=form.cleaned_data["description"],
                enabled=form.cleaned_data["enabled"],
                secret=form.secret_for_service(),
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"Created the endpoint for {endpoint.url}. Reveal its secret below to set it up "
            "on your side.",
        )
        return redirect("webhooks:endpoint-detail", endpoint_id=endpoint.id)


# The endpoint whose secret the next GET of its page shows, once (set by Reveal and Rotate):
# POST-redirect-GET, so Back and reload land on the page, not on a POST-only URL. The session
# holds the endpoint's id only, never the secret.
_REVEAL_SESSION_KEY = "webhooks.reveal_secret_of"
# The test delivery whose outcome the next GET of the endpoint page shows (its id only).
_TEST_SENT_SESSION_KEY = "webhooks.test_sent"


class EndpointDetailView(WorkspaceMemberMixin, EndpointObjectMixin, TemplateView):
    template_name = "webhooks/endpoint_detail.html"
    revealed_secret: str | None = None

    def get(self, request, *args, **kwargs):
        endpoint = self.get_object()
        self.test_delivery_id = request.session.pop(_TEST_SENT_SESSION_KEY, None)
        reveal = request.session.pop(_REVEAL_SESSION_KEY, None) == endpoint.id
        if reveal and self.membership.is_admin:
            self.revealed_secret = services.endpoint_secret(endpoint=endpoint)
        response = super().get(request, *args, **kwargs)
        if self.revealed_secret is not None:
            patch_cache_control(response, no_store=True, private=True)
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        endpoint = self.get_object()
        try:
            context["masked_secret"] = mask_secret(
                secret=services.endpoint_secret(endpoint=endpoint)
            )
        except SecretUnavailable:
            context["secret_unavailable"] = True
        context["revealed_secret"] = self.revealed_secret
        if endpoint.previous_secret_valid_at(timezone.now()):
            try:
                context["masked_previous_secret"] = mask_secret(
                    secret=decrypt_secret(token=endpoint.previous_secret_encrypted)
                )
            except SecretUnavailable:
                context["masked_previous_secret"] = "(cannot be decrypted)"
        context["events"] = [CATALOGUE[name] for name in endpoint.event_types if name in CATALOGUE]
        context["test_event_types"] = list(CATALOGUE)
        context["verifiers"] = verifier_snippets(
            endpoint_url=endpoint.url, masked_secret=context.get("masked_secret", "")
        )
        test_delivery_id = getattr(self, "test_delivery_id", None)
        if test_delivery_id is not None:
            context["test_sent"] = selectors.test_send_result(
                endpoint=endpoint, delivery_id=test_delivery_id
            )
        context["counts"] = selectors.endpoint_delivery_counts(workspace=self.workspace).get(
            endpoint.id, {}
        )
        context["deliveries_url"] = (
            reverse("webhooks:delivery-list") + "?" + urlencode({"endpoint": endpoint.id})
        )
        window = self.request.GET.get("window", "")
        window = window if window in selectors.STATS_WINDOWS else selectors.DEFAULT_STATS_WINDOW
        context["stats_window"] = window
        context["stats_windows"] = list(selectors.STATS_WINDOWS)
        context["stats"] = selectors.endpoint_stats(
            endpoint=endpoint, since=timezone.now() - selectors.STATS_WINDOWS[window]
        )
        return context


class EndpointUpdateView(WorkspaceAdminMixin, EndpointObjectMixin, FormView):
    template_name = "webhooks/endpoint_form.html"
    form_class = EndpointForm

    def get_initial(self):
        endpoint = self.get_object()
        return {
            "url": endpoint.url,
            "event_types": endpoint.event_types,
            "description": endpoint.description,
            "enabled": endpoint.enabled,
        }

    def form_valid(self, form):
        try:
            endpoint = services.endpoint_update(endpoint=self.get_object(), **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Saved the endpoint for {endpoint.url}.")
        return redirect("webhooks:endpoint-detail", endpoint_id=endpoint.id)


class EndpointDeleteView(WorkspaceAdminMixin, EndpointObjectMixin, TemplateView):
    template_name = "webhooks/endpoint_confirm_delete.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            retention_days=settings.OMNIFLOW_RETENTION_DAYS,
            failed_retention_days=settings.OMNIFLOW_FAILED_RETENTION_DAYS,
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        endpoint = self.get_object()
        url = endpoint.url
        services.endpoint_delete(endpoint=endpoint)
        messages.success(
            request, f"Deleted the endpoint for {url}; its delivery history stays in the log."
        )
        return redirect("webhooks:endpoint-list")


class EndpointRevealSecretView(EndpointDetailView):
    """Reveal the secret on the next view of the page: a POST, so it is an explicit act."""

    admin_only = True
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        endpoint = self.get_object()
        request.session[_REVEAL_SESSION_KEY] = endpoint.id
        return redirect("webhooks:endpoint-detail", endpoint_id=endpoint.id)


class EndpointRotateSecretView(EndpointDetailView):
    """GET asks for confirmation; POST rotates and shows the new secret on the page, once."""

    admin_only = True
    template_name = "webhooks/endpoint_confirm_rotate.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", RotateSecretForm())
        return context

    def post(self, request, *args, **kwargs):
        endpoint = self.get_object()
        form = RotateSecretForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        hours = form.cleaned_data["overlap_hours"]
        services.endpoint_rotate_secret(endpoint=endpoint, overlap=timedelta(hours=hours))
        if endpoint.previous_secret_expires_at:
            messages.success(
                request,
                "Rotated the secret. Requests are signed with both secrets until "
                f"{utc(endpoint.previous_secret_expires_at)}; switch your side to the new one "
                "before then.",
            )
        else:
            messages.success(
                request, "Rotated the secret. Requests are signed with the new one only now."
            )
        request.session[_REVEAL_SESSION_KEY] = endpoint.id
        return redirect("webhooks:endpoint-detail", endpoint_id=endpoint.id)


class EndpointEndSecretOverlapView(EndpointDetailView):
    """Stop signing with the previous secret now (a POST from the endpoint page)."""

    admin_only = True
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        endpoint = self.get_object()
        services.endpoint_end_secret_overlap(endpoint=endpoint)
        messages.success(request, "The previous secret no longer signs requests.")
        return redirect("webhooks:endpoint-detail", endpoint_id=endpoint.id)


class EndpointSendTestEventView(EndpointDetailView):
    """Send a signed example event now; the page then shows what the endpoint answered."""

    admin_only = True
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        endpoint = self.get_object()
        event_type = request.POST.get("event_type", "")
        if event_type not in CATALOGUE:
            messages.error(request, "Choose an event type to send.")
            return redirect("webhooks:endpoint-detail", endpoint_id=endpoint.id)
        try:
            sent = endpoint_send_test_event(endpoint=endpoint, event_type=event_type)
        except SecretUnavailable:
            messages.error(request, "The secret cannot be decrypted: rotate it, then try again.")
            return redirect("webhooks:endpoint-detail", endpoint_id=endpoint.id)
        request.session[_TEST_SENT_SESSION_KEY] = sent.delivery.id
        return redirect("webhooks:endpoint-detail", endpoint_id=endpoint.id)


def _log_filter_form(view, data) -> DeliveryFilterForm:
    endpoints = list(selectors.endpoints_for_workspace(workspace=view.workspace))
    return DeliveryFilterForm(data, endpoints=endpoints)


def _query(data: dict, **extra) -> str:
    """Return the filters as a query string (blank values dropped)."""
    pairs = {name: value for name, value in data.items() if value not in (None, "")}
    pairs.update(extra)
    return urlencode(pairs)


class DeliveryListView(WorkspaceMemberMixin, TemplateView):
    template_name = "webhooks/delivery_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = _log_filter_form(self, self.request.GET)
        context["form"] = form
        context["endpoint_urls"] = dict(form.fields["endpoint"].choices)
        if not form.is_valid():
            context["page"] = None
            return context
        filters = form.selector_filters()
        page = selectors.deliveries_log_page(
            deliveries=selectors.deliveries_for_log(workspace=self.workspace, **filters),
            before=_int_or_none(self.request.GET.get("before")),
            after=_int_or_none(self.request.GET.get("after")),
            size=LOG_PAGE_SIZE,
        )
        filter_data = {name: form.data.get(name, "") for name in form.fields}
        _annotate_for_display(page.deliveries)
        context["page"] = page
        context["replay_jobs"] = list(selectors.replay_jobs_active(workspace=self.workspace))
        context["filter_query"] = _query(filter_data)
        if page.newer_than is not None:
            context["newer_url"] = "?" + _query(filter_data, after=page.newer_than)
        if page.older_than is not None:
            context["older_url"] = "?" + _query(filter_data, before=page.older_than)
        context["is_filtered"] = bool(filters)
        # Bulk replay takes failed deliveries only; another status filter would match none.
        context["can_bulk_replay"] = filters.get("status") in (None, WebhookDelivery.Status.FAILED)
        context["bulk_replay_url"] = (
            reverse("webhooks:delivery-bulk-replay") + "?" + _query({**filter_data, "status": ""})
        )
        context["here"] = self.request.get_full_path()
        return context


def _annotate_for_display(deliveries: list[WebhookDelivery]) -> None:
    """Attach what a page shows beside each delivery's own fields, in two queries per page."""
    waiting_for = selectors.deliveries_waiting_for(deliveries=deliveries)
    replayed_as = selectors.latest_replays(deliveries=deliveries)
    now = timezone.now()
    for delivery in deliveries:
        delivery.due_now = delivery.next_attempt_at <= now
        delivery.waiting_for_id = waiting_for.get(delivery.id)
        delivery.replayed_as_id = replayed_as.get(delivery.id)
        delivery.failure = (
            None
            if delivery.status == WebhookDelivery.Status.SUCCEEDED
            else failure_reason(error=delivery.last_error, status_code=delivery.last_status_code)
        )


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


class DeliveryObjectMixin(WorkspaceObjectMixin):
    """Look up the URL's delivery inside the current workspace; another workspace's gives 404."""

    not_found = "No such delivery."

    def lookup(self) -> WebhookDelivery:
        return selectors.delivery_get(
            workspace=self.workspace, delivery_id=self.kwargs["delivery_id"]
        )


class DeliveryDetailView(WorkspaceMemberMixin, DeliveryObjectMixin, TemplateView):
    template_name = "webhooks/delivery_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        delivery = self.get_object()
        _annotate_for_display([delivery])
        context["delivery"] = delivery
        context["event_json"] = _pretty_json(delivery.event.body)
        context["attempts"] = [
            {
                "attempt": attempt,
                "failure": failure_reason(
                    error=attempt.error, status_code=attempt.response_status_code
                ),
                "request_headers": json.dumps(attempt.request_headers, indent=2),
                "response_headers": json.dumps(attempt.response_headers, indent=2),
            }
            for attempt in delivery.attempts.all()
        ]
        context["replays"] = list(delivery.replays.order_by("id"))
        context["here"] = self.request.get_full_path()
        return context


def _pretty_json(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def _safe_next(request, fallback: str) -> str:
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return next_url
    return fallback


class DeliveryReplayView(WorkspaceMemberMixin, DeliveryObjectMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        replay = services.delivery_replay(delivery=self.get_object())
        messages.success(
            request,
            f"Replay queued as delivery #{replay.id}: the same event, signed afresh with the "
            "endpoint's current secret.",
        )
        return HttpResponseRedirect(_safe_next(request, reverse("webhooks:delivery-list")))


class DeliveryBulkReplayView(WorkspaceMemberMixin, TemplateView):
    """GET shows how many failed deliveries match the filters; POST replays them."""

    template_name = "webhooks/delivery_confirm_bulk_replay.html"

    def _filters(self, form: DeliveryFilterForm) -> dict:
        filters = form.selector_filters()
        filters.pop("status", None)
        return filters

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = _log_filter_form(self, self.request.GET)
        context["form"] = form
        if form.is_valid():
            filters = self._filters(form)
            context["count"] = selectors.deliveries_to_replay(
                workspace=self.workspace, **filters
            ).count()
            context["endpoint_urls"] = dict(form.fields["endpoint"].choices)
            context["filters"] = filters
            context["log_url"] = (
                reverse("webhooks:delivery-list")
                + "?"
                + _query({name: form.data.get(name, "") for name in form.fields})
            )
        return context

    def post(self, request, *args, **kwargs):
        form = _log_filter_form(self, request.POST)
        if not form.is_valid():
            messages.error(request, "The filters are not valid; nothing was replayed.")
            return redirect("webhooks:delivery-list")
        job = services.replay_job_create(workspace=self.workspace, **self._filters(form))
        messages.success(
            request,
            f"Replaying {job.total} failed deliver{'y' if job.total == 1 else 'ies'} "
            "in the background.",
        )
        query = _query({name: form.data.get(name, "") for name in form.fields if name != "status"})
        return HttpResponseRedirect(
            reverse("webhooks:replay-job-detail", args=[job.id]) + ("?" + query if query else "")
        )


class ReplayJobObjectMixin(WorkspaceObjectMixin):
    """Look up the URL's replay job inside the current workspace; another workspace's gives 404."""

    not_found = "No such replay job."

    def lookup(self) -> WebhookReplayJob:
        return selectors.replay_job_get(workspace=self.workspace, job_id=self.kwargs["job_id"])


class ReplayJobDetailView(WorkspaceMemberMixin, ReplayJobObjectMixin, TemplateView):
    """A bulk replay's progress; a script of ours polls the progress view to move the bar."""

    template_name = "webhooks/replay_job_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        job = self.get_object()
        context["job"] = job
        form = _log_filter_form(self, self.request.GET)
        query = _query(
            {name: form.data.get(name, "") for name in form.fields if form.data.get(name)}
        )
        context["log_url"] = reverse("webhooks:delivery-list") + ("?" + query if query else "")
        return context


class ReplayJobProgressView(WorkspaceMemberMixin, ReplayJobObjectMixin, View):
    """The job's progress as JSON, for the page's progress bar (the API has its own)."""

    http_method_names = ["get"]

    def get(self, request, *args, **kwargs):
        job = self.get_object()
        response = JsonResponse(replay_job_progress(job))
        patch_cache_control(response, no_store=True)
        return response


def replay_job_progress(job: WebhookReplayJob) -> dict:
    """Return what the progress bar shows of a job."""
    return {
        "id": job.id,
        "status": job.status,
        "status_display": job.get_status_display(),
        "total": job.total,
        "done": job.done,
        "percent": job.percent,
        "finished": job.finished,
        "error": job.error,
    }
