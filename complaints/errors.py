"""The one error type services raise; the edges turn it into a form error, 4xx JSON or an admin message."""

from django.utils.translation import gettext as _


class ComplaintError(Exception):
    """A request the domain refuses, with a message a person can act on."""

    code = "refused"
    http_status = 400

    def __init__(self, message: str, **detail) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class StaleVersion(ComplaintError):
    code = "stale_version"
    http_status = 409

    def __init__(self, *, current: int, given: int) -> None:
        super().__init__(
            _(
                "Someone else changed this ticket meanwhile (you saw version %(given)s, it is now "
                "version %(current)s). Reload it, check their change, then try again."
            )
            % {"given": given, "current": current},
            current_version=current,
        )


class IllegalTransition(ComplaintError):
    code = "illegal_transition"
    http_status = 409


class NotFound(ComplaintError):
    code = "not_found"
    http_status = 404
