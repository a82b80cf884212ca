class ApplicationError(Exception):
    """A request a person made that the rules refuse; the message says what to do instead.

    `field` names the form field the message belongs to, so views can show it inline.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
