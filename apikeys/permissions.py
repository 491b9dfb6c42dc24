from rest_framework import permissions

from .authentication import ApiKeyUser
from .scopes import READ, WRITE, scopes_grant
from .throttling import unauthenticated_count_or_refuse


class HasApiKeyScope(permissions.BasePermission):
    """Allow a request whose key holds the view's scope.

    A view declares `required_scope = "tickets"` (the resource); safe methods need `read`,
    the others `write`. A view may override `get_required_scope(request)` for finer rules.
    """

    def has_permission(self, request, view) -> bool:
        if not isinstance(request.user, ApiKeyUser):
            # No credentials at all (bad ones failed in authentication): DRF answers 401, and
            # the request counts against its client IP like a bad key.
            unauthenticated_count_or_refuse(request=request._request)
            return False
        resource = (
            view.get_required_scope(request)
            if hasattr(view, "get_required_scope")
            else getattr(view, "required_scope", None)
        )
        if resource is None:
            # Views that need no resource scope (e.g. the event-type catalogue) say so.
            return getattr(view, "scope_not_required", False)
        access = READ if request.method in permissions.SAFE_METHODS else WRITE
        if scopes_grant(request.auth.scopes, resource=resource, access=access):
            return True
        self.message = f"This API key lacks the '{resource}:{access}' scope this request needs."
        return False
