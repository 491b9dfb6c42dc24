"""`UNSET`: the one "argument not given" marker of every service, so None can mean "clear it"."""

from typing import Final


class _Unset:
    """Marks an argument that was not given, so None can still mean "clear it"."""

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Final = _Unset()
