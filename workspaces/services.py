from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .models import Membership, Workspace


@transaction.atomic
def workspace_create(*, slug: str, name: str = "") -> Workspace:
    """Create a workspace."""
    return Workspace.objects.create(slug=slug, name=name or slug.replace("-", " ").title())


@transaction.atomic
def member_add(*, workspace: Workspace, email: str, password: str | None, role: str) -> Membership:
    """Add a user (created when new, by email) to a workspace with a role."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=email, defaults={"email": email})
    if password:
        user.set_password(password)
        user.save(update_fields=["password"])
    elif created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    membership, _ = Membership.objects.update_or_create(
        user=user, workspace=workspace, defaults={"role": role}
    )
    return membership


def user_label(user: AbstractBaseUser | None) -> str:
    """Return how a user is named in audit trails and lists."""
    if user is None:
        return "—"
    return getattr(user, "email", "") or user.get_username()


def _admins_locked(workspace: Workspace) -> list[Membership]:
    # Locked, so two admins demoting or removing each other at once cannot leave none.
    return list(
        Membership.objects.select_for_update().filter(
            workspace=workspace, role=Membership.Role.ADMIN
        )
    )


def _validated_role(role: str) -> str:
    if role not in Membership.Role.values:
        raise ValidationError({"role": f"Unknown role '{role}': use admin or support."})
    return role


@transaction.atomic
def member_create(
    *,
    workspace: Workspace,
    email: str,
    role: str,
    password: str | None = None,
) -> tuple[Membership, str | None]:
    """Add a person to a workspace; return the membership and, for a new account without a
    password, the path of a one-time link where they set one.

    A person who already has an account (in another workspace) keeps their own password: a
    workspace admin cannot set it.
    """
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as error:
        raise ValidationError({"email": error.messages}) from error
    role = _validated_role(role)
    user_model = get_user_model()
    user = user_model.objects.filter(username__iexact=email).first()
    if user is not None and Membership.objects.filter(user=user, workspace=workspace).exists():
        raise ValidationError({"email": f"{email} is already a member of {workspace.name}."})
    if user is not None and password:
        raise ValidationError(
            {"password": f"{email} already has an Omniflow account and signs in with it."}
        )
    if user is None:
        user = user_model(username=email, email=email)
        if password:
            try:
                validate_password(password, user=user)
            except ValidationError as error:
                raise ValidationError({"password": error.messages}) from error
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
    membership = Membership.objects.create(user=user, workspace=workspace, role=role)
    link = None if user.has_usable_password() else member_set_password_path(user=user)
    return membership, link


def member_set_password_path(*, user: AbstractBaseUser) -> str:
    """Return the path of a link that lets the user set a password once (valid for
    PASSWORD_RESET_TIMEOUT, void once any password is set)."""
    return reverse(
        "workspaces:member-set-password",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )


@transaction.atomic
def member_update_role(*, membership: Membership, role: str) -> Membership:
    """Change a member's role; the workspace's last admin cannot be demoted."""
    role = _validated_role(role)
    admins = _admins_locked(membership.workspace)
    if role != Membership.Role.ADMIN and [m.pk for m in admins] == [membership.pk]:
        raise ValidationError("This is the workspace's last admin: make someone else admin first.")
    if membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def member_remove(*, membership: Membership) -> None:
    """Remove a member from the workspace (their account stays); never the last admin."""
    admins = _admins_locked(membership.workspace)
    if [m.pk for m in admins] == [membership.pk]:
        raise ValidationError("This is the workspace's last admin: make someone else admin first.")
    membership.delete()
