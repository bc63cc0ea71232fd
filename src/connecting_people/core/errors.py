"""Errors a service raises for a caller to show the user. Each carries a message fit to show as it is."""


class ServiceError(Exception):
    """A user-caused problem: show `message` and change nothing."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


SAVED_BY_SOMEONE_ELSE = (
    "Someone else saved changes here while you were editing. Their changes have been kept. "
    "Check and make your changes again."
)


class StaleRecordError(ServiceError):
    """Someone else saved the record since this user opened it (its version moved on): nothing was saved."""

    def __init__(self, message: str = SAVED_BY_SOMEONE_ELSE, field: str | None = None):
        super().__init__(message, field)


class NotAllowedError(ServiceError):
    """The user may see the object but may not do this to it."""
