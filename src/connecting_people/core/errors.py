"""Errors a service raises for a caller to show the user. Each carries a message fit to show as it is."""


class ServiceError(Exception):
    """A user-caused problem: show `message` and change nothing."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class StaleRecordError(ServiceError):
    """Someone else saved the record since this user opened it."""


class NotAllowedError(ServiceError):
    """The user may see the object but may not do this to it."""
