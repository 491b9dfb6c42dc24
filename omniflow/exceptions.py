"""Refusals the services raise, free of HTTP: the API's one handler maps each to problem JSON.

Services (inbox, webhooks, inbound…) raise these or Django's `ValidationError`; only
`omniflow/api/errors.py` knows which status and problem `type` answers each, so a service can
be called from a view, a Celery task or the inbound receiver alike.
"""


class DomainError(Exception):
    """A request a service refuses for a reason the caller can be told."""

    type_ = "error"
    title = "Error."

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class Conflict(DomainError):
    """The request conflicts with the current state, e.g. an email another contact has."""

    type_ = "conflict"
    title = "Conflict."


# The code of a `ValidationError` for a rule no JSON Schema states (across fields, a parser's,
# the clock's, where a host resolves): the API answers it 422, not 400 (`omniflow/api/errors.py`).
RULE_ERROR_CODE = "rule"
