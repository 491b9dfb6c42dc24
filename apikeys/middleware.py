"""Report the rate-limit allowance on every API response (`RateLimit`, `RateLimit-Policy`)."""

from .throttling import USAGE_ATTRIBUTE


class RateLimitHeadersMiddleware:
    """Add the RateLimit fields of the usage the API's authentication or throttle counted."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        usage = getattr(request, USAGE_ATTRIBUTE, None)
        if usage is not None:
            for name, value in usage.headers().items():
                response[name] = value
        return response
