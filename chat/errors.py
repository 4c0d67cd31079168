from complaints.errors import ComplaintError


class ChatRefused(ComplaintError):
    """A chat action that is not allowed now; `code` is what the widget and console switch on."""

    def __init__(self, message: str, *, code: str = "refused") -> None:
        super().__init__(message)
        self.code = code
