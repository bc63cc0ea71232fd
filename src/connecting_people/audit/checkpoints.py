"""Checkpoint files: signed checkpoints kept outside the database, one JSON line each, only ever appended.

`CONNECTING_PEOPLE_AUDIT_CHECKPOINTS` names a directory (the file inside is `checkpoints.jsonl`) or, when it ends
in `.jsonl`, the file itself. Lines are appended, never rewritten, so the file can be made append-only by the
operating system (`chattr +a` on Linux) or shipped line by line to storage the database's owner cannot write.
No Django imports: callers pass the path.
"""

import os
from pathlib import Path

from connecting_people.audit.chain import Checkpoint

FILE_NAME = "checkpoints.jsonl"


def checkpoint_file(location: Path) -> Path:
    location = Path(location)
    return location if location.suffix == ".jsonl" else location / FILE_NAME


def checkpoints_read(location: Path) -> tuple[list[Checkpoint], list[str]]:
    """Every checkpoint in the file, and a problem for each line that is not one (the file was changed).
    A file that does not exist yet holds no checkpoints."""
    path = checkpoint_file(location)
    found: list[Checkpoint] = []
    problems: list[str] = []
    try:
        handle = path.open("r", encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return found, problems
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                found.append(Checkpoint.from_json(line, source=f"{path.name} line {number}"))
            except ValueError as error:
                problems.append(f"line {number} of {path} is {error}: the checkpoint file was changed")
    return found, problems


def checkpoint_append(location: Path, checkpoint: Checkpoint) -> Path:
    """Append one checkpoint as a line, flushed to disk before returning. Returns the file's path."""
    path = checkpoint_file(location)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(checkpoint.to_json() + "\n")
        file.flush()
        os.fsync(file.fileno())
    return path
