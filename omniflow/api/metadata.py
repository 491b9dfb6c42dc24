"""What `OPTIONS` answers on every API path: the view's name and description and the media
types it takes and gives, with `Allow`. Not DRF's per-field `actions`: the OpenAPI document at
/api/v1/schema describes every input, and building them needs a `serializer_class` that these
views, which validate with a serializer per method, do not have."""

from rest_framework.metadata import SimpleMetadata


class ApiMetadata(SimpleMetadata):
    """SimpleMetadata without `actions`."""

    def determine_actions(self, request, view):  # noqa: ARG002 - DRF's signature
        return {}
