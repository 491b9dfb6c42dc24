"""The API's JSON parser: strict JSON, and bad input is a 400, never a 500."""

import json
import math

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON.")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        # 1e400 parses to inf, which no database or JSON consumer can take back.
        raise ValueError(f"The number {text[:40]} is out of range.")
    return value


class StrictJSONParser(JSONParser):
    """Parse JSON; refuse what would only fail later as a 500 with a 400 parse error.

    That is NaN/Infinity and out-of-range numbers, nesting too deep for the parser, bytes
    that are not the declared charset, and lone UTF-16 surrogates (valid JSON escapes that
    no UTF-8 database column can store).
    """

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding) if stream is not None else ""
            data = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
            # One pass in C: fails on a lone surrogate anywhere, in keys or values.
            json.dumps(data, ensure_ascii=False).encode("utf-8")
            return data
        except (ValueError, UnicodeError, LookupError) as error:
            raise ParseError(f"JSON parse error - {error}") from error
        except RecursionError as error:
            # The standard parser recurses per nesting level; a deep document is bad input.
            raise ParseError("JSON parse error - nested too deeply.") from error
