"""The API's JSON parser: strict JSON, and bad input is a 400, never a 500."""

import json

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON.")


class StrictJSONParser(JSONParser):
    """Parse JSON; refuse NaN/Infinity, over-deep nesting and undecodable bytes with a 400."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding) if stream is not None else ""
            return json.loads(text, parse_constant=_reject_constant)
        except (ValueError, UnicodeDecodeError) as error:
            raise ParseError(f"JSON parse error - {error}") from error
        except RecursionError as error:
            # The standard parser recurses per nesting level; a deep document is bad input.
            raise ParseError("JSON parse error - nested too deeply.") from error
