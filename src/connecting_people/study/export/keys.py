"""The study key: the secret behind study IDs and date shifts, kept outside the database.

The key is read from an environment variable (``CONNECTING_PEOPLE_STUDY_KEY`` unless the caller names another)
or from a file whose path the caller gives. It is never stored with the data, never logged and never printed:
`StudyKey` hides it from ``repr``, refuses to be pickled (so it cannot slip into a task queue or a cache), and
offers only HMAC-SHA256 digests of labelled messages and a short fingerprint, so that an export can record
*which* key it used without revealing it.

Whoever holds the key and the database can turn study IDs back into people (by recomputing them); without the
key, a study ID says nothing. Losing the key means later exports of the same study get different IDs.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from pathlib import Path

from .errors import StudyKeyError

KEY_VARIABLE = "CONNECTING_PEOPLE_STUDY_KEY"
MINIMUM_KEY_CHARACTERS = 32
MINIMUM_DISTINCT_CHARACTERS = 10
_HOW = "Make one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"


class StudyKey:
    """A secret of at least 32 characters (and 10 different characters), used only through `digest`."""

    __slots__ = ("_secret",)

    def __init__(self, secret: str | bytes) -> None:
        text = secret.decode("utf-8", errors="strict") if isinstance(secret, bytes) else secret
        text = text.strip()
        if not text:
            raise StudyKeyError(f"the study key is empty. {_HOW}")
        if len(text) < MINIMUM_KEY_CHARACTERS:
            raise StudyKeyError(
                f"the study key is too short: it needs at least {MINIMUM_KEY_CHARACTERS} characters. {_HOW}"
            )
        if len(set(text)) < MINIMUM_DISTINCT_CHARACTERS:
            raise StudyKeyError(
                f"the study key is too weak: it needs at least {MINIMUM_DISTINCT_CHARACTERS} different"
                f" characters. {_HOW}"
            )
        self._secret = text.encode("utf-8")

    @classmethod
    def from_environment(
        cls, variable: str = KEY_VARIABLE, environ: Mapping[str, str] | None = None
    ) -> StudyKey:
        """The key held in environment variable `variable`. Raises StudyKeyError when it is unset or weak."""
        value = (os.environ if environ is None else environ).get(variable)
        if value is None or not value.strip():
            raise StudyKeyError(
                f"no study key: set the environment variable {variable} or give the path of a key file."
                f" The key is kept outside the database. {_HOW}"
            )
        try:
            return cls(value)
        except StudyKeyError as error:
            raise StudyKeyError(f"{variable}: {error}") from None

    @classmethod
    def from_file(cls, path: str | Path) -> StudyKey:
        """The key held in the file at `path` (surrounding white space ignored). Raises StudyKeyError."""
        path = Path(path)
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            raise StudyKeyError(f"no study key: the key file {path} does not exist") from None
        except OSError as error:
            raise StudyKeyError(f"the key file {path} cannot be read: {error.strerror}") from None
        try:
            return cls(content)
        except UnicodeDecodeError:
            raise StudyKeyError(f"the key file {path} is not UTF-8 text") from None
        except StudyKeyError as error:
            raise StudyKeyError(f"{path}: {error}") from None

    def digest(self, purpose: str, *parts: str) -> bytes:
        """HMAC-SHA256 (32 bytes) of `purpose` and `parts`, each length-prefixed so no two inputs collide.

        The purpose keeps the uses apart: the digest behind a participant's study ID says nothing about the
        digest behind their date shift.
        """
        message = b"".join(_netstring(text) for text in ("connecting-people", purpose, *parts))
        return hmac.new(self._secret, message, hashlib.sha256).digest()

    @property
    def fingerprint(self) -> str:
        """12 hexadecimal characters that tell keys apart (for the manifest and the audit), revealing nothing."""
        return self.digest("fingerprint").hex()[:12]

    def __repr__(self) -> str:
        return f"StudyKey(fingerprint={self.fingerprint})"

    def __reduce__(self):  # noqa: ANN204 - pickling is refused whatever the protocol
        raise TypeError(
            "a study key is never pickled: pass the key's environment variable or file path instead"
        )


def load_study_key(
    *, path: str | Path | None = None, variable: str = KEY_VARIABLE, environ: Mapping[str, str] | None = None
) -> StudyKey:
    """The study key from the file at `path` when given, otherwise from environment variable `variable`.

    Raises StudyKeyError (a clear message that never contains the key) when it is missing, unreadable or weak.
    """
    if path is not None:
        return StudyKey.from_file(path)
    return StudyKey.from_environment(variable, environ)


def _netstring(text: str) -> bytes:
    data = text.encode("utf-8")
    return str(len(data)).encode("ascii") + b":" + data + b","
