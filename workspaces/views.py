from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import FormView, TemplateView

from apikeys.grants import Grantor

from .access import (
    SESSION_WORKSPACE_KEY,
    WorkspaceAdminMixin,
    WorkspaceMemberMixin,
    WorkspaceObjectMixin,
)
from .forms import MemberCreateForm, MemberRoleForm
from .invitations import invitation_cancel, invitation_resend
from .models import Invitation, Membership
from .overview import overview_panels
from .selectors import (
    invitation_get,
    invitations_for_workspace,
    member_get,
    members_for_workspace,
    memberships_for_user,
)
from .services import member_create, member_remove, member_update_role, user_label


class SettingsHomeView(WorkspaceMemberMixin, TemplateView):
    template_name = "settings/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["members"] = members_for_workspace(workspace=self.workspace)
        context["panels"] = overview_panels(workspace=self.workspace, membership=self.membership)
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
            next_url = reverse("workspaces:settings-home")
        return HttpResponseRedirect(next_url)


class MemberObjectMixin(WorkspaceObjectMixin):
    """Look up the URL's membership inside the current workspace; another workspace's gives 404."""

    not_found = "No such member."

    def lookup(self) -> Membership:
        return member_get(workspace=self.workspace, member_id=self.kwargs["member_id"])


class MemberListView(WorkspaceMemberMixin, TemplateView):
    """Every member sees who is in the workspace; admins add, change and remove them."""

    template_name = "workspaces/member_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["members"] = members_for_workspace(workspace=self.workspace)
        context["invitations"] = invitations_for_workspace(workspace=self.workspace)
        context["roles"] = Membership.Role.choices
        context["admin_count"] = sum(1 for member in context["members"] if member.is_admin)
        return context


class MemberCreateView(WorkspaceAdminMixin, FormView):
    template_name = "workspaces/member_form.html"
    form_class = MemberCreateForm

    def form_valid(self, form):
        try:
            added = member_create(
                workspace=self.workspace,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                password=form.cleaned_data["password"] or None,
                grantor=Grantor.for_member(self.membership),
                invited_by=self.request.user,
                base_url=self.request.build_absolute_uri("/"),
            )
        except ValidationError as error:
            for field, errors in error.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            return self.form_invalid(form)
        role = added.get_role_display().lower()
        if isinstance(added, Invitation):
            messages.success(
                self.request,
                f"Invited {added.email} as {role}: they join once they accept the link we "
                "emailed them.",
            )
        else:
            messages.success(self.request, f"Added {user_label(added.user)} as {role}.")
        return redirect("workspaces:member-list")


class MemberRoleView(WorkspaceAdminMixin, MemberObjectMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        member = self.get_object()
        form = MemberRoleForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Pick a role: admin or support.")
            return redirect("workspaces:member-list")
        try:
            member_update_role(
                membership=member,
                role=form.cleaned_data["role"],
                grantor=Grantor.for_member(self.membership),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("workspaces:member-list")
        messages.success(
            request, f"{user_label(member.user)} is now {member.get_role_display().lower()}."
        )
        return redirect("workspaces:member-list")


class MemberRemoveView(WorkspaceAdminMixin, MemberObjectMixin, TemplateView):
    """GET asks for confirmation; POST removes the member from this workspace."""

    template_name = "workspaces/member_confirm_remove.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["member"] = self.get_object()
        return context

    def post(self, request, *args, **kwargs):
        member = self.get_object()
        try:
            member_remove(membership=member, grantor=Grantor.for_member(self.membership))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("workspaces:member-list")
        messages.success(request, f"Removed {user_label(member.user)} from {self.workspace.name}.")
        return redirect("workspaces:member-list")


class InvitationObjectMixin(WorkspaceObjectMixin):
    not_found = "No such invitation."

    def lookup(self) -> Invitation:
        return invitation_get(workspace=self.workspace, invitation_id=self.kwargs["invitation_id"])


class InvitationResendView(WorkspaceAdminMixin, InvitationObjectMixin, View):
    """Email a pending invitation again, with a new link and expiry."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        invitation = invitation_resend(
            invitation=self.get_object(),
            grantor=Grantor.for_member(self.membership),
            base_url=request.build_absolute_uri("/"),
        )
        messages.success(request, f"Sent the invitation to {invitation.email} again.")
        return redirect("workspaces:member-list")


class InvitationCancelView(WorkspaceAdminMixin, InvitationObjectMixin, View):
    """Cancel a pending invitation; its link stops working."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        invitation = self.get_object()
        invitation_cancel(invitation=invitation, grantor=Grantor.for_member(self.membership))
        messages.success(request, f"Cancelled the invitation of {invitation.email}.")
        return redirect("workspaces:member-list")
