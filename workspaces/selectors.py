from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from .models import Membership


def memberships_for_user(*, user: AbstractBaseUser) -> QuerySet[Membership]:
    """Return the user's memberships, with their workspaces."""
    return Membership.objects.filter(user=user).select_related("workspace")


def membership_current(*, user: AbstractBaseUser, workspace_id: int | None) -> Membership | None:
    """Return the membership for the chosen workspace, else the user's first one."""
    memberships = memberships_for_user(user=user)
    if workspace_id is not None:
        chosen = memberships.filter(workspace_id=workspace_id).first()
        if chosen is not None:
            return chosen
    return memberships.first()
