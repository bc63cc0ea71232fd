"""The study key for this deployment, from settings (a file) or the environment, never from the database.

`CONNECTING_PEOPLE_STUDY_KEY_FILE` names a file; otherwise `CONNECTING_PEOPLE_STUDY_KEY` holds the key. Local
and test settings set `CONNECTING_PEOPLE_STUDY_KEY_MAKE`, which makes the file on first use (the demo's key);
production never does, so a missing key is a clear refusal rather than a new key and different study IDs.
"""

import os
import secrets
from pathlib import Path

from django.conf import settings

from connecting_people.study.export import StudyKey, load_study_key


def study_key() -> StudyKey:
    """The key; StudyKeyError (a message fit to show, without the key) when it is missing or weak."""
    path = settings.CONNECTING_PEOPLE_STUDY_KEY_FILE
    if path and getattr(settings, "CONNECTING_PEOPLE_STUDY_KEY_MAKE", False):
        _make_once(Path(path))
    return load_study_key(path=path) if path else load_study_key()


def _make_once(path: Path) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_urlsafe(48) + "\n")
    try:
        os.link(partial, path)  # atomic, and never replaces a key another process made first
    except FileExistsError:
        pass
    finally:
        partial.unlink()
