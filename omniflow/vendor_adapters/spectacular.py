"""drf-spectacular: an operation's response bodies (see the package docstring)."""

from drf_spectacular.openapi import AutoSchema


class ResponseBodiesHook(AutoSchema):
    """An AutoSchema whose `response_bodies_extend` may add responses to every operation."""

    def _get_response_bodies(self, direction="response"):
        return self.response_bodies_extend(super()._get_response_bodies(direction), direction)

    def response_bodies_extend(self, responses: dict, direction: str) -> dict:
        return responses

    def response_body_for_code(self, serializer, code: str, *, media_types, direction: str):
        """The response object drf-spectacular builds for `serializer` under `code`."""
        return self._get_response_for_code(
            serializer, code, media_types=media_types, direction=direction
        )
