"""`POST /hooks/inbound/<public_id>/<signature>`: the URL is the credential, no API key.

Checks run cheapest first and each refusal is final: unknown, disabled or wrongly signed URL
(404, the same answer for each, so URLs cannot be probed), rate (429), size (413), body
signature (401), media type (415), JSON (400), shape (422). Past the URL check every answer
but 429 leaves a receipt, so the trigger's page shows what senders got; 429s leave none, so a
flood cannot fill the table.
"""

import hashlib
from typing import Any

from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.loader import render_to_string
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from omniflow.api.errors import problem_response
from omniflow.api.limits import body_over_limit
from omniflow.crypto import body_signature_valid, decrypt_secret
from omniflow.idempotency import (
    HEADER as IDEMPOTENCY_HEADER,
)
from omniflow.idempotency import (
    REPLAYED_HEADER,
    Claim,
    idempotency_claim,
    idempotency_finish,
)
from omniflow.ratelimits import count, parse_rates

from .event_handling import Handled, body_parse, event_handle, is_form_post, spam_record
from .models import InboundTrigger
from .payloads import value_at
from .selectors import trigger_for_receiving
from .services import receipt_record
from .signing import SIGNATURE_HEADER, url_signature_valid


def _problem(
    status_code: int, type_: str, title: str, detail: str, errors: dict | None = None
) -> JsonResponse:
    return problem_response(
        status_code=status_code, type_=type_, title=title, detail=detail, errors=errors
    )


def _not_found() -> JsonResponse:
    return _problem(404, "not_found", "Not found.", "No inbound webhook at this URL.")


def _idempotency_key(request, trigger: InboundTrigger, payload: Any) -> str | None:
    key = request.META.get(IDEMPOTENCY_HEADER)
    if not key and trigger.idempotency_path:
        value = value_at(payload, trigger.idempotency_path)
        key = None if value is None or isinstance(value, dict | list) else str(value)
    return key or None


@method_decorator(csrf_exempt, name="dispatch")
class InboundReceiveView(View):
    """Receive one POST for a trigger and run its action."""

    http_method_names = ["post", "options"]

    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        trigger = getattr(self, "trigger", None)
        origin = request.headers.get("Origin", "")
        # CORS only for the origins the admin allow-listed; others get no CORS headers at all.
        if trigger is not None and origin and origin in trigger.allowed_origins:
            response["Access-Control-Allow-Origin"] = origin
            response["Vary"] = "Origin"
            if request.method == "OPTIONS":
                response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
                response["Access-Control-Allow-Headers"] = (
                    "Content-Type, Idempotency-Key, X-Omniflow-Signature"
                )
                response["Access-Control-Max-Age"] = "600"
        return response

    def _trigger(self, public_id: str, signature: str) -> InboundTrigger | None:
        trigger = trigger_for_receiving(public_id=public_id)
        if (
            trigger is None
            or not url_signature_valid(trigger=trigger, signature=signature)
            or not trigger.enabled
        ):
            return None
        return trigger

    def options(self, request, public_id: str, signature: str):
        """Answer a browser's CORS preflight (headers only for allow-listed origins)."""
        self.trigger = self._trigger(public_id, signature)
        if self.trigger is None:
            return _not_found()
        return HttpResponse(status=204)

    def post(self, request, public_id: str, signature: str):
        trigger = self._trigger(public_id, signature)
        if trigger is None:
            return _not_found()
        self.from_form = False
        refused = self._rate_refusal(trigger)
        if refused is not None:
            return refused
        self.trigger, self.body = trigger, b""
        refused = self._size_refusal(request) or self._signature_refusal(request)
        if refused is not None:
            return refused
        self.from_form = is_form_post(trigger=trigger, content_type=request.content_type)
        parsed = body_parse(
            trigger=trigger,
            body=self.body,
            content_type=request.content_type,
            encoding=request.encoding,
            form_fields=lambda: request.POST,
        )
        if isinstance(parsed, Handled):
            return self._refuse(parsed.status, parsed.type_, parsed.title, parsed.detail)
        payload, spam = parsed
        if spam:
            # Accepted-looking, so a bot learns nothing; nothing runs.
            spam_record(trigger=trigger, body=self.body, http_status=self._success_status())
            return self._answer(Handled(status=self._success_status()))
        return self._run_once(request, payload)

    @staticmethod
    def _rate_refusal(trigger: InboundTrigger) -> JsonResponse | None:
        # Before anything is read or recorded: a flood leaves no receipts.
        usage = count(
            group="inbound.trigger",
            value=str(trigger.pk),
            rates=parse_rates(settings.OMNIFLOW_INBOUND_RATE),
        )
        if usage.admitted:
            return None
        response = _problem(
            429,
            "rate_limited",
            "Too many requests.",
            f"This trigger takes at most {settings.OMNIFLOW_INBOUND_RATE}; retry later.",
        )
        response["Retry-After"] = str(usage.retry_after)
        return response

    def _size_refusal(self, request) -> JsonResponse | None:
        limit = body_over_limit(request)
        if limit is None:
            self.body = request.body
            return None
        return self._refuse(
            413,
            "payload_too_large",
            "Payload too large.",
            f"The body is over the limit of {limit} bytes.",
        )

    def _signature_refusal(self, request) -> JsonResponse | None:
        if not self.trigger.secret or body_signature_valid(
            secret=decrypt_secret(token=self.trigger.secret),
            body=self.body,
            signature=request.META.get(SIGNATURE_HEADER, ""),
        ):
            return None
        return self._refuse(
            401,
            "signature_invalid",
            "Invalid signature.",
            "X-Omniflow-Signature must be base64(HMAC-SHA256(secret, raw body)).",
        )

    def _run_once(self, request, payload: Any) -> HttpResponse:
        """Run the event, or answer a repeat of it from the idempotency store."""
        key = _idempotency_key(request, self.trigger, payload)
        if key is None:
            return self._run(payload)
        claimed = idempotency_claim(
            # Per trigger: two triggers of one sender may share event ids.
            owner=f"inbound:{self.trigger.pk}",
            key=key,
            fingerprint=hashlib.sha256(self.body).hexdigest(),
            # As in the API: one Idempotency-Key, one request. An event id path names the
            # event itself, so a resend of it whose body differs is still the same event.
            same_request_required=bool(request.META.get(IDEMPOTENCY_HEADER)),
        )
        if not isinstance(claimed, Claim):
            # A replay (or a 409) ran nothing, but the sender's POST still leaves its receipt.
            receipt_record(
                trigger=self.trigger,
                http_status=claimed.status_code,
                body=self.body,
                replay=claimed.get(REPLAYED_HEADER) == "true",
                error_type="" if claimed.status_code < 400 else "idempotency_conflict",
            )
            return claimed
        response = None
        try:
            response = self._run(payload)
            return response
        finally:
            idempotency_finish(claim=claimed, response=response)

    def _run(self, payload: Any) -> HttpResponse:
        return self._answer(
            event_handle(
                trigger=self.trigger,
                payload=payload,
                body=self.body,
                success_status=self._success_status(),
            )
        )

    def _redirect_target(self) -> str:
        """The allow-listed URL a form's browser goes to: the one it asks for, else the first."""
        wanted = self.request.POST.get("redirect", "")
        allowed = self.trigger.redirect_urls
        return wanted if wanted in allowed else (allowed[0] if allowed else "")

    def _success_status(self) -> int:
        return 303 if self.from_form and self._redirect_target() else 200

    def _answer(self, handled: Handled) -> HttpResponse:
        """Answer JSON, or a browser's form post with a redirect (or our thank-you page)."""
        if not handled.ok:
            return _problem(
                handled.status, handled.type_, handled.title, handled.detail, handled.errors
            )
        if self.from_form:
            if handled.status == 303:
                response = HttpResponseRedirect(self._redirect_target())
                response.status_code = 303
                return response
            return HttpResponse(render_to_string("inbound/thank_you.html"), status=200)
        receipt = handled.receipt
        return JsonResponse(
            {
                "status": "accepted",
                "trigger": self.trigger.public_id,
                "receipt_id": receipt.pk if receipt else None,
                "action": self.trigger.action,
                "result": handled.result,
                "rules": handled.rules,
            },
            status=200,
        )

    def _refuse(
        self, status: int, type_: str, title: str, detail: str, errors: dict | None = None
    ) -> JsonResponse:
        receipt_record(
            trigger=self.trigger,
            http_status=status,
            body=self.body,
            error_type=type_,
            error=detail,
            result={"errors": errors} if errors else None,
        )
        return _problem(status, type_, title, detail, errors=errors)


__all__ = ["InboundReceiveView"]
