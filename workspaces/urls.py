from django.urls import path

from . import invitation_views, views

app_name = "workspaces"

urlpatterns = [
    path("", views.SettingsHomeView.as_view(), name="settings-home"),
    path("workspace/switch/", views.WorkspaceSwitchView.as_view(), name="workspace-switch"),
    path("members/", views.MemberListView.as_view(), name="member-list"),
    path("members/new/", views.MemberCreateView.as_view(), name="member-create"),
    path("members/<int:member_id>/role/", views.MemberRoleView.as_view(), name="member-role"),
    path("members/<int:member_id>/remove/", views.MemberRemoveView.as_view(), name="member-remove"),
    path(
        "members/invitations/<int:invitation_id>/resend/",
        views.InvitationResendView.as_view(),
        name="invitation-resend",
    ),
    path(
        "members/invitations/<int:invitation_id>/cancel/",
        views.InvitationCancelView.as_view(),
        name="invitation-cancel",
    ),
    path(
        "invitations/accept/",
        invitation_views.InvitationAcceptView.as_view(),
        name="invitation-accept",
    ),
    path(
        "invitations/<str:token>/",
        invitation_views.InvitationOpenView.as_view(),
        name="invitation-open",
    ),
]
