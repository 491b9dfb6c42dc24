from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from .models import Invitation, Membership, Workspace


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


def members_for_workspace(*, workspace: Workspace) -> QuerySet[Membership]:
    """Return the workspace's members with their users, by email."""
    return (
        Membership.objects.filter(workspace=workspace)
        .select_related("user")
        .order_by("user__email", "user__username")
    )


def member_get(*, workspace: Workspace, member_id: int) -> Membership:
    """Return one of the workspace's memberships; Membership.DoesNotExist for others'."""
    return members_for_workspace(workspace=workspace).get(pk=member_id)


def invitations_for_workspace(*, workspace: Workspace) -> QuerySet[Invitation]:
    """Return the workspace's pending invitations (expired ones included), by email."""
    return Invitation.objects.filter(workspace=workspace).order_by("email", "id")


def invitation_get(*, workspace: Workspace, invitation_id: int) -> Invitation:
    """Return one of the workspace's invitations; Invitation.DoesNotExist for others'."""
    return invitations_for_workspace(workspace=workspace).get(pk=invitation_id)
