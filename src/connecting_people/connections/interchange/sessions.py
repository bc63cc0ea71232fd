"""A study's export of many interviews: split into sessions, each read as one map. Pure (no Django).

Network Canvas's "export all" gives, per interview session, a set of CSV files sharing a prefix
(``<caseID>_<sessionID>_ego.csv``, ``…_attributeList_<Type>.csv``, ``…_edgeList_<Type>.csv``), zipped together;
its GraphML export of several sessions is one file with one ``<graph>`` per session. Either way each session
is read exactly as a one-interview file is (`import_network_canvas`, `import_graphml`), and the run is all or
nothing: a problem in any session rejects the whole export, with every problem listed.

Bounds (ADR 0011): each session has the limits of one map import (result.py: MAX_FILES files,
MAP_FILES_LIMIT_BYTES, the map's entries and ties); the export as a whole at most MAX_SESSIONS sessions,
STUDY_ZIP_MAX_MEMBERS files in a zip and STUDY_LIMIT_BYTES unpacked.
"""

import io
import re
import uuid
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass

from ...core.input_limits import LimitExceeded, megabytes, read_members, zip_members
from .attribute_map import NO_MAPPING, AttributeMapping
from .graphml import graphml_sessions, import_graphml
from .network_canvas import import_network_canvas
from .result import ImportRejected, ImportResult, ImportTooLarge

MAX_SESSIONS = 200  # a large study's wave; each session is a map of its own
STUDY_ZIP_MAX_MEMBERS = 2_000  # a session is an ego file and a few lists (about 4 to 10 files)
STUDY_LIMIT_BYTES = 50_000_000  # unpacked, in all; each session at most MAP_FILES_LIMIT_BYTES

_PARTS = (
    re.compile(r"(?:^|_)ego\.csv$", re.IGNORECASE),
    re.compile(r"(?:^|_)attributeList_.+\.csv$", re.IGNORECASE),
    re.compile(r"(?:^|_)edgeList_.+\.csv$", re.IGNORECASE),
    re.compile(r"(?:^|_)adjacencyMatrix(?:_.+)?\.csv$", re.IGNORECASE),
)
_EGO = _PARTS[0]


@dataclass(frozen=True)
class SessionResult:
    """One interview session of an export, read as one map.

    name: what picks it out in messages and with ``--session``: the files' prefix (``<case>_<session>``), or
    for GraphML the session id, graph id or number. case_id and session_id: what the session's files say."""

    name: str
    result: ImportResult

    @property
    def case_id(self) -> str | None:
        return self.result.case_id

    @property
    def session_id(self) -> str | None:
        return self.result.snapshot_id

    def answers_to(self, wanted: str) -> bool:
        """Whether `wanted` names this session: its name, its session id, or its case id."""
        return bool(wanted) and wanted in (self.name, self.session_id, self.case_id)


def _base(name: str) -> str:
    return re.split(r"[/\\]", name)[-1]


def _prefix(name: str) -> str | None:
    base = _base(name)
    for part in _PARTS:
        if match := part.search(base):
            return base[: match.start()]
    return None


def split_sessions(files: Mapping[str, str | bytes]) -> dict[str, dict[str, str | bytes]]:
    """The CSV files of a Network Canvas export grouped by session: {prefix: {file name: content}}.

    A session is an ego file and the files sharing its prefix. ImportRejected for a file that belongs to no
    session (no ego file of its prefix) or that is not part of an export, and for more than MAX_SESSIONS."""
    egos = sorted(_prefix(name) or "" for name in files if _EGO.search(_base(name)))
    if len(egos) > MAX_SESSIONS:
        raise ImportTooLarge(f"{len(egos)} interview sessions, but one import reads at most {MAX_SESSIONS}")
    sessions: dict[str, dict[str, str | bytes]] = {prefix: {} for prefix in egos}
    problems = []
    for name in sorted(files):
        prefix = _prefix(name)
        if prefix is None:
            problems.append(
                f"{name}: not part of a Network Canvas CSV export"
                " (expected …_ego.csv, …_attributeList_<NodeType>.csv or …_edgeList_<EdgeType>.csv)"
            )
            continue
        owner = prefix if prefix in sessions else None  # exactly its ego file's prefix: "A_1" is not "A_10"
        if owner is None:
            problems.append(f"{name}: belongs to no interview session (no {prefix}ego.csv)")
            continue
        sessions[owner][name] = files[name]
    if problems:
        raise ImportRejected(problems)
    return sessions


def unpack_study_zip(name: str, data: bytes) -> tuple[dict[str, bytes], list[str]]:
    """The CSV and GraphML files of a zipped study export, and the names of other members skipped, within
    the study limits (STUDY_ZIP_MAX_MEMBERS, STUDY_LIMIT_BYTES, and the zip-bomb ratio)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            wanted: list[zipfile.ZipInfo] = []
            skipped: list[str] = []
            for info in zip_members(archive, max_members=STUDY_ZIP_MAX_MEMBERS):
                base = _base(info.filename)
                if info.filename.startswith("__MACOSX/") or base.startswith(".") or info.is_dir():
                    continue
                if base.lower().endswith((".csv", ".graphml")):
                    wanted.append(info)
                else:
                    skipped.append(info.filename)
            unpacked = read_members(archive, wanted, max_bytes=STUDY_LIMIT_BYTES)
    except LimitExceeded as exceeded:
        raise ImportTooLarge(f"{name}: {exceeded.message}") from None
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError) as error:
        raise ImportRejected([f"{name}: not a readable zip file ({error})"]) from None
    files: dict[str, bytes] = {}
    for info in wanted:
        base = _base(info.filename)
        if base in files:
            raise ImportRejected([f"{name}: two files are named {base} (in different folders)"])
        files[base] = unpacked[info.filename]
    return files, skipped


def _study_files(files: Mapping[str, str | bytes]) -> tuple[dict[str, str | bytes], list[str]]:
    """The files given, with a zip unpacked (within the study limits)."""
    total = sum(
        len(content if isinstance(content, bytes) else content.encode()) for content in files.values()
    )
    if total > STUDY_LIMIT_BYTES:
        raise ImportTooLarge(
            f"{', '.join(files)}: {megabytes(total)} in all, but a study import takes at most"
            f" {megabytes(STUDY_LIMIT_BYTES)}"
        )
    unpacked: dict[str, str | bytes] = {}
    notes: list[str] = []
    for name, content in files.items():
        if name.lower().endswith(".zip"):
            inside, skipped = unpack_study_zip(
                name, content if isinstance(content, bytes) else content.encode()
            )
            unpacked.update(inside)
            notes.extend(f"{name}: {member} skipped (not a CSV or GraphML file)" for member in skipped)
        else:
            unpacked[name] = content
    return unpacked, notes


def import_sessions(
    files: Mapping[str, str | bytes],
    *,
    key_namespace: uuid.UUID | None = None,
    mapping: AttributeMapping = NO_MAPPING,
) -> tuple[list[SessionResult], list[str]]:
    """Every interview session in an export (a zip, CSV files, or one GraphML file of several graphs), each
    read as one map, and notes about the export as a whole (members skipped). All or nothing: ImportRejected
    with every session's problems (each prefixed by the session) when any session cannot be read."""
    unpacked, notes = _study_files(files)
    graphml = [name for name in unpacked if name.lower().endswith((".graphml", ".xml"))]
    csv_files = {name: content for name, content in unpacked.items() if name not in graphml}
    problems: list[str] = []
    results: list[SessionResult] = []
    if graphml and csv_files:
        raise ImportRejected(["give either a Network Canvas CSV export or GraphML files, not both"])
    for name in graphml:
        sessions = graphml_sessions(unpacked[name], file_name=name)
        if len(results) + len(sessions) > MAX_SESSIONS:
            raise ImportTooLarge(
                f"more than {MAX_SESSIONS} interview sessions; one import reads at most that"
            )
        for session in sessions:
            try:
                result = import_graphml(
                    unpacked[name],
                    key_namespace=key_namespace,
                    file_name=name,
                    mapping=mapping,
                    session=str(session.index),
                )
            except ImportTooLarge:
                raise
            except ImportRejected as rejected:
                problems.extend(f"session {session.name}: {problem}" for problem in rejected.problems)
                continue
            label = session.name if len(graphml) == 1 else f"{name}#{session.name}"
            results.append(SessionResult(label, result))
    if csv_files:
        for prefix, session_files in split_sessions(csv_files).items():
            label = prefix.rstrip("_") or "(no prefix)"
            try:
                result = import_network_canvas(session_files, key_namespace=key_namespace, mapping=mapping)
            except ImportTooLarge as too_large:
                raise ImportTooLarge(f"session {label}: {too_large.problems[0]}") from None
            except ImportRejected as rejected:
                problems.extend(f"session {label}: {problem}" for problem in rejected.problems)
                continue
            results.append(SessionResult(label, result))
    if problems:
        raise ImportRejected(problems)
    if not results:
        raise ImportRejected(["no interview session found (expected …_ego.csv files, or GraphML)"])
    return results, notes


def choose_session(sessions: list[SessionResult], wanted: str) -> SessionResult:
    """The one session `wanted` names (`SessionResult.answers_to`); ImportRejected listing them otherwise."""
    found = [session for session in sessions if session.answers_to(wanted)]
    if len(found) == 1:
        return found[0]
    listed = ", ".join(session.name for session in sessions)
    if not found:
        raise ImportRejected([f"no interview session {wanted!r} in the export; it holds {listed}"])
    raise ImportRejected([f"{wanted!r} names {len(found)} sessions ({listed}): give the session's own id"])
