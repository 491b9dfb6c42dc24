"""Routes of the members API under /api/v1/ (no trailing slashes)."""

from django.urls import path

from . import views

app_name = "workspaces_api"

urlpatterns = [
    path("members", views.MemberListView.as_view(), name="members"),
    path("members/<int:pk>", views.MemberDetailView.as_view(), name="member-detail"),
    path("member-invitations", views.InvitationListView.as_view(), name="invitations"),
    path(
        "member-invitations/<int:pk>",
        views.InvitationDetailView.as_view(),
        name="invitation-detail",
    ),
    path(
        "member-invitations/<int:pk>/resend",
        views.InvitationResendView.as_view(),
        name="invitation-resend",
    ),
]
