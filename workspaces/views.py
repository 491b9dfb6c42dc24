from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import TemplateView

from .access import SESSION_WORKSPACE_KEY, WorkspaceMemberMixin
from .selectors import memberships_for_user


class SettingsHomeView(WorkspaceMemberMixin, TemplateView):
    template_name = "settings/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["members"] = self.workspace.memberships.select_related("user").order_by(
            "user__username"
        )
        return context


class WorkspaceSwitchView(LoginRequiredMixin, View):
    """Make another of the user's workspaces the current one."""

    def post(self, request, *args, **kwargs):
        workspace_id = request.POST.get("workspace", "")
        membership = (
            memberships_for_user(user=request.user).filter(workspace_id=int(workspace_id)).first()
            if workspace_id.isascii() and workspace_id.isdigit() and int(workspace_id) < 2**63
            else None
        )
        if membership is None:
            raise Http404("No such workspace.")
        request.session[SESSION_WORKSPACE_KEY] = membership.workspace_id
        next_url = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = reverse("settings-home")
        return HttpResponseRedirect(next_url)
