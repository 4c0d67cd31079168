"""OpenAPI generation: every operation documents the error answers the exception handler gives."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_array_type, build_basic_type
from drf_spectacular.types import OpenApiTypes

from .serializers import ErrorSerializer

# Statuses any API operation may answer with the {"error": ...} body.
COMMON_ERRORS = {
    "400": "Invalid input: see error.fields.",
    "401": "No or invalid credentials.",
    "403": "Your account may not do this.",
    "404": "No such object, or you may not see it.",
    "429": "Too many requests: retry after error.detail.retry_after_seconds.",
}
BODY_ERRORS = {"415": "Send application/json."}
# For views whose answer no serializer describes: a JSON array of objects.
LIST_OF_OBJECTS = build_array_type(build_basic_type(OpenApiTypes.OBJECT))


class ComplaintAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction: str = "response") -> dict:
        responses = super()._get_response_bodies(direction)
        errors = dict(COMMON_ERRORS)
        if self.method in ("POST", "PUT", "PATCH"):
            errors.update(BODY_ERRORS)
        for code, description in errors.items():
            if code not in responses:
                response = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                response["description"] = description
                responses[code] = response
        return responses
