"""The emailed invitation link: open it, then accept as the invited address's account.

The link's token goes from the URL into the session at once and the page moves to a URL
without it (as Django's password reset does), so the token never sits in a Referer, the
login page's `next` or the browser history.
"""

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from .access import SESSION_WORKSPACE_KEY
from .forms import InvitationPasswordForm
from .invitations import (
    INVITATION_SESSION_KEY,
    invitation_accept,
    invitation_accept_with_password,
    invitation_account,
    invitation_for_token,
)


class InvitationOpenView(View):
    """Keep the link's token in the session and move on to the page without it."""

    def get(self, request, token: str):
        request.session[INVITATION_SESSION_KEY] = token
        return redirect("workspaces:invitation-accept")


class InvitationAcceptView(TemplateView):
    """Accept: signed in as the invited account, or by setting the password of a new one."""

    template_name = "workspaces/invitation_accept.html"

    def dispatch(self, request, *args, **kwargs):
        self.invitation = invitation_for_token(token=request.session.get(INVITATION_SESSION_KEY))
        self.account = invitation_account(invitation=self.invitation) if self.invitation else None
        # No account, or one no one can sign in to yet: the mailbox's owner sets its password.
        self.needs_password = self.account is None or not self.account.has_usable_password()
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        signed_in = self.request.user.is_authenticated
        context.update(
            invitation=self.invitation,
            needs_password=self.needs_password,
            signed_in_as_invited=signed_in and self.request.user == self.account,
            signed_in_as_other=signed_in and self.request.user != self.account,
            login_url=f"{reverse('login')}?next={reverse('workspaces:invitation-accept')}",
        )
        context.setdefault("form", InvitationPasswordForm())
        return context

    def post(self, request, *args, **kwargs):
        if self.invitation is None:
            return self.get(request, *args, **kwargs)
        try:
            if self.needs_password:
                form = InvitationPasswordForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(form=form))
                user, membership = invitation_accept_with_password(
                    invitation=self.invitation, password=form.cleaned_data["new_password1"]
                )
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            elif request.user.is_authenticated and request.user == self.account:
                membership = invitation_accept(invitation=self.invitation, user=request.user)
            else:
                return self.get(request, *args, **kwargs)
        except ValidationError as error:
            form = InvitationPasswordForm(request.POST)
            form.is_valid()
            for field, errors in getattr(error, "error_dict", {None: error.error_list}).items():
                form.add_error(field if field in form.fields else None, errors)
            return self.render_to_response(self.get_context_data(form=form))
        request.session.pop(INVITATION_SESSION_KEY, None)
        request.session[SESSION_WORKSPACE_KEY] = membership.workspace_id
        messages.success(
            request,
            f"You joined {membership.workspace.name} as {membership.get_role_display().lower()}.",
        )
        return redirect("workspaces:settings-home")
