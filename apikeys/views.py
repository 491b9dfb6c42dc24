"""Settings → API Keys: list, create and roll (the key is shown once), edit, revoke, and each
key's page with its usage and audit trail. Admins only."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.cache import patch_cache_control
from django.views.generic import FormView, TemplateView

from omniflow.crypto import decrypt_secret, encrypt_secret
from workspaces.access import WorkspaceAdminMixin, WorkspaceObjectMixin

from .forms import ApiKeyForm, ApiKeyRollForm
from .grants import Grantor
from .models import ApiKey
from .selectors import (
    api_key_audit_for_key,
    api_key_audit_recent,
    api_key_get,
    api_keys_for_workspace,
)
from .services import api_key_create, api_key_revoke, api_key_roll, api_key_update
from .usage import api_key_usage_by_day

# Session entry holding a new key's plaintext (encrypted) from the POST that made it until the
# one GET that shows it: POST-redirect-GET, so a reload neither repeats the POST nor shows the
# key again.
_NEW_KEYS_SESSION_KEY = "apikeys.new_plaintexts"


def _stash_plaintext(request, *, api_key: ApiKey, plaintext: str) -> None:
    stash = request.session.get(_NEW_KEYS_SESSION_KEY, {})
    stash[str(api_key.pk)] = encrypt_secret(secret=plaintext)
    request.session[_NEW_KEYS_SESSION_KEY] = stash


def _pop_plaintext(request, *, api_key: ApiKey) -> str | None:
    stash = request.session.get(_NEW_KEYS_SESSION_KEY, {})
    token = stash.pop(str(api_key.pk), None)
    request.session[_NEW_KEYS_SESSION_KEY] = stash
    return decrypt_secret(token=token) if token else None


class ApiKeyObjectMixin(WorkspaceObjectMixin):
    """Look up the URL's key inside the current workspace; another workspace's gives 404."""

    context_object_name = "api_key"
    not_found = "No such API key."

    def lookup(self) -> ApiKey:
        return api_key_get(workspace=self.workspace, key_id=self.kwargs["key_id"])


class ApiKeyListView(WorkspaceAdminMixin, TemplateView):
    template_name = "apikeys/apikey_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["api_keys"] = api_keys_for_workspace(workspace=self.workspace)
        context["audit_entries"] = api_key_audit_recent(workspace=self.workspace)
        return context


class ApiKeyDetailView(WorkspaceAdminMixin, ApiKeyObjectMixin, TemplateView):
    template_name = "apikeys/apikey_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        api_key = self.get_object()
        days = api_key_usage_by_day(api_key=api_key)
        busiest = max([day["requests"] for day in days] + [1])
        for day in days:
            day["requests_percent"] = round(100 * day["requests"] / busiest)
            day["refused_percent"] = round(100 * day["refused"] / busiest)
        context["usage_days"] = days
        context["audit_entries"] = api_key_audit_for_key(api_key=api_key)
        context["rolled_to"] = list(api_key.rolled_to.all())
        return context


class ApiKeyCreatedView(WorkspaceAdminMixin, ApiKeyObjectMixin, TemplateView):
    """Show a new key's plaintext, once; afterwards this page sends you to the key's page."""

    template_name = "apikeys/apikey_created.html"

    def get(self, request, *args, **kwargs):
        api_key = self.get_object()
        plaintext = _pop_plaintext(request, api_key=api_key)
        if plaintext is None:
            messages.info(
                request,
                f"The key {api_key.prefix}… was shown once and cannot be shown again. "
                "Roll it if you need a new secret.",
            )
            return redirect(api_key)
        response = self.render_to_response(self.get_context_data(plaintext=plaintext))
        patch_cache_control(response, no_store=True, private=True)
        return response


class ApiKeyFormMixin:
    def form_valid(self, form):
        try:
            api_key = self.save(form)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, error)
            return self.form_invalid(form)
        return self.saved(api_key)


class ApiKeyCreateView(WorkspaceAdminMixin, ApiKeyFormMixin, FormView):
    template_name = "apikeys/apikey_form.html"
    form_class = ApiKeyForm

    def save(self, form) -> ApiKey:
        api_key, plaintext = api_key_create(
            workspace=self.workspace,
            name=form.cleaned_data["name"],
            scopes=form.granted_scopes(),
            tier=form.cleaned_data["tier"],
            custom_rate=form.cleaned_data["custom_rate"],
            expires_at=form.cleaned_data["expires_at"],
            actor=self.request.user,
            grantor=Grantor.for_member(self.membership),
        )
        _stash_plaintext(self.request, api_key=api_key, plaintext=plaintext)
        return api_key

    def saved(self, api_key):
        return redirect("apikeys:apikey-created", key_id=api_key.pk)


class ApiKeyUpdateView(WorkspaceAdminMixin, ApiKeyObjectMixin, ApiKeyFormMixin, FormView):
    template_name = "apikeys/apikey_form.html"
    form_class = ApiKeyForm

    def get_initial(self):
        api_key = self.get_object()
        return {
            "name": api_key.name,
            "full_access": api_key.has_all_scopes,
            "scopes": [] if api_key.has_all_scopes else api_key.scopes,
            "tier": api_key.tier,
            "custom_rate": api_key.custom_rate,
            # To the minute, as the field shows it, so an untouched expiry counts as unchanged.
            "expires_at": api_key.expires_at.replace(second=0, microsecond=0)
            if api_key.expires_at
            else None,
        }

    def save(self, form) -> ApiKey:
        changes = {}
        if "expires_at" in form.changed_data:
            changes["expires_at"] = form.cleaned_data["expires_at"]
        return api_key_update(
            api_key=self.get_object(),
            name=form.cleaned_data["name"],
            scopes=form.granted_scopes(),
            tier=form.cleaned_data["tier"],
            custom_rate=form.cleaned_data["custom_rate"],
            actor=self.request.user,
            grantor=Grantor.for_member(self.membership),
            **changes,
        )

    def saved(self, api_key):
        messages.success(self.request, f"Saved “{api_key.name}”. It applies from the next request.")
        return redirect("apikeys:apikey-list")


class ApiKeyRollView(WorkspaceAdminMixin, ApiKeyObjectMixin, FormView):
    """Issue a new secret; the old one keeps working for the grace period the admin picks."""

    template_name = "apikeys/apikey_confirm_roll.html"
    form_class = ApiKeyRollForm

    def form_valid(self, form):
        try:
            new_key, plaintext = api_key_roll(
                api_key=self.get_object(),
                grace=form.grace_period(),
                actor=self.request.user,
                grantor=Grantor.for_member(self.membership),
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        _stash_plaintext(self.request, api_key=new_key, plaintext=plaintext)
        return redirect("apikeys:apikey-created", key_id=new_key.pk)


class ApiKeyRevokeView(WorkspaceAdminMixin, ApiKeyObjectMixin, TemplateView):
    template_name = "apikeys/apikey_confirm_revoke.html"

    def post(self, request, *args, **kwargs):
        api_key = api_key_revoke(
            api_key=self.get_object(),
            actor=request.user,
            grantor=Grantor.for_member(self.membership),
        )
        messages.success(
            request,
            f"Revoked “{api_key.name}” ({api_key.prefix}…). Requests with it now get 401.",
        )
        return redirect("apikeys:apikey-list")
