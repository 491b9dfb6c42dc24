from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView

from accounts.views import LoginView
from inbound.receive_view import InboundReceiveView

from . import health, metrics, views
from .api.docs import ApiDocsView

api_v1 = [
    path("schema", SpectacularAPIView.as_view(), name="api-schema"),
    path("", include("inbox.api.urls")),
    path("", include("webhooks.api.urls")),
    path("", include("inbound.api.urls")),
    path("", include("agenttools.api.urls")),
    path("", include("apikeys.api.urls")),
    path("", include("workspaces.api.urls")),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="workspaces:settings-home"), name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("settings/", include("workspaces.urls")),
    path("settings/api-keys/", include("apikeys.urls")),
    path("settings/", include("webhooks.urls")),
    path("settings/inbound/", include("inbound.urls")),
    path("settings/agent-tools/", include("agenttools.urls")),
    path("api/v1/", include(api_v1)),
    path(
        "hooks/inbound/<str:public_id>/<str:signature>",
        InboundReceiveView.as_view(),
        name="inbound-receive",
    ),
    path("api/docs", ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]

handler404 = "omniflow.views.not_found"
handler500 = "omniflow.views.server_error"
