"""Archive files written by `audit archive`, read back and verified (no Django imports).

A file holds a header line (format, chain, the date archived before, and `starts_after`: where its part of the
chain begins when an earlier archive came first), one JSON line per event in id order, and a last line holding
the signed checkpoint of its last event. Verifying walks its events as `audit verify` walks the table, and checks
that last checkpoint and any checkpoint from the checkpoint file that falls inside it.
"""

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from connecting_people.audit.chain import Anchor, AuditKey, ChainReport, Checkpoint, verify_chain


class ArchiveFileError(Exception):
    """The file is not an archive file at all (a message fit to show)."""


def _last_line(path: Path) -> str:
    with path.open("rb") as file:
        file.seek(0, 2)
        position = file.tell()
        chunk = b""
        while position > 0:
            step = min(65536, position)
            position -= step
            file.seek(position)
            chunk = file.read(step) + chunk
            lines = chunk.rstrip(b"\n").split(b"\n")
            if len(lines) > 1 or position == 0:
                return lines[-1].decode("utf-8", errors="replace")
    return ""


def archive_verify(
    path: Path, *, keyring: dict[str, AuditKey], checkpoints: Iterable[Checkpoint] = ()
) -> tuple[ChainReport, Checkpoint | None, Anchor | None]:
    """Verify one archive file. Returns the walk's report, the file's own closing checkpoint (None when its last
    line is not one: a problem in the report) and where the file's part of the chain begins."""
    path = Path(path)
    try:
        with path.open("r", encoding="utf-8") as file:
            header = json.loads(file.readline())
        if header.get("kind") != "audit-archive":
            raise ValueError("no archive header")
        starts = header.get("starts_after")
        anchor = None if starts is None else Anchor(**starts)
    except (OSError, ValueError, TypeError, AttributeError) as error:
        raise ArchiveFileError(f"{path} is not an audit archive file ({error.__class__.__name__})") from None
    problems = []
    try:
        final: Checkpoint | None = Checkpoint.from_json(_last_line(path), source=f"{path.name}, last line")
        if final.kind != "archive":
            problems.append(f"the last line of {path} is a checkpoint but not the archive's own")
    except ValueError:
        final = None
        problems.append(f"the last line of {path} is not its closing checkpoint (the file was cut short)")

    def events() -> Iterator[dict[str, Any]]:
        """Every line between the header and the closing checkpoint, as an event."""
        with path.open("r", encoding="utf-8") as file:
            file.readline()
            held = None
            for line in file:
                if not line.strip():
                    continue
                if held is not None:
                    try:
                        row = json.loads(held)
                        if not isinstance(row, dict) or "id" not in row:
                            raise ValueError("not an event")
                    except ValueError:
                        problems.append(f"a line of {path} is not an event (the file was changed)")
                    else:
                        yield row
                held = line

    low = anchor.count if anchor else 0
    inside = [c for c in checkpoints if final is not None and low < c.count <= final.count]
    report = verify_chain(
        events(), keyring=keyring, checkpoints=[*inside, *([final] if final else [])], anchor=anchor
    )
    report.checkpoint_problems[:0] = problems
    return report, final, anchor
