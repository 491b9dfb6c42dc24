"""The project's URLs plus one trivial API view of the `tickets` resource.

The rules of keys (authentication, scopes, limits, headers) apply to every API view alike; this
one lets the apikeys tests exercise them without depending on another app's endpoints.
"""

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from omniflow.urls import handler404, handler500  # noqa: F401 - Django reads them from here
from omniflow.urls import urlpatterns as project_urlpatterns

PROBE_PATH = "/api/v1/test-probe/tickets"


class TicketsProbeView(APIView):
    required_scope = "tickets"

    def get(self, request):
        return Response({"workspace": request.auth.workspace.slug, "key": request.auth.prefix})

    def post(self, request):
        return Response({"created": True}, status=201)


urlpatterns = [
    path(PROBE_PATH.lstrip("/"), TicketsProbeView.as_view()),
    *project_urlpatterns,
]
