from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from apikeys.grants import Grantor, grant_check, target_check

from .invitations import invitation_create, password_set
from .models import Invitation, Membership, Workspace


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


def _validated_email(email: str) -> str:
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as error:
        raise ValidationError({"email": error.messages}) from error
    return email


@transaction.atomic
def member_create(
    *,
    workspace: Workspace,
    email: str,
    role: str,
    password: str | None = None,
    grantor: Grantor | None = None,
    invited_by: AbstractBaseUser | None = None,
    base_url: str = "",
) -> Membership | Invitation:
    """Add a person to a workspace: a new account given a password joins at once (returns the
    Membership); anyone else is invited by email (returns the Invitation).

    No credential for an account is ever handed to the person adding it: an existing account
    keeps its own password, and its owner accepts the emailed invitation.
    """
    email = _validated_email(email)
    role = _validated_role(role)
    grant_check(grantor=grantor, role=role)
    user_model = get_user_model()
    user = user_model.objects.filter(username__iexact=email).first()
    if user is not None and Membership.objects.filter(user=user, workspace=workspace).exists():
        message = f"{email} is already a member of {workspace.name}."
        raise ValidationError({"email": ValidationError(message, code="already_member")})
    if user is not None and password:
        message = (
            f"{email} already has an Omniflow account and signs in with it: "
            "leave the password empty to email them an invitation."
        )
        raise ValidationError({"password": ValidationError(message, code="account_exists")})
    if not password:
        return invitation_create(
            workspace=workspace,
            email=email,
            role=role,
            invited_by=invited_by,
            grantor=grantor,
            base_url=base_url,
        )
    user = user_model(username=email, email=email)
    password_set(user=user, password=password, field="password")
    return Membership.objects.create(user=user, workspace=workspace, role=role)


LAST_ADMIN_MESSAGE = "This is the workspace's last admin: make someone else admin first."


@transaction.atomic
def member_update_role(
    *, membership: Membership, role: str, grantor: Grantor | None = None
) -> Membership:
    """Change a member's role (both roles within the grantor's); never demote the last admin."""
    role = _validated_role(role)
    target_check(grantor=grantor, role=membership.role)
    grant_check(grantor=grantor, role=role)
    admins = _admins_locked(membership.workspace)
    if role != Membership.Role.ADMIN and [m.pk for m in admins] == [membership.pk]:
        raise ValidationError(LAST_ADMIN_MESSAGE, code="last_admin")
    if membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def member_remove(*, membership: Membership, grantor: Grantor | None = None) -> None:
    """Remove a member from the workspace (their account stays); never the last admin."""
    target_check(grantor=grantor, role=membership.role)
    admins = _admins_locked(membership.workspace)
    if [m.pk for m in admins] == [membership.pk]:
        raise ValidationError(LAST_ADMIN_MESSAGE, code="last_admin")
    membership.delete()
