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


class ProcessingRestrictedError(ServiceError):
    """The person's data protection officer has restricted processing of their record: it is kept and can be
    read, but nothing new may be recorded for them (UK GDPR Article 18)."""

    def __init__(self, message: str | None = None):
        super().__init__(
            message
            or "Processing of this person's record is restricted, so nothing new can be recorded for them. "
            "You can still read the record. Ask your data protection officer if something must be recorded."
        )
