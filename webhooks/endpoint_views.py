"""Settings → Webhooks: the endpoints (Settings → Deliveries is in delivery_views.py).

Every member may look at endpoints; only admins create, change or delete endpoints or see and
rotate their secrets.
"""

from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.generic import FormView, TemplateView

from omniflow.crypto import SecretUnavailable, decrypt_secret
from workspaces.access import WorkspaceAdminMixin, WorkspaceMemberMixin, WorkspaceObjectMixin
from workspaces.services import user_label
from workspaces.templatetags.timefmt import utc

from . import health, selectors, services
from .charts import attempt_chart
from .delivery_views import annotate_for_display
from .events import CATALOGUE
from .failures import failure_reason
from .forms import EndpointCreateForm, EndpointForm, RotateSecretForm
from .models import WebhookEndpoint
from .signing import mask_secret, secret_rotation_advised
from .try_endpoint import endpoint_send_test_event
from .verifier_snippets import verifier_snippets


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
                max_in_flight=form.cleaned_data["max_in_flight"],
                rate_limit_per_second=form.cleaned_data["rate_limit_per_second"],
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
# The event type last sent as a test: the form keeps it chosen across the reload.
_TEST_TYPE_SESSION_KEY = "webhooks.test_event_type"


def _page_at(endpoint: WebhookEndpoint, anchor: str):
    """Redirect to the endpoint's page scrolled to what the action answered (shown on top)."""
    return redirect(reverse("webhooks:endpoint-detail", args=[endpoint.id]) + f"#{anchor}")


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
            secret = services.endpoint_secret(endpoint=endpoint)
            context["masked_secret"] = mask_secret(secret=secret)
            context["secret_rotation_advised"] = secret_rotation_advised(secret=secret)
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
        chosen = self.request.session.get(_TEST_TYPE_SESSION_KEY)
        context["test_event_type"] = (
            chosen if chosen in CATALOGUE else next(iter(endpoint.event_types), "")
        )
        context.update(_verifier_tabs(self.request, endpoint, context.get("masked_secret", "")))
        test_delivery_id = getattr(self, "test_delivery_id", None)
        if test_delivery_id is not None:
            sent = selectors.test_send_result(endpoint=endpoint, delivery_id=test_delivery_id)
            context["test_sent"] = sent
            if sent is not None:
                context["test_failure"] = failure_reason(
                    error=sent.error, status_code=sent.response_status_code
                )
        recent = list(
            selectors.deliveries_for_log(workspace=self.workspace, endpoint_id=endpoint.id)[
                :RECENT_DELIVERIES
            ]
        )
        annotate_for_display(recent)
        context["recent_deliveries"] = recent
        context["deliveries_url"] = (
            reverse("webhooks:delivery-list") + "?" + urlencode({"endpoint": endpoint.id})
        )
        context["health"] = endpoint_health(endpoint=endpoint, now=timezone.now())
        context["here"] = self.request.get_full_path()
        context.update(_health_context(endpoint))
        return context


RECENT_DELIVERIES = 10
# The endpoint page's health panel: the windows it shows, and how its chart labels the slices.
HEALTH_WINDOWS = {"24h": "%H:%M", "7d": "%a %H:%M"}


def endpoint_health(*, endpoint: WebhookEndpoint, now) -> list[dict]:
    """Return each health window's statistics and attempts chart, for the endpoint page."""
    windows = []
    for window, label_format in HEALTH_WINDOWS.items():
        series = selectors.endpoint_attempt_series(endpoint=endpoint, window=window, now=now)
        windows.append(
            {
                "window": window,
                "stats": selectors.endpoint_stats(
                    endpoint=endpoint, since=now - selectors.STATS_WINDOWS[window]
                ),
                "chart": attempt_chart(series=series, label_format=label_format),
            }
        )
    return windows


def _verifier_tabs(request, endpoint: WebhookEndpoint, masked_secret: str) -> dict:
    """Return the verifiers as tabs, one per language, and the one ?verifier= shows."""
    tabs = [
        {"slug": snippet.language.split()[0].lower(), "snippet": snippet}
        for snippet in verifier_snippets(endpoint_url=endpoint.url, masked_secret=masked_secret)
    ]
    slugs = [tab["slug"] for tab in tabs]
    chosen = request.GET.get("verifier")
    return {"verifier_tabs": tabs, "verifier_tab": chosen if chosen in slugs else "python"}


def _health_context(endpoint: WebhookEndpoint) -> dict:
    return {
        "history": list(selectors.endpoint_history(endpoint=endpoint)[:20]),
        "held_count": selectors.endpoint_held_count(endpoint=endpoint),
        "disable_after": health.duration_text(
            seconds=int(settings.OMNIFLOW_WEBHOOK_DISABLE_AFTER_SECONDS)
        ),
    }


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
            "max_in_flight": endpoint.max_in_flight,
            "rate_limit_per_second": endpoint.rate_limit_per_second,
        }

    def form_valid(self, form):
        try:
            endpoint = services.endpoint_update(
                endpoint=self.get_object(), actor=user_label(self.request.user), **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Saved the endpoint for {endpoint.url}.")
        if endpoint.secret_replaced:
            messages.warning(self.request, services.SECRET_REPLACED_NOTE)
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
        return _page_at(endpoint, "revealed-secret")


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
        return _page_at(endpoint, "revealed-secret")


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
        request.session[_TEST_TYPE_SESSION_KEY] = event_type
        try:
            sent = endpoint_send_test_event(endpoint=endpoint, event_type=event_type)
        except SecretUnavailable:
            messages.error(request, "The secret cannot be decrypted: rotate it, then try again.")
            return redirect("webhooks:endpoint-detail", endpoint_id=endpoint.id)
        request.session[_TEST_SENT_SESSION_KEY] = sent.delivery.id
        return _page_at(endpoint, "test-result")


class EndpointPauseView(EndpointDetailView):
    """Pause the endpoint (a POST from its page): its events are held until it is resumed."""

    admin_only = True
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        endpoint = health.endpoint_pause(endpoint=self.get_object(), actor=user_label(request.user))
        messages.success(
            request, "Paused. Its events are held, not sent or failed, until you resume it."
        )
        return redirect("webhooks:endpoint-detail", endpoint_id=endpoint.id)


class EndpointResumeView(EndpointDetailView):
    """Resume a paused or disabled endpoint (a POST from its page): held events go out."""

    admin_only = True
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        endpoint = health.endpoint_resume(
            endpoint=self.get_object(), actor=user_label(request.user)
        )
        messages.success(request, "Resumed. Its held events are going out now, in order.")
        return redirect("webhooks:endpoint-detail", endpoint_id=endpoint.id)
