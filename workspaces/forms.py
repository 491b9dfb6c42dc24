"""Forms of Settings → Members: they parse input; workspaces.services validates and changes."""

from django import forms

from .models import Membership


class MemberCreateForm(forms.Form):
    email = forms.EmailField(max_length=254)
    role = forms.ChoiceField(
        choices=Membership.Role.choices, initial=Membership.Role.SUPPORT, widget=forms.RadioSelect
    )
    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=True, attrs={"autocomplete": "new-password"}),
        help_text=(
            "Optional, for a new account only. Leave empty to email them an invitation: they "
            "accept it with their own account or set their own password."
        ),
    )


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)


class InvitationPasswordForm(forms.Form):
    """The password a new member sets when accepting (checked by the password validators)."""

    new_password1 = forms.CharField(
        label="New password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label="Again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("new_password1") != cleaned.get("new_password2"):
            self.add_error("new_password2", "The two passwords differ.")
        return cleaned
