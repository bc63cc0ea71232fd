"""What goes wrong in an export. Every message names the problem without repeating personal data or the key."""


class ExportError(Exception):
    """The inputs or settings of an export are wrong; the export stops and its files must not be released."""


class StudyKeyError(ExportError):
    """The study key is missing, unreadable or too weak."""


class StudyIdCollision(ExportError):
    """Two participants of one export were given the same study ID."""
