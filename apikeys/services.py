"""Writes of API keys. Each change is audited and takes effect from the next request."""

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from workspaces.models import Workspace
from workspaces.services import user_label

from . import tokens
from .models import UPDATABLE_FIELDS, ApiKey, ApiKeyAuditEntry
from .ratelimits import InvalidRate, rates_for
from .scopes import InvalidScope, normalize_scopes
from .selectors import api_key_cache_forget


def _validated_limits(*, tier: str, custom_rate: str) -> str:
    if tier not in ApiKey.Tier.values:
        raise ValidationError({"tier": f"Unknown tier '{tier}'."})
    if tier != ApiKey.Tier.CUSTOM:
        return ""
    try:
        return ",".join(str(rate) for rate in rates_for(tier=tier, custom_rate=custom_rate))
    except InvalidRate as error:
        raise ValidationError({"custom_rate": str(error)}) from error


def _validated_scopes(scopes: list[str] | None) -> list[str]:
    try:
        return normalize_scopes(scopes)
    except InvalidScope as error:
        raise ValidationError({"scopes": str(error)}) from error


def _validated_name(name: str) -> str:
    if not name.strip():
        raise ValidationError({"name": "Give the key a name."})
    return name.strip()


def _audit(
    *, api_key: ApiKey, actor: AbstractBaseUser | None, action: str, details: dict[str, Any]
) -> ApiKeyAuditEntry:
    return ApiKeyAuditEntry.objects.create(
        workspace=api_key.workspace,
        api_key=api_key,
        key_prefix=api_key.prefix,
        actor=actor,
        actor_label=user_label(actor) if actor is not None else "system",
        action=action,
        details=details,
    )


def _forget_after_commit(api_key: ApiKey) -> None:
    prefix = api_key.prefix
    transaction.on_commit(lambda: api_key_cache_forget(prefix=prefix))


@transaction.atomic
def api_key_create(
    *,
    workspace: Workspace,
    name: str,
    scopes: list[str] | None = None,
    tier: str = ApiKey.Tier.DEFAULT,
    custom_rate: str = "",
    expires_at: datetime | None = None,
    actor: AbstractBaseUser | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; return it with its plaintext, which is never available again."""
    name = _validated_name(name)
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    plaintext = tokens.generate_key()
    api_key = ApiKey.objects.create(
        workspace=workspace,
        name=name,
        prefix=tokens.display_prefix(plaintext),
        key_hash=tokens.hash_key(plaintext),
        scopes=_validated_scopes(scopes),
        tier=tier,
        custom_rate=_validated_limits(tier=tier, custom_rate=custom_rate),
        expires_at=expires_at,
        created_by=actor,
    )
    _audit(
        api_key=api_key,
        actor=actor,
        action=ApiKeyAuditEntry.Action.CREATED,
        details={
            "name": api_key.name,
            "scopes": api_key.scopes,
            "tier": api_key.tier,
            "custom_rate": api_key.custom_rate,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    # A probe of this prefix before the key existed may have cached a miss.
    _forget_after_commit(api_key)
    return api_key, plaintext


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, actor: AbstractBaseUser | None) -> ApiKey:
    """Revoke a key; it answers 401 from the next request on."""
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.revoked_by = actor
        api_key.save(update_fields=["revoked_at", "revoked_by"])
        _audit(
            api_key=api_key,
            actor=actor,
            action=ApiKeyAuditEntry.Action.REVOKED,
            details={"name": api_key.name},
        )
    _forget_after_commit(api_key)
    return api_key


@transaction.atomic
def api_key_update(
    *,
    api_key: ApiKey,
    name: str,
    scopes: list[str] | None,
    tier: str,
    custom_rate: str = "",
    actor: AbstractBaseUser | None,
) -> ApiKey:
    """Change a key's name, scopes and limits; effective from the next request."""
    if api_key.is_revoked:
        raise ValidationError("A revoked key cannot be changed.")
    new_values = {
        "name": _validated_name(name),
        "scopes": _validated_scopes(scopes),
        "tier": tier,
        "custom_rate": _validated_limits(tier=tier, custom_rate=custom_rate),
    }
    changes = {
        field: {"from": getattr(api_key, field), "to": new_values[field]}
        for field in UPDATABLE_FIELDS
        if getattr(api_key, field) != new_values[field]
    }
    if not changes:
        return api_key
    for field in changes:
        setattr(api_key, field, new_values[field])
    api_key.save(update_fields=list(changes))
    _audit(
        api_key=api_key,
        actor=actor,
        action=ApiKeyAuditEntry.Action.UPDATED,
        details=changes,
    )
    _forget_after_commit(api_key)
    return api_key
