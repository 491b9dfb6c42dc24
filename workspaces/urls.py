from django.urls import path

from . import views

app_name = "workspaces"

urlpatterns = [
    path("", views.SettingsHomeView.as_view(), name="settings-home"),
    path("workspace/switch/", views.WorkspaceSwitchView.as_view(), name="workspace-switch"),
    path("members/", views.MemberListView.as_view(), name="member-list"),
    path("members/new/", views.MemberCreateView.as_view(), name="member-create"),
    path("members/<int:member_id>/role/", views.MemberRoleView.as_view(), name="member-role"),
    path("members/<int:member_id>/remove/", views.MemberRemoveView.as_view(), name="member-remove"),
    path(
        "set-password/<uidb64>/<token>/",
        views.MemberSetPasswordView.as_view(),
        name="member-set-password",
    ),
]
