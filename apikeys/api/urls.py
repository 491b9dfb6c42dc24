"""Routes of the API-key API under /api/v1/ (no trailing slashes)."""

from django.urls import path

from . import views

app_name = "apikeys_api"

urlpatterns = [
    path("api-keys", views.ApiKeyListView.as_view(), name="api-keys"),
    path("api-keys/<int:pk>", views.ApiKeyDetailView.as_view(), name="api-key-detail"),
    path("api-keys/<int:pk>/revoke", views.ApiKeyRevokeView.as_view(), name="api-key-revoke"),
    path("api-keys/<int:pk>/roll", views.ApiKeyRollView.as_view(), name="api-key-roll"),
    path("api-keys/<int:pk>/audit", views.ApiKeyAuditView.as_view(), name="api-key-audit"),
    path("api-keys/<int:pk>/usage", views.ApiKeyUsageView.as_view(), name="api-key-usage"),
]
