from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from workspaces.models import Workspace

from . import tokens
from .models import ApiKey
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


@transaction.atomic
def api_key_create(
    *,
    workspace: Workspace,
    name: str,
    scopes: list[str] | None = None,
    tier: str = ApiKey.Tier.DEFAULT,
    custom_rate: str = "",
    expires_at: datetime | None = None,
    created_by: AbstractBaseUser | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; return it with its plaintext, which is never available again."""
    if not name.strip():
        raise ValidationError({"name": "Give the key a name."})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    plaintext = tokens.generate_key()
    api_key = ApiKey.objects.create(
        workspace=workspace,
        name=name.strip(),
        prefix=tokens.display_prefix(plaintext),
        key_hash=tokens.hash_key(plaintext),
        scopes=_validated_scopes(scopes),
        tier=tier,
        custom_rate=_validated_limits(tier=tier, custom_rate=custom_rate),
        expires_at=expires_at,
        created_by=created_by,
    )
    # A probe of this prefix before the key existed may have cached a miss.
    transaction.on_commit(lambda: api_key_cache_forget(prefix=api_key.prefix))
    return api_key, plaintext


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, actor: AbstractBaseUser | None) -> ApiKey:
    """Revoke a key; it answers 401 from the next request on."""
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.revoked_by = actor
        api_key.save(update_fields=["revoked_at", "revoked_by"])
    transaction.on_commit(lambda: api_key_cache_forget(prefix=api_key.prefix))
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
    if not name.strip():
        raise ValidationError({"name": "Give the key a name."})
    api_key.name = name.strip()
    api_key.scopes = _validated_scopes(scopes)
    api_key.custom_rate = _validated_limits(tier=tier, custom_rate=custom_rate)
    api_key.tier = tier
    api_key.save(update_fields=["name", "scopes", "tier", "custom_rate"])
    transaction.on_commit(lambda: api_key_cache_forget(prefix=api_key.prefix))
    return api_key
