"""Views for bench/api.py: two identical API views, one behind keys and limits, one bare; and
a plain DRF view of one ticket without auth, next to which the real ticket endpoints are timed."""

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from inbox.models import Ticket
from inbox.representations import TicketRepresentation
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


class PlainTicketView(APIView):
    """The row of `GET /api/v1/tickets/{id}` read the plainest DRF way: no key, scope or limit,
    the serializer built per request."""

    authentication_classes = []
    permission_classes = []
    throttle_classes = []

    def get(self, request, pk):
        ticket = Ticket.objects.prefetch_related("tags").get(pk=pk)
        return Response(TicketRepresentation(ticket).data)


urlpatterns = [
    path("bench/limited", LimitedView.as_view()),
    path("bench/bare", BareView.as_view()),
    path("bench/plain-ticket/<int:pk>", PlainTicketView.as_view()),
    *project_urlpatterns,
]
