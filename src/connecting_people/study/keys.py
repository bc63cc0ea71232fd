"""The study key for this deployment, from settings (a file) or the environment, never from the database.

`CONNECTING_PEOPLE_STUDY_KEY_FILE` names a file; otherwise `CONNECTING_PEOPLE_STUDY_KEY` holds the key. Local
and test settings set `CONNECTING_PEOPLE_STUDY_KEY_MAKE`, which makes the file on first use (the demo's key);
production never does, so a missing key is a clear refusal rather than a new key and different study IDs.
"""

from pathlib import Path

from django.conf import settings

from connecting_people.core.secret_files import secret_file_make_once
from connecting_people.study.export import StudyKey, load_study_key


def study_key() -> StudyKey:
    """The key; StudyKeyError (a message fit to show, without the key) when it is missing or weak."""
    path = settings.CONNECTING_PEOPLE_STUDY_KEY_FILE
    if path and getattr(settings, "CONNECTING_PEOPLE_STUDY_KEY_MAKE", False):
        secret_file_make_once(Path(path))
    return load_study_key(path=path) if path else load_study_key()
