from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

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
