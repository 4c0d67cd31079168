"""Error pages: the API answers its errors in JSON even when Django, not DRF, raises them.

DRF's exception handler covers errors inside API views; a path no view matches, a body over
DATA_UPLOAD_MAX_MEMORY_SIZE (refused while Django reads it) or a crash outside a view reach these
handlers instead, which for /api/ paths answer in the API's error shape.
"""

import sys

from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults

from complaints.api.exceptions import error_body


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _is_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse(error_body("too_large", _("The request body is too large.")), status=413)
    return JsonResponse(error_body("bad_request", _("The request could not be read.")), status=400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _is_api(request):
        return defaults.permission_denied(request, exception)
    return JsonResponse(
        error_body("permission_denied", _("You do not have permission to perform this action.")), status=403
    )


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _is_api(request):
        return defaults.page_not_found(request, exception)
    return JsonResponse(error_body("not_found", _("No such object, or you may not see it.")), status=404)


# Seconds a client is told to wait when the database is away (a restart, a failover).
RETRY_AFTER = "10"


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """503, not 500, while the database cannot be reached: a page in the reader's language, or the
    API's JSON. Rendered without a request context (its processors would ask the database again)."""
    if _is_api(request):
        response = JsonResponse(
            error_body("unavailable", _("The service is briefly unavailable. Please try again in a moment.")),
            status=503,
        )
    else:
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = RETRY_AFTER
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    # Called inside Django's `except` for an exception raised anywhere (a view or a middleware such as
    # the session's), so a lost database connection is told apart here rather than in one middleware.
    if isinstance(sys.exc_info()[1], (OperationalError, InterfaceError)):
        return database_unavailable(request)
    if not _is_api(request):
        return defaults.server_error(request)
    return JsonResponse(error_body("server_error", _("Something went wrong on our side.")), status=500)
