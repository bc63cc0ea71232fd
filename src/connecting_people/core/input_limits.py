"""Reading what comes from outside (uploaded files, import files, answers from other servers) within limits.

Pure (no Django). Every check here runs before the expensive step it protects: nesting depth before a JSON
parser recurses, sizes before (and while) bytes are read or unpacked, so a refused input costs little memory.
Each refusal raises LimitExceeded with a message fit to show as it is; callers put the file's name in front
and turn it into their own error (an import's problems, a source error).

    json_depth_problem(text, max_depth=...)   the line where JSON nests deeper than allowed, or None
    read_at_most(stream, limit)               all of a stream's bytes, refusing more than `limit`
    zip_members(archive, max_members=...)     an archive's files (not folders), refusing too many
    read_members(archive, members, ...)       their bytes, unpacked in pieces, refusing too many bytes in all
                                              and members unpacking to far more than they take packed
"""

import re
import zipfile
from collections.abc import Iterable
from typing import BinaryIO

JSON_MAX_DEPTH = 64  # arrays and objects inside each other; our documents and HSDS's need fewer than 12
ZIP_MAX_RATIO = 100  # unpacked to packed; text such as CSV packs 5 to 20 times, a zip bomb about 1,000
ZIP_RATIO_FLOOR = 1_000_000  # bytes unpacked before the ratio counts (a tiny file of spaces packs very well)
_PIECE = 64 * 1024

# One match per bracket outside strings, and one at the end. Strings are taken whole (an unterminated one
# runs to the end of the text), and every part is possessive, so the scan is linear whatever the input.
_JSON_BRACKET = re.compile(
    r'(?:[^"\[\]{}]++|"(?:[^"\\]++|\\.)*+(?:"|\Z))*+(?:([\[\]{}])|\Z)',
    re.DOTALL,
)


class LimitExceeded(Exception):
    """Input larger, deeper or more numerous than allowed. `message` is fit to show as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def megabytes(size: int) -> str:
    """A byte count for people, in decimal megabytes as file managers show them, rounded up to a tenth so that
    anything over a limit reads as more than it: 5_000_000 is "5 MB", 5_000_001 "5.1 MB", 16_240_000 "16.3 MB"."""
    tenths = -(-size // 100_000)
    return f"{tenths // 10:,}.{tenths % 10}".removesuffix(".0") + " MB"


def json_depth_problem(text: str, *, max_depth: int = JSON_MAX_DEPTH) -> int | None:
    """The line (from 1) on which `text` first has arrays and objects nested more than `max_depth` deep, or
    None when it never does. Runs in time linear in the text (about 0.5 s for 25 MB), without recursion, on
    any text: valid JSON or not (a parser run afterwards finds the syntax errors)."""
    depth = 0
    for match in _JSON_BRACKET.finditer(text):
        bracket = match.group(1)
        if bracket is None:
            return None
        if bracket in "[{":
            depth += 1
            if depth > max_depth:
                return text.count("\n", 0, match.end()) + 1
        else:
            depth -= 1
    return None


def read_at_most(stream: BinaryIO, limit: int, *, what: str = "the file") -> bytes:
    """Everything `stream` gives, read in pieces. LimitExceeded as soon as it gives more than `limit` bytes
    (so at most `limit` plus one piece is ever held)."""
    pieces: list[bytes] = []
    size = 0
    while piece := stream.read(_PIECE):
        size += len(piece)
        if size > limit:
            raise LimitExceeded(f"{what} is larger than {megabytes(limit)}")
        pieces.append(piece)
    return b"".join(pieces)


def zip_members(archive: zipfile.ZipFile, *, max_members: int) -> list[zipfile.ZipInfo]:
    """The files of an archive (folders left out). LimitExceeded when it holds more than `max_members`."""
    members = [info for info in archive.infolist() if not info.is_dir()]
    if len(members) > max_members:
        raise LimitExceeded(f"holds {len(members):,} files (at most {max_members:,} are read)")
    return members


def read_members(
    archive: zipfile.ZipFile,
    members: Iterable[zipfile.ZipInfo],
    *,
    max_bytes: int,
    max_ratio: int = ZIP_MAX_RATIO,
    ratio_floor: int = ZIP_RATIO_FLOOR,
) -> dict[str, bytes]:
    """{member name: unpacked bytes} of `members`, unpacked piece by piece.

    LimitExceeded when they unpack to more than `max_bytes` in all (said by the archive, or found while
    unpacking, whichever comes first: the sizes an archive declares can lie), or when a member unpacks to
    more than `max_ratio` times its packed size once past `ratio_floor` bytes (a zip bomb). Memory held is
    at most `max_bytes` plus one piece. zipfile's own errors (a damaged archive) pass through."""
    chosen = list(members)
    declared = sum(info.file_size for info in chosen)
    if declared > max_bytes:
        raise LimitExceeded(f"unpacks to {megabytes(declared)} (at most {megabytes(max_bytes)} is read)")
    files: dict[str, bytes] = {}
    total = 0
    for info in chosen:
        pieces: list[bytes] = []
        size = 0
        with archive.open(info) as member:
            while piece := member.read(_PIECE):
                size += len(piece)
                total += len(piece)
                if total > max_bytes:
                    raise LimitExceeded(
                        f"unpacks to more than {megabytes(max_bytes)} (at most {megabytes(max_bytes)} is read)"
                    )
                if size > ratio_floor and size > max_ratio * max(info.compress_size, 1):
                    raise LimitExceeded(
                        f"{info.filename} unpacks to more than {max_ratio} times its packed size "
                        "(a zip bomb?)"
                    )
                pieces.append(piece)
        files[info.filename] = b"".join(pieces)
    return files
