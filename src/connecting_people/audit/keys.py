"""The audit key for this deployment, from a file or the environment, never from the database.

`CONNECTING_PEOPLE_AUDIT_KEY_FILE` names a file; otherwise the environment variable `CONNECTING_PEOPLE_AUDIT_KEY`
holds the key. Local and test settings set `CONNECTING_PEOPLE_AUDIT_KEY_MAKE`, which makes the file on first use;
production never does, so a missing key stops audit events being written (and `check --deploy` fails) rather
than starting an unkeyed or differently keyed chain. `CONNECTING_PEOPLE_AUDIT_RETIRED_KEYS_FILE` may name a file
of earlier keys, one per line, kept only to verify the events and checkpoints they signed (see ADR 0009).

The key is read once per process and kept in memory: a new key takes effect when the processes restart.
"""

import functools
import os
from pathlib import Path

from django.conf import settings

from connecting_people.audit.chain import AuditKey, AuditKeyError, keyring_of, parse_keys
from connecting_people.core.secret_files import secret_file_make_once

KEY_VARIABLE = "CONNECTING_PEOPLE_AUDIT_KEY"


def audit_key() -> AuditKey:
    """The current key; AuditKeyError (a message fit to show, without the key) when it is missing or weak."""
    path = settings.CONNECTING_PEOPLE_AUDIT_KEY_FILE
    if path and getattr(settings, "CONNECTING_PEOPLE_AUDIT_KEY_MAKE", False):
        secret_file_make_once(Path(path))
    return _load(path or None, None if path else os.environ.get(KEY_VARIABLE))


def audit_keyring() -> dict[str, AuditKey]:
    """Every key that may have signed events or checkpoints, by key id: the current key (when one is
    configured) and the retired keys. An empty keyring still verifies unkeyed events."""
    keys = []
    try:
        keys.append(audit_key())
    except AuditKeyError:
        pass
    retired = getattr(settings, "CONNECTING_PEOPLE_AUDIT_RETIRED_KEYS_FILE", None)
    if retired:
        keys.extend(_load_retired(str(retired)))
    return keyring_of(keys)


@functools.lru_cache(maxsize=8)
def _load(path: str | None, value: str | None) -> AuditKey:
    if path is None:
        if value is None or not value.strip():
            raise AuditKeyError(
                f"no audit key: set the environment variable {KEY_VARIABLE} or "
                "CONNECTING_PEOPLE_AUDIT_KEY_FILE (the path of a key file). The key is kept outside the database."
            )
        try:
            return AuditKey(value)
        except AuditKeyError as error:
            raise AuditKeyError(f"{KEY_VARIABLE}: {error}") from None
    text = _read(Path(path))
    try:
        return AuditKey(text)
    except AuditKeyError as error:
        raise AuditKeyError(f"{path}: {error}") from None


@functools.lru_cache(maxsize=8)
def _load_retired(path: str) -> tuple[AuditKey, ...]:
    try:
        return tuple(parse_keys(_read(Path(path))))
    except AuditKeyError as error:
        raise AuditKeyError(f"{path}: {error}") from None


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise AuditKeyError(f"no audit key: the key file {path} does not exist") from None
    except UnicodeDecodeError:
        raise AuditKeyError(f"the key file {path} is not UTF-8 text") from None
    except OSError as error:
        raise AuditKeyError(f"the key file {path} cannot be read: {error.strerror}") from None
