"""The naive design the benchmark compares against: one Celery task per POST, with `requests`.

Started as its own Celery app (`celery -A bench.naive worker -Q naive`) by bench/deliveries.py.
Each task loads its delivery, signs the body, POSTs it and records the outcome, as the engine
does, but one request per task and one process per request in flight.
"""

import os
import time

import django
import requests
from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omniflow.settings")
django.setup()

from django.utils import timezone  # noqa: E402

from omniflow.crypto import body_signature as sign  # noqa: E402
from omniflow.crypto import decrypt_secret  # noqa: E402
from webhooks.models import WebhookDelivery, WebhookDeliveryAttempt  # noqa: E402

# Not the current app: the benchmark process imports this module and must keep sending the
# engine's own wake-ups through omniflow's app (shared tasks follow the current app).
app = Celery("naive", broker=os.environ["REDIS_URL"], set_as_current=False)
app.conf.task_default_queue = "naive"
app.conf.task_ignore_result = True
app.conf.worker_prefetch_multiplier = 1

# Keep-alive per process: generous to the naive design (a fresh connection per POST is slower).
session = requests.Session()


@app.task(name="bench.naive_deliver")
def naive_deliver(delivery_id: int) -> None:
    delivery = WebhookDelivery.objects.select_related("event", "endpoint").get(id=delivery_id)
    body = delivery.event.body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Omniflow-Webhooks/1.0",
        "X-Omniflow-Event": delivery.event_type,
        "X-Omniflow-Delivery": str(delivery.id),
        "X-Omniflow-Timestamp": str(int(time.time())),
        "X-Omniflow-Signature": sign(
            secret=decrypt_secret(token=delivery.endpoint.secret_encrypted), body=body
        ),
    }
    started = time.monotonic()
    response = session.post(delivery.endpoint.url, data=body, headers=headers, timeout=10)
    now = timezone.now()
    WebhookDeliveryAttempt.objects.create(
        delivery=delivery,
        request_headers=headers,
        request_body=body.decode(),
        response_status_code=response.status_code,
        response_headers=dict(response.headers),
        response_body=response.text[:4096],
        duration_ms=int((time.monotonic() - started) * 1000),
    )
    WebhookDelivery.objects.filter(id=delivery_id).update(
        status="succeeded" if response.ok else "failed",
        attempt_count=1,
        first_attempted_at=now,
        succeeded_at=now if response.ok else None,
        last_status_code=response.status_code,
    )
