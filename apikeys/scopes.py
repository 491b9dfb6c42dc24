"""Scopes of API keys: one per resource type, each `read` or `write` (write implies read)."""

RESOURCES = (
    "conversations",
    "contacts",
    "tickets",
    "scorecards",
    "agents",
    "training",
    "webhooks",
    "inbound",
    "agent_tools",
    "members",
    # Managing keys over the API; a key with it can never grant more than it holds itself.
    "api_keys",
)
READ = "read"
WRITE = "write"
ACCESS_LEVELS = (READ, WRITE)
ALL_SCOPES = tuple(f"{resource}:{WRITE}" for resource in RESOURCES)


class InvalidScope(ValueError):
    pass


def normalize_scopes(scopes: list[str] | tuple[str, ...] | None) -> list[str]:
    """Validate scopes and keep the strongest level per resource.

    None given is an error, not "everything": least privilege is the default, and full access
    is asked for by passing ALL_SCOPES.
    """
    if not scopes:
        raise InvalidScope("Pick at least one scope, or full access.")
    levels: dict[str, str] = {}
    for scope in scopes:
        resource, _, access = scope.strip().partition(":")
        if resource not in RESOURCES or access not in ACCESS_LEVELS:
            raise InvalidScope(
                f"Unknown scope '{scope}'. Use RESOURCE:read or RESOURCE:write with RESOURCE "
                f"one of {', '.join(RESOURCES)}."
            )
        if levels.get(resource) != WRITE:
            levels[resource] = access
    return [f"{resource}:{levels[resource]}" for resource in RESOURCES if resource in levels]


def scopes_grant(granted: list[str], *, resource: str, access: str) -> bool:
    """Tell whether `granted` allows `access` to `resource` (write implies read)."""
    if f"{resource}:{WRITE}" in granted:
        return True
    return access == READ and f"{resource}:{READ}" in granted


def scopes_within(requested: list[str], *, granted: list[str]) -> bool:
    """Tell whether every scope in `requested` is also allowed by `granted`."""
    for scope in requested:
        resource, _, access = scope.partition(":")
        if not scopes_grant(granted, resource=resource, access=access):
            return False
    return True
