"""The one grant rule: nothing given, changed or taken away goes beyond the grantor's own.

Every path that grants access calls `grant_check`: API keys created, changed, rolled or
revoked (over the API and in Settings), members added, invited, promoted, demoted or removed.
A grantor is a person (a workspace admin in Settings) or an API key (over the API); each
carries what it holds: scopes, request limits and expiry.

Roles compare as the scopes their holders can reach: an admin reaches everything a
full-access key does (they can mint one), support staff read webhooks, deliveries, inbound
triggers and members and replay deliveries. So an API key may make (or change, or remove) an
admin only if it has full access, and support staff only if it holds `webhooks:write`,
`inbound:read` and `members:read`.
"""

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.exceptions import PermissionDenied, ValidationError

from .ratelimits import Rate, rates_for
from .scopes import ALL_SCOPES, scopes_within

ROLE_SCOPES: dict[str, tuple[str, ...]] = {
    "admin": ALL_SCOPES,
    "support": ("webhooks:write", "inbound:read", "members:read"),
}
_NOT_GIVEN = object()


@dataclass(frozen=True)
class Grantor:
    """Who grants, and what they hold themselves."""

    label: str
    scopes: tuple[str, ...]
    # None: no ceiling (a person); else the key's own limits.
    rates: tuple[Rate, ...] | None = None
    # The grantor's own expiry (None: it never expires).
    expires_at: datetime | None = None
    # A key in its roll grace period still works, but grants nothing.
    rolled: bool = False

    @classmethod
    def for_api_key(cls, api_key) -> "Grantor":
        """Return the grantor an API key is: its scopes, limits and expiry."""
        return cls(
            label=f"api_key:{api_key.prefix}",
            scopes=tuple(api_key.scopes),
            rates=rates_for(tier=api_key.tier, custom_rate=api_key.custom_rate),
            expires_at=api_key.expires_at,
            rolled=api_key.rolled_to.exists(),
        )

    @classmethod
    def for_member(cls, membership) -> "Grantor":
        """Return the grantor a signed-in member is: what their role reaches."""
        return cls(
            label=membership.user.email or membership.user.get_username(),
            scopes=ROLE_SCOPES[membership.role],
        )


def allowed_in(rates: tuple[Rate, ...], seconds: int) -> int:
    """Return the most requests `rates` allow in any window of `seconds`."""
    return min(rate.limit * max(1, math.ceil(seconds / rate.period_seconds)) for rate in rates)


def _rates_within(rates: tuple[Rate, ...], ceiling: tuple[Rate, ...]) -> bool:
    periods = {rate.period_seconds for rate in (*rates, *ceiling)}
    return all(allowed_in(rates, seconds) <= allowed_in(ceiling, seconds) for seconds in periods)


def _expiry_problem(grantor: Grantor, expires_at: datetime | None) -> str:
    if grantor.expires_at is None:
        return ""
    shown = grantor.expires_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if expires_at is None or expires_at > grantor.expires_at:
        return f"A key can only give keys that expire by its own expiry ({shown})."
    return ""


def grant_check(
    *,
    grantor: Grantor | None,
    scopes: list[str] | tuple[str, ...] | None = None,
    rates: tuple[Rate, ...] | None = None,
    expires_at: datetime | None | object = _NOT_GIVEN,
    role: str | None = None,
    field: str = "scopes",
) -> None:
    """Refuse a grant beyond the grantor's own: scopes (or a role's), rates and expiry.

    `grantor` None is the operator (management commands): no ceiling. A rolled key in its
    grace period grants nothing (PermissionDenied); every other excess is a ValidationError
    naming the field.
    """
    if grantor is None:
        return
    if grantor.rolled:
        raise PermissionDenied(
            "This key has been rolled: it keeps working until its grace period ends, but it "
            "grants nothing. Use the key that replaced it."
        )
    errors: dict[str, str] = {}
    if role is not None and not scopes_within(list(ROLE_SCOPES[role]), granted=grantor.scopes):
        errors["role"] = (
            f"{grantor.label} cannot give or change the {role} role: it reaches "
            f"{', '.join(ROLE_SCOPES[role])}, beyond what {grantor.label} holds."
        )
    if scopes is not None and not scopes_within(list(scopes), granted=grantor.scopes):
        errors[field] = "A key can only give scopes it holds itself: " + ", ".join(grantor.scopes)
    if rates is not None and grantor.rates is not None and not _rates_within(rates, grantor.rates):
        errors["tier"] = "A key can only give limits up to its own: " + ", ".join(
            str(rate) for rate in grantor.rates
        )
    if expires_at is not _NOT_GIVEN and (problem := _expiry_problem(grantor, expires_at)):
        errors["expires_at"] = problem
    if errors:
        raise ValidationError(errors)


def target_check(
    *, grantor: Grantor | None, scopes: list[str] | None = None, role: str | None = None
) -> None:
    """Refuse acting on a key or member (revoke, roll, change, remove) beyond the grantor's."""
    if grantor is None:
        return
    if grantor.rolled:
        grant_check(grantor=grantor)
    if scopes is not None and not scopes_within(list(scopes), granted=grantor.scopes):
        raise PermissionDenied(
            "A key can only act on keys whose scopes it holds itself: " + ", ".join(grantor.scopes)
        )
    if role is not None and not scopes_within(list(ROLE_SCOPES[role]), granted=grantor.scopes):
        raise PermissionDenied(f"{grantor.label} cannot act on a member with the {role} role.")
