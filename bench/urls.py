"""Two identical API views for bench/api.py: one behind keys and limits, one bare."""

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from omniflow.urls import urlpatterns as project_urlpatterns


class LimitedView(APIView):
    """The project's defaults: Bearer key, scope check, per-key rate limit, RateLimit-* headers."""

    required_scope = "tickets"

    def get(self, request):
        return Response({"ok": True})


class BareView(LimitedView):
    """The same view with authentication, permissions and throttles switched off."""

    authentication_classes = []
    permission_classes = []
    throttle_classes = []


urlpatterns = [
    path("bench/limited", LimitedView.as_view()),
    path("bench/bare", BareView.as_view()),
    *project_urlpatterns,
]
