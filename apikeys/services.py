"""Writes of API keys. Each change is audited and takes effect from the next request."""

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from omniflow.exceptions import RULE_ERROR_CODE
from omniflow.ratelimits import InvalidRate
from workspaces.models import Workspace
from workspaces.services import user_label

from . import tokens
from .grants import Grantor, grant_check, target_check
from .models import UPDATABLE_FIELDS, ApiKey, ApiKeyAuditEntry
from .scopes import InvalidScope, normalize_scopes
from .selectors import api_key_cache_forget
from .tiers import rates_for


def _validated_limits(*, tier: str, custom_rate: str) -> str:
    if tier not in ApiKey.Tier.values:
        raise ValidationError({"tier": f"Unknown tier '{tier}'."})
    if tier != ApiKey.Tier.CUSTOM:
        if custom_rate.strip():
            # Never dropped silently: the admin meant something by them.
            raise ValidationError(
                {
                    "custom_rate": ValidationError(
                        "Custom limits apply to the Custom tier only: pick it, or clear them.",
                        code=RULE_ERROR_CODE,
                    )
                }
            )
        return ""
    try:
        return ",".join(str(rate) for rate in rates_for(tier=tier, custom_rate=custom_rate))
    except InvalidRate as error:
        # The rates' grammar (each period once) is the parser's rule, no pattern of the API's.
        raise ValidationError(
            {"custom_rate": ValidationError(str(error), code=RULE_ERROR_CODE)}
        ) from error


def _validated_scopes(scopes: list[str] | None) -> list[str]:
    try:
        return normalize_scopes(scopes)
    except InvalidScope as error:
        raise ValidationError({"scopes": str(error)}) from error


def _granted(
    grantor: Grantor | None, *, scopes: list[str], tier: str, custom_rate: str, expires_at
) -> None:
    # Checked on the validated values, so a malformed rate is its own error first.
    grant_check(
        grantor=grantor,
        scopes=scopes,
        rates=rates_for(tier=tier, custom_rate=custom_rate),
        expires_at=expires_at,
    )


def _validated_expiry(expires_at: datetime | None) -> datetime | None:
    api_key_expiry_check(expires_at=expires_at)
    return expires_at


def api_key_expiry_check(*, expires_at: datetime | None) -> None:
    """Refuse an expiry that is not in the future (the key form shows it with its other errors)."""
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError(
            {
                "expires_at": ValidationError(
                    "The expiry must be in the future.", code=RULE_ERROR_CODE
                )
            }
        )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


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
    scopes: list[str],
    tier: str = ApiKey.Tier.DEFAULT,
    custom_rate: str = "",
    expires_at: datetime | None = None,
    actor: AbstractBaseUser | None = None,
    grantor: Grantor | None = None,
    rolled_from: ApiKey | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; return it with its plaintext, which is never available again.

    `scopes` must name at least one scope (ALL_SCOPES for full access); with a `grantor`,
    scopes, limits and expiry stay within its own (apikeys.grants).
    """
    name = _validated_name(name)
    scopes = _validated_scopes(scopes)
    expires_at = _validated_expiry(expires_at)
    custom_rate = _validated_limits(tier=tier, custom_rate=custom_rate)
    _granted(grantor, scopes=scopes, tier=tier, custom_rate=custom_rate, expires_at=expires_at)
    plaintext = tokens.generate_key()
    api_key = ApiKey.objects.create(
        workspace=workspace,
        name=name,
        prefix=tokens.display_prefix(plaintext),
        key_hash=tokens.hash_key(plaintext),
        scopes=scopes,
        tier=tier,
        custom_rate=custom_rate,
        expires_at=expires_at,
        created_by=actor,
        rolled_from=rolled_from,
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
            "expires_at": _iso(expires_at),
            **({"rolled_from": rolled_from.prefix} if rolled_from is not None else {}),
        },
    )
    # A probe of this prefix before the key existed may have cached a miss.
    _forget_after_commit(api_key)
    return api_key, plaintext


@transaction.atomic
def api_key_revoke(
    *, api_key: ApiKey, actor: AbstractBaseUser | None, grantor: Grantor | None = None
) -> ApiKey:
    """Revoke a key; it answers 401 from the next request on (only keys within the grantor's)."""
    target_check(grantor=grantor, scopes=api_key.scopes)
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


_UNCHANGED: Any = object()


@transaction.atomic
def api_key_update(
    *,
    api_key: ApiKey,
    name: str,
    scopes: list[str] | None,
    tier: str,
    custom_rate: str = "",
    expires_at: datetime | None = _UNCHANGED,
    actor: AbstractBaseUser | None,
    grantor: Grantor | None = None,
) -> ApiKey:
    """Change a key's name, scopes, limits and expiry; effective from the next request.

    Custom limits go with the custom tier only: given with another tier they are an error, not
    silently dropped. An expiry must be in the future (None: never expires).
    """
    if api_key.is_revoked:
        raise ValidationError("A revoked key cannot be changed.", code="key_revoked")
    target_check(grantor=grantor, scopes=api_key.scopes)
    new_values = {
        "name": _validated_name(name),
        "scopes": _validated_scopes(scopes),
        "tier": tier,
        "custom_rate": _validated_limits(tier=tier, custom_rate=custom_rate),
        "expires_at": api_key.expires_at,
    }
    if expires_at is not _UNCHANGED and expires_at != api_key.expires_at:
        new_values["expires_at"] = _validated_expiry(expires_at)
    # The key as it will be must be within the grantor's, whatever the request changes.
    _granted(
        grantor,
        scopes=new_values["scopes"],
        tier=tier,
        custom_rate=new_values["custom_rate"],
        expires_at=new_values["expires_at"],
    )
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
    if "expires_at" in changes:
        changes["expires_at"] = {key: _iso(value) for key, value in changes["expires_at"].items()}
    _audit(
        api_key=api_key,
        actor=actor,
        action=ApiKeyAuditEntry.Action.UPDATED,
        details=changes,
    )
    _forget_after_commit(api_key)
    return api_key


# The grace periods offered when rolling a key (the old secret keeps working this long).
ROLL_GRACE_CHOICES = {
    "now": timedelta(0),
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "3d": timedelta(days=3),
    "7d": timedelta(days=7),
}


@transaction.atomic
def api_key_roll(
    *,
    api_key: ApiKey,
    grace: timedelta,
    actor: AbstractBaseUser | None,
    grantor: Grantor | None = None,
) -> tuple[ApiKey, str]:
    """Issue a new secret for a key; the old one keeps working for `grace`, then expires.

    The new secret is a new key with the same name, scopes, limits and expiry (the display
    prefix, by which keys are looked up, is part of the secret); the old one gets an expiry
    `grace` from now unless it already expires sooner. Returns the new key and its plaintext.
    """
    api_key = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    if not api_key.is_active:
        raise ValidationError(f"This key is {api_key.status}; only an active key can be rolled.")
    if grace < timedelta(0) or grace > max(ROLL_GRACE_CHOICES.values()):
        raise ValidationError({"grace": "The grace period must be between 0 and 7 days."})
    target_check(grantor=grantor, scopes=api_key.scopes)
    new_key, plaintext = api_key_create(
        workspace=api_key.workspace,
        name=api_key.name,
        scopes=api_key.scopes,
        tier=api_key.tier,
        custom_rate=api_key.custom_rate,
        expires_at=api_key.expires_at,
        actor=actor,
        grantor=grantor,
        rolled_from=api_key,
    )
    old_expires_at = timezone.now() + grace
    if api_key.expires_at is None or api_key.expires_at > old_expires_at:
        api_key.expires_at = old_expires_at
        api_key.save(update_fields=["expires_at"])
    _audit(
        api_key=api_key,
        actor=actor,
        action=ApiKeyAuditEntry.Action.ROLLED,
        details={
            "name": api_key.name,
            "new_prefix": new_key.prefix,
            "old_expires_at": _iso(api_key.expires_at),
        },
    )
    _forget_after_commit(api_key)
    return new_key, plaintext
