"""One exception handler for the API: every refusal is {"error": {"code", "message", "fields"?, "detail"?}}.

Domain errors (complaints.errors.ComplaintError) keep their code, status and detail
(a stale version carries `current_version`); DRF's own errors are reshaped so a
client reads the same keys whatever went wrong.
"""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from complaints.errors import ComplaintError


def _flatten(detail: Any) -> Any:
    """Field errors as {"field": ["message", ...]}, nested serializers as nested dicts."""
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return [str(item) for item in detail]
        return [_flatten(item) for item in detail]
    return [str(detail)]


def _first_code(codes: Any) -> str:
    if isinstance(codes, dict):
        return next((_first_code(v) for v in codes.values()), "invalid")
    if isinstance(codes, list):
        return next((_first_code(v) for v in codes), "invalid")
    return str(codes)


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **{k: v for k, v in extra.items() if v}}}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """The response for an exception raised in an API view; None lets a real bug surface as 500."""
    if isinstance(exc, ComplaintError):
        return Response(error_body(exc.code, str(exc.message), detail=exc.detail), status=exc.http_status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("No such object, or you may not see it."))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        fields = _flatten(detail)
        code = _first_code(exc.get_codes())
        response.data = error_body(
            code if code in {"stale_version", "version_mismatch"} else "invalid",
            _("Some of the data sent is not valid; see the fields."),
            fields=fields,
        )
    else:
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        message = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        extra: dict[str, Any] = {}
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            extra["detail"] = {"retry_after_seconds": int(exc.wait) + 1}
        response.data = error_body(code if isinstance(code, str) else "error", str(message), **extra)
    if response.status_code == status.HTTP_500_INTERNAL_SERVER_ERROR:
        return None
    return response
