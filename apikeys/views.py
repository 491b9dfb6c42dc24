"""Settings → API Keys: list, create (the key is shown once), edit and revoke. Admins only."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.views.generic import FormView, TemplateView

from workspaces.access import WorkspaceAdminMixin

from .forms import ApiKeyCreateForm, ApiKeyForm
from .models import ApiKey
from .selectors import api_key_audit_recent, api_key_get, api_keys_for_workspace
from .services import api_key_create, api_key_revoke, api_key_update


class ApiKeyObjectMixin:
    """Look up the URL's key inside the current workspace; another workspace's gives 404."""

    def get_api_key(self) -> ApiKey:
        if not hasattr(self, "_api_key"):
            try:
                self._api_key = api_key_get(workspace=self.workspace, key_id=self.kwargs["key_id"])
            except ApiKey.DoesNotExist as error:
                raise Http404("No such API key.") from error
        return self._api_key

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["api_key"] = self.get_api_key()
        return context


class ApiKeyListView(WorkspaceAdminMixin, TemplateView):
    template_name = "apikeys/apikey_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["api_keys"] = api_keys_for_workspace(workspace=self.workspace)
        context["audit_entries"] = api_key_audit_recent(workspace=self.workspace)
        return context


class ApiKeyCreateView(WorkspaceAdminMixin, FormView):
    template_name = "apikeys/apikey_form.html"
    form_class = ApiKeyCreateForm

    def form_valid(self, form):
        try:
            api_key, plaintext = api_key_create(
                workspace=self.workspace,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                tier=form.cleaned_data["tier"],
                custom_rate=form.cleaned_data["custom_rate"],
                expires_at=form.cleaned_data["expires_at"],
                actor=self.request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        # The plaintext exists only in this response: no redirect, no session, no URL.
        response = render(
            self.request,
            "apikeys/apikey_created.html",
            {"api_key": api_key, "plaintext": plaintext, "workspace": self.workspace},
        )
        patch_cache_control(response, no_store=True)
        return response


class ApiKeyUpdateView(WorkspaceAdminMixin, ApiKeyObjectMixin, FormView):
    template_name = "apikeys/apikey_form.html"
    form_class = ApiKeyForm

    def get_initial(self):
        api_key = self.get_api_key()
        return {
            "name": api_key.name,
            "scopes": api_key.scopes,
            "tier": api_key.tier,
            "custom_rate": api_key.custom_rate,
        }

    def form_valid(self, form):
        try:
            api_key = api_key_update(
                api_key=self.get_api_key(),
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                tier=form.cleaned_data["tier"],
                custom_rate=form.cleaned_data["custom_rate"],
                actor=self.request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Saved “{api_key.name}”. It applies from the next request.")
        return redirect("apikey-list")


class ApiKeyRevokeView(WorkspaceAdminMixin, ApiKeyObjectMixin, TemplateView):
    template_name = "apikeys/apikey_confirm_revoke.html"

    def post(self, request, *args, **kwargs):
        api_key = api_key_revoke(api_key=self.get_api_key(), actor=request.user)
        messages.success(
            request,
            f"Revoked “{api_key.name}” ({api_key.prefix}…). Requests with it now get 401.",
        )
        return redirect("apikey-list")
