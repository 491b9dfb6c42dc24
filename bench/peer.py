"""The plain-DRF peer bench/api.py measures the API against: a throwaway Django project.

DRF's `RetrieveAPIView` and `ListAPIView` over the project's ticket table (the same fields, tags
by name, cursor pages of 25), keys from `djangorestframework-api-key` (`HasAPIKey`), a per-key
`SimpleRateThrottle` in Redis through Django's `RedisCache`, `startproject`'s middleware, and
the project's persistent, health-checked database connections.
"""

import subprocess
import textwrap
from pathlib import Path
from urllib.parse import urlsplit

# The peer: a plain DRF service as its documentation builds one. {workspace_id}, {database}
# and {redis} are filled in.
PEER_FILES = {
    "peer_settings.py": """
        SECRET_KEY = "bench-peer-not-for-production"
        DEBUG = False
        ALLOWED_HOSTS = ["*"]
        ROOT_URLCONF = "peer_urls"
        WSGI_APPLICATION = "peer_wsgi.application"
        USE_TZ = True
        TIME_ZONE = "UTC"
        DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
        INSTALLED_APPS = [
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "rest_framework",
            "rest_framework_api_key",
            "peer",
        ]
        # What `startproject` writes.
        MIDDLEWARE = [
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
        ]
        DATABASES = {{"default": {database!r}}}
        CACHES = {{
            "default": {{
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": {redis!r},
                "KEY_PREFIX": "bench-peer",
            }}
        }}
        REST_FRAMEWORK = {{
            "DEFAULT_AUTHENTICATION_CLASSES": [],
            "DEFAULT_PERMISSION_CLASSES": ["rest_framework_api_key.permissions.HasAPIKey"],
            "DEFAULT_THROTTLE_CLASSES": ["peer.throttling.PerKeyThrottle"],
            "DEFAULT_THROTTLE_RATES": {{"key": "100000/s"}},
            "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
            "UNAUTHENTICATED_USER": None,
        }}
        BENCH_WORKSPACE_ID = {workspace_id}
    """,
    "peer_urls.py": """
        from django.urls import path

        from peer.views import TicketDetail, TicketList

        urlpatterns = [
            path("tickets/<int:pk>", TicketDetail.as_view()),
            path("tickets", TicketList.as_view()),
        ]
    """,
    "peer_wsgi.py": """
        import os

        from django.core.wsgi import get_wsgi_application

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_settings")
        application = get_wsgi_application()
    """,
    "peer/__init__.py": "",
    "peer/models.py": """
        from django.db import models


        class Tag(models.Model):
            name = models.CharField(max_length=64)

            class Meta:
                managed = False
                db_table = "inbox_tag"


        class Ticket(models.Model):
            workspace_id = models.BigIntegerField()
            subject = models.CharField(max_length=500)
            description = models.TextField()
            priority = models.CharField(max_length=16)
            status = models.CharField(max_length=16)
            conversation_id = models.BigIntegerField(null=True)
            tags = models.ManyToManyField(Tag, db_table="inbox_ticket_tags")
            created_at = models.DateTimeField()
            updated_at = models.DateTimeField()

            class Meta:
                managed = False
                db_table = "inbox_ticket"
    """,
    "peer/views.py": """
        from django.conf import settings
        from rest_framework import generics, pagination, serializers

        from .models import Ticket


        class TicketSerializer(serializers.ModelSerializer):
            conversation = serializers.IntegerField(source="conversation_id", allow_null=True)
            tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")

            class Meta:
                model = Ticket
                fields = [
                    "id", "subject", "description", "priority", "status", "conversation",
                    "tags", "created_at", "updated_at",
                ]


        class Page(pagination.CursorPagination):
            page_size = 25
            ordering = "-id"


        class TicketViewBase:
            serializer_class = TicketSerializer

            def get_queryset(self):
                return Ticket.objects.filter(
                    workspace_id=settings.BENCH_WORKSPACE_ID
                ).prefetch_related("tags")


        class TicketDetail(TicketViewBase, generics.RetrieveAPIView):
            pass


        class TicketList(TicketViewBase, generics.ListAPIView):
            pagination_class = Page
    """,
    "peer/throttling.py": """
        from rest_framework import throttling


        class PerKeyThrottle(throttling.SimpleRateThrottle):
            scope = "key"

            def get_cache_key(self, request, view):
                key = request.META["HTTP_AUTHORIZATION"].split()[-1]
                return self.cache_format % {"scope": self.scope, "ident": key.split(".")[0]}
    """,
    "peer/migrations/__init__.py": "",
}

PEER_KEY = """
from rest_framework_api_key.models import APIKey

APIKey.objects.filter(name="bench").delete()
print(APIKey.objects.create_key(name="bench")[1])
"""


def database_settings(url: str) -> dict:
    parts = urlsplit(url)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parts.path.lstrip("/"),
        "USER": parts.username or "",
        "PASSWORD": parts.password or "",
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        # As ours (omniflow/settings.py): persistent connections, checked before reuse.
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }


def write_peer(folder: Path, *, workspace_id: int, database_url: str, redis_url: str) -> None:
    """Write the peer project into `folder`, on the bench database and Redis."""
    for name, text in PEER_FILES.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            textwrap.dedent(text).format(
                workspace_id=workspace_id,
                database=database_settings(database_url),
                redis=redis_url,
            )
            if name == "peer_settings.py"
            else textwrap.dedent(text)
        )


def peer_key(folder: Path, env: dict[str, str], *, python: str, output) -> str:
    """Migrate the peer's key table and return a new key of it (`output` runs a command)."""
    peer_env = {**env, "DJANGO_SETTINGS_MODULE": "peer_settings", "PYTHONPATH": str(folder)}
    django_admin = [python, "-m", "django"]
    subprocess.run(
        [*django_admin, "migrate", "rest_framework_api_key", "--noinput", "-v0"],
        cwd=folder,
        env=peer_env,
        check=True,
    )
    return output([*django_admin, "shell", "-c", PEER_KEY], cwd=folder, env=peer_env).split()[-1]
