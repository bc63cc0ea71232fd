"""What our management commands share: the exit code for bad input, and who is acting."""

import os

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

USAGE_ERROR = 2  # the exit code for anything the user can put right, as in every command of ours
USER_VARIABLE = "CONNECTING_PEOPLE_USER"


def acting_user(username: str | None, *, required: bool):
    """The active user named by --user, else by CONNECTING_PEOPLE_USER. When neither names anyone: CommandError
    (exit 2) if `required`, else None. CommandError for an unknown or inactive user."""
    name = (os.environ.get(USER_VARIABLE, "") if username is None else username).strip()
    if not name:
        if required:
            raise CommandError(
                f"Say who is acting: --user USERNAME, or set {USER_VARIABLE}", returncode=USAGE_ERROR
            )
        return None
    users = get_user_model()._default_manager
    try:
        user = users.get_by_natural_key(name)
    except users.model.DoesNotExist:
        raise CommandError(f"No user named {name}", returncode=USAGE_ERROR) from None
    if not user.is_active:
        raise CommandError(f"User {name} is not active", returncode=USAGE_ERROR)
    return user


class Progress:
    """What a long command is doing, on stderr, overwritten in place: shown only when stderr is a terminal
    and the command was not given --quiet, so pipes, logs and scripts get nothing extra. stdout is never
    touched (it holds the command's result)."""

    def __init__(self, stderr, *, quiet: bool) -> None:
        self._stderr = stderr
        isatty = getattr(stderr, "isatty", None)
        self.enabled = not quiet and bool(isatty and isatty())
        self._shown = False

    def step(self, text: str) -> None:
        if self.enabled:
            self._stderr.write(f"\r\033[K{text}", ending="")
            self._stderr.flush()
            self._shown = True

    def count(self, done: int, total: int, what: str) -> None:
        self.step(f"{what}: {done} of {total}")

    def finish(self) -> None:
        if self.enabled and self._shown:
            self._stderr.write("\r\033[K", ending="")
            self._stderr.flush()
            self._shown = False
