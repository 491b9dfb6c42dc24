"""API of API keys (scope `api_keys`): what Settings → API Keys does.

A key grants nothing beyond its own (apikeys.grants): scopes, limits and expiry of the keys it
creates, changes or rolls; it revokes, changes and rolls only keys within its scopes; a key in
its roll grace period grants nothing.
"""

from datetime import timedelta

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from omniflow.api.views import WorkspaceAPIView

from .. import selectors, services
from ..grants import Grantor
from ..usage import api_key_usage_by_day
from .serializers import (
    ApiKeyCreatedRepresentation,
    ApiKeyInput,
    ApiKeyRepresentation,
    ApiKeyRollInput,
    AuditEntryRepresentation,
    UsageDayRepresentation,
)

TAG = ["API keys"]


class ApiKeysView(WorkspaceAPIView):
    required_scope = "api_keys"

    @property
    def grantor(self) -> Grantor:
        return Grantor.for_api_key(self.request.auth)

    def api_key(self):
        return self.found(selectors.api_keys_for_workspace(workspace=self.workspace))

    @staticmethod
    def created(api_key, plaintext: str) -> Response:
        api_key.key = plaintext
        return Response(ApiKeyCreatedRepresentation(api_key).data, status=status.HTTP_201_CREATED)


class ApiKeyListView(ApiKeysView):
    """List and create API keys."""

    @extend_schema(
        tags=TAG,
        operation_id="api_keys_list",
        summary="List API keys",
        responses=ApiKeyRepresentation(many=True),
    )
    def get(self, request):
        return self.page(
            selectors.api_keys_for_workspace(workspace=self.workspace).order_by(),
            ApiKeyRepresentation,
        )

    @extend_schema(
        tags=TAG,
        operation_id="api_keys_create",
        summary="Create an API key",
        description="The response's `key` is the plaintext, shown this once.",
        request=ApiKeyInput,
        responses={201: ApiKeyCreatedRepresentation},
    )
    def post(self, request):
        data = self.validated(ApiKeyInput)
        api_key, plaintext = services.api_key_create(
            workspace=self.workspace, grantor=self.grantor, **data
        )
        return self.created(api_key, plaintext)


class ApiKeyDetailView(ApiKeysView):
    """Read and change one API key."""

    @extend_schema(
        tags=TAG,
        operation_id="api_keys_retrieve",
        summary="Get an API key",
        responses=ApiKeyRepresentation,
    )
    def get(self, request, pk):
        return Response(ApiKeyRepresentation(self.api_key()).data)

    @extend_schema(
        tags=TAG,
        operation_id="api_keys_update",
        summary="Update an API key",
        description="Name, scopes, tier and custom limits, expiry (null: never expires).",
        request=ApiKeyInput,
        responses=ApiKeyRepresentation,
    )
    def patch(self, request, pk):
        api_key = self.api_key()
        data = self.validated(ApiKeyInput, partial=True)
        tier = data.get("tier", api_key.tier)
        default_rate = api_key.custom_rate if tier == api_key.tier else ""
        api_key = services.api_key_update(
            api_key=api_key,
            name=data.get("name", api_key.name),
            scopes=data.get("scopes", api_key.scopes),
            tier=tier,
            custom_rate=data.get("custom_rate", default_rate),
            actor=None,
            grantor=self.grantor,
            **({"expires_at": data["expires_at"]} if "expires_at" in data else {}),
        )
        return Response(ApiKeyRepresentation(api_key).data)


class ApiKeyRevokeView(ApiKeysView):
    @extend_schema(
        tags=TAG,
        operation_id="api_keys_revoke",
        summary="Revoke an API key",
        description="It answers 401 from the next request on. Revoking twice is harmless.",
        request=None,
        responses=ApiKeyRepresentation,
    )
    def post(self, request, pk):
        api_key = services.api_key_revoke(api_key=self.api_key(), actor=None, grantor=self.grantor)
        return Response(ApiKeyRepresentation(api_key).data)


class ApiKeyRollView(ApiKeysView):
    @extend_schema(
        tags=TAG,
        operation_id="api_keys_roll",
        summary="Roll an API key",
        description="Issue a new secret (a new key with the same settings, `key` shown this "
        "once); the old one keeps working for `grace_seconds`, then expires.",
        request=ApiKeyRollInput,
        responses={201: ApiKeyCreatedRepresentation},
    )
    def post(self, request, pk):
        data = self.validated(ApiKeyRollInput)
        new_key, plaintext = services.api_key_roll(
            api_key=self.api_key(),
            grace=timedelta(seconds=data["grace_seconds"]),
            actor=None,
            grantor=self.grantor,
        )
        return self.created(new_key, plaintext)


class ApiKeyAuditView(ApiKeysView):
    @extend_schema(
        tags=TAG,
        operation_id="api_keys_audit",
        summary="List an API key's audit entries",
        responses=AuditEntryRepresentation(many=True),
    )
    def get(self, request, pk):
        entries = selectors.api_key_audit_for_key(api_key=self.api_key()).order_by()
        return self.page(entries, AuditEntryRepresentation)


class ApiKeyUsageView(ApiKeysView):
    @extend_schema(
        tags=TAG,
        operation_id="api_keys_usage",
        summary="Get an API key's requests and 429s per UTC day (last 7 days)",
        responses=UsageDayRepresentation(many=True),
    )
    def get(self, request, pk):
        days = api_key_usage_by_day(api_key=self.api_key())
        return Response(UsageDayRepresentation(days, many=True).data)
