from django.urls import path

from . import views

app_name = "apikeys"

urlpatterns = [
    path("", views.ApiKeyListView.as_view(), name="apikey-list"),
    path("new/", views.ApiKeyCreateView.as_view(), name="apikey-create"),
    path("<int:key_id>/", views.ApiKeyDetailView.as_view(), name="apikey-detail"),
    path("<int:key_id>/created/", views.ApiKeyCreatedView.as_view(), name="apikey-created"),
    path("<int:key_id>/edit/", views.ApiKeyUpdateView.as_view(), name="apikey-edit"),
    path("<int:key_id>/roll/", views.ApiKeyRollView.as_view(), name="apikey-roll"),
    path("<int:key_id>/revoke/", views.ApiKeyRevokeView.as_view(), name="apikey-revoke"),
]
