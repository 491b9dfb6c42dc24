"""The API's JSON parser: strict JSON, and bad input is a 400, never a 500."""

from django.conf import settings
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser

from omniflow.json_input import JSONInputError, json_loads


class StrictJSONParser(JSONParser):
    """Parse JSON with `omniflow.json_input`; refuse what would only fail later as a 500.

    A NUL character is a 400 naming the top-level field that holds it (as the field's own
    validation would); anything else unparseable is a 400 parse error.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding) if stream is not None else ""
            return json_loads(text)
        except JSONInputError as error:
            if error.path:
                field, _, inner = error.path.partition(".")
                where = f" (at {error.path})" if inner else ""
                raise ValidationError({field: [f"{error}{where}"]}) from error
            raise ParseError(f"JSON parse error - {error}") from error
        except (ValueError, UnicodeError, LookupError) as error:
            raise ParseError(f"JSON parse error - {error}") from error
