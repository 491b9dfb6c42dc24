"""Settings → Deliveries: the log, one delivery, replays and the background replay jobs.

Every member may look at deliveries and replay them.
"""

import json
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import TemplateView

from workspaces.access import WorkspaceMemberMixin, WorkspaceObjectMixin

from . import replays, selectors
from .failures import failure_reason
from .filters import filters_text
from .forms import DeliveryFilterForm
from .models import WebhookDelivery, WebhookReplayJob

LOG_PAGE_SIZE = 50


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

    def get(self, request, *args, **kwargs):
        context = self.get_context_data(**kwargs)
        # A search that finds exactly one delivery lands on it.
        if context.get("search_hit") is not None:
            return redirect("webhooks:delivery-detail", context["search_hit"].id)
        return self.render_to_response(context)

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
        if (
            form.cleaned_data["search"]
            and len(page.deliveries) == 1
            and not (page.newer_than or page.older_than)
        ):
            context["search_hit"] = page.deliveries[0]
            return context
        filter_data = {name: form.data.get(name, "") for name in form.fields}
        annotate_for_display(page.deliveries)
        context["page"] = page
        context["replay_jobs"] = list(selectors.replay_jobs_active(workspace=self.workspace))
        context["filter_query"] = _query(filter_data)
        if page.newer_than is not None:
            context["newer_url"] = "?" + _query(filter_data, after=page.newer_than)
        if page.older_than is not None:
            context["older_url"] = "?" + _query(filter_data, before=page.older_than)
        context["is_filtered"] = bool(filters)
        # Bulk replay takes failed deliveries only; another status filter would match none.
        # Bulk replay takes no search: a search finds single deliveries, replayed one by one.
        context["can_bulk_replay"] = not form.cleaned_data["search"] and filters.get("status") in (
            None,
            WebhookDelivery.Status.FAILED,
        )
        context["bulk_replay_url"] = (
            reverse("webhooks:delivery-bulk-replay") + "?" + _query({**filter_data, "status": ""})
        )
        context["here"] = self.request.get_full_path()
        return context


def annotate_for_display(deliveries: list[WebhookDelivery]) -> None:
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
        annotate_for_display([delivery])
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
        try:
            replay = replays.delivery_replay(delivery=self.get_object())
        except replays.EndpointDeleted as refused:
            messages.error(request, f"Not replayed. {refused.detail}")
            return HttpResponseRedirect(_safe_next(request, reverse("webhooks:delivery-list")))
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
        filters = form.selector_filters(search=False)
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
            context["filters"] = filters
            context["filters_text"] = filters_text(
                filters, endpoint_urls=dict(form.fields["endpoint"].choices)
            )
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
        try:
            job = replays.replay_job_create(workspace=self.workspace, **self._filters(form))
        except replays.EndpointDeleted as refused:
            messages.error(request, f"Nothing was replayed. {refused.detail}")
            return redirect("webhooks:delivery-list")
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
        endpoints = selectors.endpoints_for_workspace(workspace=self.workspace)
        context["filters_text"] = filters_text(
            job.filters, endpoint_urls={endpoint.id: endpoint.url for endpoint in endpoints}
        )
        context["outcomes"] = selectors.replay_job_outcomes(job=job)
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
