from django.urls import path

from . import views

urlpatterns = [
    path("", views.SettingsHomeView.as_view(), name="settings-home"),
    path("workspace/switch/", views.WorkspaceSwitchView.as_view(), name="workspace-switch"),
]
