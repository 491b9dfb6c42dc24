"""Access rules for the server-rendered Settings pages.

Every Settings view works inside the signed-in user's current workspace (`self.workspace`) and
looks objects up through selectors filtered by it, so another workspace's ids give 404.
"""

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import Http404

from .selectors import membership_current

SESSION_WORKSPACE_KEY = "workspace_id"


class WorkspaceMemberMixin(LoginRequiredMixin):
    """Require a signed-in member of a workspace; expose `workspace` and `membership`.

    Set `admin_only = True` on views that change keys, endpoints or triggers: support staff
    then get 403.
    """

    admin_only = False

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.membership = membership_current(
            user=request.user, workspace_id=request.session.get(SESSION_WORKSPACE_KEY)
        )
        if self.membership is None:
            raise PermissionDenied("You are not a member of any workspace.")
        if self.admin_only and not self.membership.is_admin:
            raise PermissionDenied("Only workspace admins can change this.")
        self.workspace = self.membership.workspace
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["workspace"] = self.workspace
        context["membership"] = self.membership
        return context


class WorkspaceAdminMixin(WorkspaceMemberMixin):
    """Require the admin role in the current workspace (support staff get 403)."""

    admin_only = True


class WorkspaceObjectMixin:
    """Look up the URL's object inside the current workspace, once; another workspace's is 404.

    A view names the object in its context (`context_object_name`), says what a miss answers
    (`not_found`) and how to fetch it (`lookup`, a selector call scoped by `self.workspace`).
    """

    context_object_name = ""
    not_found = "No such object."

    def lookup(self) -> Any:
        """Return the URL's object through a workspace-scoped selector (DoesNotExist if none)."""
        raise NotImplementedError

    def get_object(self) -> Any:
        if not hasattr(self, "_object"):
            try:
                self._object = self.lookup()
            except ObjectDoesNotExist as error:
                raise Http404(self.not_found) from error
        return self._object

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.context_object_name:
            context[self.context_object_name] = self.get_object()
        return context
