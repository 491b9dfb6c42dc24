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
        help_text="Optional. Leave empty to get a one-time link where they set their own.",
    )


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)
