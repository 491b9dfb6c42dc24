"""The Celery app `omniflow`: `celery -A omniflow worker --beat` runs all background work."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omniflow.settings")

app = Celery("omniflow")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
