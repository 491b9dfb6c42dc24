"""Pieces every inbox service shares: the "not given" marker, actors, tags and assignees."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError

from omniflow.actors import actor_for_api_key  # noqa: F401  (re-exported by inbox.services)
from omniflow.sentinels import UNSET  # noqa: F401  (the inbox services import it from here)
from workspaces.models import Membership, Workspace

from ..models import Tag

SYSTEM_ACTOR = "system"


def actor_for_user(user: AbstractBaseUser) -> str:
    """Return the trace label of a signed-in user."""
    return f"user:{getattr(user, 'email', '') or user.get_username()}"


def actor_for_rule(rule) -> str:
    """Return the trace label of a routing rule acting on its own."""
    return f"routing_rule:{rule.pk}"


def tags_resolve(*, workspace: Workspace, names: list[str]) -> list[Tag]:
    """Return the workspace's tags of these names, creating the missing ones."""
    wanted = sorted({name.strip() for name in names if name.strip()})
    existing = {tag.name: tag for tag in Tag.objects.filter(workspace=workspace, name__in=wanted)}
    for name in wanted:
        if name not in existing:
            existing[name], _ = Tag.objects.get_or_create(workspace=workspace, name=name)
    return [existing[name] for name in wanted]


def assignee_check(*, workspace: Workspace, assignee: AbstractBaseUser | None, field: str) -> None:
    """Refuse an assignee who is not a member of the workspace."""
    if assignee is None:
        return
    if not Membership.objects.filter(workspace=workspace, user=assignee).exists():
        raise ValidationError({field: "The assignee must be a member of this workspace."})


def attributes_merge(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Return custom attributes with `changes` applied: a null value removes the key."""
    merged = dict(current)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def user_id(user: AbstractBaseUser | None) -> int | None:
    return None if user is None else user.pk
