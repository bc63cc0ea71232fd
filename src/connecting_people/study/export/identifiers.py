"""Study IDs and the other pseudonyms of an export, derived from the study key.

A participant's study ID is ``<prefix>-<5 characters>-<5 characters>`` (for example ``CPIS-7KQ3M-9PAXT``): the
study's prefix, then the first 50 bits of HMAC-SHA256(key, "participant", study, person id) written in
Crockford's base32 (digits and capital letters without I, L, O and U, so nothing is misread when typed or
read aloud). The same key, study and person always give the same ID; another study (or another key) gives an
unrelated one, so exports of two studies cannot be joined on IDs.

Collisions: with 50 bits, two of 10,000 participants share an ID with probability about 4 in 100,000. Each
export checks every ID it hands out against those already handed out and stops with `StudyIdCollision` when two
people meet; the study then moves to 15 (or 20) characters, which keeps each old ID as the start of the new one.

Workers rated by a fidelity scale get ``<prefix>-W-<5>-<5>`` the same way (purpose "worker"), and each entry of a
connections map a UUID (purpose "alter"), stable across the person's maps but meaningless outside the export.
"""

from __future__ import annotations

import re
import uuid

from .errors import ExportError, StudyIdCollision
from .keys import StudyKey

CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ID_CHARACTERS = (10, 15, 20)
PREFIX_PATTERN = re.compile(r"[A-Z][A-Z0-9]{0,9}")
# Any study ID this module makes, whatever the prefix and length (the scanner recognises them by this).
STUDY_ID_PATTERN = re.compile(r"[A-Z][A-Z0-9]{0,9}(?:-W)?(?:-[0-9A-HJKMNP-TV-Z]{5}){2,4}")


def crockford_base32(data: bytes, characters: int) -> str:
    """The first `characters` × 5 bits of `data` in Crockford's base32."""
    bits = characters * 5
    if bits > len(data) * 8:
        raise ValueError("not enough bytes for that many characters")
    number = int.from_bytes(data, "big") >> (len(data) * 8 - bits)
    out = []
    for _ in range(characters):
        out.append(CROCKFORD_ALPHABET[number & 31])
        number >>= 5
    return "".join(reversed(out))


def _grouped(text: str) -> str:
    return "-".join(text[i : i + 5] for i in range(0, len(text), 5))


class Pseudonyms:
    """The pseudonyms of one export of one study, each checked unique within the export.

    key: the study key. study: the study's internal id (any text; part of every HMAC, so IDs differ per
    study). prefix: 1–10 capital letters and digits, starting with a letter, printed before every study ID.
    characters: 10 (default), 15 or 20 characters of HMAC after the prefix.

    Holds one entry per person seen (not per row), to check uniqueness.
    """

    def __init__(self, key: StudyKey, *, study: str | int, prefix: str, characters: int = 10) -> None:
        if not isinstance(key, StudyKey):
            raise ExportError("the study key must be a StudyKey (see keys.load_study_key)")
        if not PREFIX_PATTERN.fullmatch(prefix):
            raise ExportError(
                f"study ID prefix {prefix!r}: use 1 to 10 capital letters and digits, starting with a letter"
            )
        if characters not in ID_CHARACTERS:
            raise ExportError(f"study IDs have 10, 15 or 20 characters after the prefix, not {characters}")
        self.key = key
        self.study = str(study)
        self.prefix = prefix
        self.characters = characters
        self._given: dict[str, str] = {}  # study ID -> internal id it was given to

    def _unique(self, study_id: str, internal: str) -> str:
        holder = self._given.setdefault(study_id, internal)
        if holder != internal:
            advice = (
                f" Export this study with {self.characters + 5} ID characters (each old ID stays the start"
                " of the new one)."
                if self.characters < max(ID_CHARACTERS)
                else ""
            )
            raise StudyIdCollision(
                f"two people of study {self.study} were given the same study ID; the export stopped.{advice}"
            )
        return study_id

    def participant(self, person_id: str | int) -> str:
        """The participant's study ID, ``<prefix>-XXXXX-XXXXX``. Raises StudyIdCollision (see the module)."""
        internal = str(person_id)
        code = crockford_base32(self.key.digest("participant", self.study, internal), self.characters)
        return self._unique(f"{self.prefix}-{_grouped(code)}", f"participant:{internal}")

    def worker(self, worker_id: str | int) -> str:
        """A rated worker's study ID, ``<prefix>-W-XXXXX-XXXXX``."""
        internal = str(worker_id)
        code = crockford_base32(self.key.digest("worker", self.study, internal), self.characters)
        return self._unique(f"{self.prefix}-W-{_grouped(code)}", f"worker:{internal}")

    def alter(self, person_id: str | int, entry_key: str) -> str:
        """A UUID for an entry of a person's connections map: stable across their maps, unrelated to its key."""
        digest = self.key.digest("alter", self.study, str(person_id), entry_key)
        return str(uuid.UUID(bytes=digest[:16], version=4))

    def date_shift(self, person_id: str | int, max_days: int) -> int:
        """The participant's date shift: a whole number of days from −max_days to +max_days, never 0."""
        if max_days < 1:
            raise ExportError("the largest date shift must be at least one day")
        number = int.from_bytes(self.key.digest("date-shift", self.study, str(person_id))[:8], "big")
        step = number % (2 * max_days)  # 64 bits over at most a few thousand values: no visible bias
        return step - max_days if step < max_days else step - max_days + 1
