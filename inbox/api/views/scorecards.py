import csv
import json
from collections.abc import Iterator

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from ... import selectors, services
from ...representations import SCORECARD_FIELDS, ScorecardRepresentation, scorecard_data
from ..serializers import ScorecardExportFilters, ScorecardFilters, ScorecardInput
from .base import BulkCursorPagination, InboxView, renamed

TAG = ["Scorecards"]
EXPORT_MEDIA_TYPES = {"ndjson": "application/x-ndjson", "csv": "text/csv"}


class ScorecardListView(InboxView):
    """Pull scorecards in bulk and create one."""

    required_scope = "scorecards"
    pagination_class = BulkCursorPagination

    @extend_schema(
        tags=TAG,
        operation_id="scorecards_list",
        summary="Pull QA scores in bulk",
        description="Cursor pages of up to 1000 scorecards (`?limit=1000`), newest first.",
        parameters=[ScorecardFilters],
        responses=ScorecardRepresentation(many=True),
    )
    def get(self, request):
        scorecards = selectors.scorecards_for_workspace(
            workspace=self.workspace,
            **renamed(self.filters(ScorecardFilters), conversation="conversation_id"),
        )
        return self.page(scorecards, ScorecardRepresentation)

    @extend_schema(
        tags=TAG,
        operation_id="scorecards_create",
        summary="Score a conversation",
        description="Emits `scorecard.created`; the conversation's trace records it.",
        request=ScorecardInput,
        responses={201: ScorecardRepresentation},
    )
    def post(self, request):
        scorecard = services.scorecard_create(
            workspace=self.workspace, actor=self.actor, **self.validated(ScorecardInput)
        )
        return Response(scorecard_data(scorecard), status=status.HTTP_201_CREATED)


class _Line:
    """A file-like sink for csv.writer that hands each written line back."""

    def write(self, value: str) -> str:
        return value


class ScorecardExportView(InboxView):
    """Stream every matching scorecard as NDJSON or CSV."""

    required_scope = "scorecards"

    def perform_content_negotiation(self, request, force=False):
        # `?format=` picks the export's row format here, not a DRF renderer; errors are JSON.
        renderer = JSONRenderer()
        return renderer, renderer.media_type

    @extend_schema(
        tags=TAG,
        operation_id="scorecards_export",
        summary="Export all matching scorecards",
        description=(
            "Streams every matching scorecard, oldest first, as NDJSON (one JSON object a "
            "line, the same fields as the list) or CSV (a header row, then one row per "
            "scorecard; `criteria` as a JSON object). Memory stays flat however many rows."
        ),
        parameters=[ScorecardExportFilters],
        responses={
            (200, "application/x-ndjson"): OpenApiResponse(OpenApiTypes.STR),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR),
        },
    )
    def get(self, request):
        filters = self.filters(ScorecardExportFilters)
        row_format = filters.pop("format")
        rows = selectors.scorecards_export_rows(
            workspace=self.workspace, **renamed(filters, conversation="conversation_id")
        )
        lines = _ndjson(rows) if row_format == "ndjson" else _csv(rows)
        response = StreamingHttpResponse(lines, content_type=EXPORT_MEDIA_TYPES[row_format])
        response["Content-Disposition"] = f'attachment; filename="scorecards.{row_format}"'
        return response


_DATETIME = serializers.DateTimeField()


def _ndjson(rows: Iterator[dict]) -> Iterator[str]:
    for row in rows:
        row["created_at"] = _DATETIME.to_representation(row["created_at"])
        yield json.dumps(row, separators=(",", ":")) + "\n"


# A cell starting with one of these is a formula to a spreadsheet (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _spreadsheet_safe(value):
    """Return a text cell a spreadsheet shows as text: a leading quote disarms a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _csv(rows: Iterator[dict]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(SCORECARD_FIELDS)
    for row in rows:
        row["created_at"] = _DATETIME.to_representation(row["created_at"])
        row["criteria"] = json.dumps(row["criteria"], separators=(",", ":"))
        # Numbers stay numbers (a negative score is not a formula); only text is disarmed.
        yield writer.writerow([_spreadsheet_safe(row[field]) for field in SCORECARD_FIELDS])
