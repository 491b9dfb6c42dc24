"""The one set of words for a failed outbound request, on every page that shows one:

{% load failures %}
{% failure_reason attempt.error attempt.response_status_code as failure %}
{% include "_failure.html" with failure=failure raw=attempt.error %}
"""

from django import template

from webhooks.failures import FailureReason
from webhooks.failures import failure_reason as reason_of

register = template.Library()


@register.simple_tag(name="failure_reason")
def failure_reason_tag(error: str, status_code: int | None = None) -> FailureReason | None:
    """Return why a request failed, in a person's words (None if it did not)."""
    return reason_of(error=error or "", status_code=status_code)
