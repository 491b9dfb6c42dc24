"""JSON from outside (API bodies, inbound webhooks, Settings forms), parsed one way everywhere.

What would only fail later as a 500 is refused here as bad input: NaN/Infinity and out-of-range
numbers, nesting too deep for the parser, lone UTF-16 surrogates and NUL characters. The last
two are valid JSON escapes (`\\ud800`, `\\u0000`) that no PostgreSQL text or jsonb column can
store, so a value that passes here can be saved as it is.
"""

import json
import math
from typing import Any

NUL_MESSAGE = "Null characters (\\u0000) are not allowed."


class JSONInputError(ValueError):
    """The text is not JSON we accept; `path` is the dotted path of the bad value, if any."""

    def __init__(self, message: str, *, path: str = ""):
        super().__init__(message)
        self.path = path


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON.")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        # 1e400 parses to inf, which no database or JSON consumer can take back.
        raise ValueError(f"The number {text[:40]} is out of range.")
    return value


def json_loads(text: str) -> Any:
    """Parse untrusted JSON text into a value that can be stored; raise JSONInputError."""
    try:
        data = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except RecursionError as error:
        # The standard parser recurses per nesting level; a deep document is bad input.
        raise JSONInputError("JSON nested too deeply.") from error
    except ValueError as error:
        raise JSONInputError(str(error)) from error
    try:
        # One pass in C: fails on a lone surrogate anywhere, in keys or values.
        dumped = json.dumps(data, ensure_ascii=False)
        dumped.encode("utf-8")
    except UnicodeError as error:
        raise JSONInputError(f"{error}") from error
    except RecursionError as error:
        raise JSONInputError("JSON nested too deeply.") from error
    # json.dumps escapes every NUL it writes, so the walk runs only when one may be there.
    path = _nul_path(data) if "\\u0000" in dumped else None
    if path is not None:
        raise JSONInputError(NUL_MESSAGE, path=path)
    return data


def _nul_path(data: Any) -> str | None:
    """Return the dotted path of the first value (or key) holding a NUL character, if any."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:  # iterative: the data may be as deep as the parser allowed
        path, value = stack.pop()
        if isinstance(value, str) and "\x00" in value:
            return path
        if isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                if "\x00" in key:
                    return path
                stack.append((child, item))
        elif isinstance(value, list):
            stack.extend(
                (f"{path}.{index}" if path else str(index), item)
                for index, item in enumerate(value)
            )
    return None


# How much of a raw body (a receipt's payload, a tool's or an endpoint's response) is kept for
# people to read: enough to see what went wrong, small enough to keep for every attempt.
EXCERPT_BYTES = 4096


def storable_text(text: str) -> str:
    """Return `text` with NUL characters replaced, for excerpts of raw input we keep."""
    return text.replace("\x00", "\ufffd")
