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
)
READ = "read"
WRITE = "write"
ACCESS_LEVELS = (READ, WRITE)
ALL_SCOPES = tuple(f"{resource}:{WRITE}" for resource in RESOURCES)


class InvalidScope(ValueError):
    pass


def normalize_scopes(scopes: list[str] | tuple[str, ...] | None) -> list[str]:
    """Validate scopes, keep the strongest level per resource; none given means all."""
    if not scopes:
        return list(ALL_SCOPES)
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
