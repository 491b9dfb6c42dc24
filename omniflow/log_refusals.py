"""Expected refusals in one line: Django's request log keeps tracebacks for 5xx only.

A 403 (PermissionDenied) or a 404 (Http404) is the app answering as designed; Django logs the
exception that carried it, and a traceback per refused request buries the ones that matter.
"""

import logging


class OneLineRefusalsFilter(logging.Filter):
    """Drop the traceback of a `django.request` record whose response is below 500."""

    def filter(self, record: logging.LogRecord) -> bool:
        status_code = getattr(record, "status_code", None)
        if status_code is not None and status_code < 500:
            record.exc_info = None
            record.exc_text = None
        return True
