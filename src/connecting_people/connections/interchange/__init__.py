"""Connections-map exports and imports: GraphML, our JSON, and Network Canvas-style CSV. Pure (no Django).

Exports take one Snapshot plus the person's pseudonymous case id and the snapshot's id, and give text that
depends on nothing else (same snapshot, same bytes; entry order comes from `ordering.export_order`)::

    export_graphml(snapshot, *, case_id, snapshot_id) -> str
    export_json(snapshot, *, case_id, snapshot_id) -> str
    export_network_canvas(snapshot, *, case_id, snapshot_id) -> {file name: text}
    export_map(snapshot, *, format, case_id, snapshot_id) -> {file name: text}      # format in FORMATS

Imports give an ImportResult (entries, ties, the file's date/case/snapshot ids, and an ImportReport), or
raise ImportRejected with ``"file:line: problem"`` strings and give nothing::

    import_json(text, *, key_namespace, file_name="map.json") -> ImportResult
    import_graphml(text, *, key_namespace, file_name="map.graphml") -> ImportResult
    import_network_canvas({file name: content}, *, key_namespace) -> ImportResult
    import_map({file name: content}, *, key_namespace) -> ImportResult                # picks by file names

key_namespace decides the new entries' keys: uuid5(key_namespace, the id in the file), deterministic, so
import the same file with the same namespace (say, the person's UUID) twice and the keys agree; or None to
keep the file's ids as keys (restoring a map into the person it came from: export → import → export then
gives the same bytes). Labels go through the label policy (`vocabulary.minimal_label`) on every import.

Each format module's docstring documents its layout; `import_network_canvas` documents the mapping.

Every import is bounded the same way (result.py): at most MAX_FILES files and MAP_FILES_LIMIT_BYTES in all
(a zip measured unpacked, and refused as a zip bomb when it unpacks to more than 100 times its size), no more
entries and ties than a map holds (domain.MAX_ENTRIES, MAX_TIES), JSON nested at most 64 deep, GraphML of at
most GRAPHML_MAX_ELEMENTS elements, CSV of at most MAX_COLUMNS columns. Over a limit: ImportTooLarge (an
ImportRejected with that one problem), found before the costly step it guards.
"""

import io
import uuid
import zipfile
from collections.abc import Mapping
from dataclasses import replace
from typing import Literal

from ...core.input_limits import LimitExceeded, read_members, zip_members
from ..domain import Snapshot
from .attribute_map import NO_MAPPING, AttributeMapping, read_attribute_mapping
from .graphml import export_graphml, import_graphml
from .json_document import export_json, import_json
from .network_canvas import _EGO_FILE, export_network_canvas, import_network_canvas
from .ordering import file_prefix
from .result import (
    FORMAT_NAME,
    FORMAT_VERSION,
    MAP_FILES_LIMIT_BYTES,
    MAX_FILES,
    ZIP_MAX_MEMBERS,
    ImportRejected,
    ImportReport,
    ImportResult,
    ImportTooLarge,
    check_size,
    new_key,
)
from .sessions import SessionResult, choose_session, import_sessions, split_sessions
from .vocabulary import LABEL_MAX_LENGTH, minimal_label

__all__ = [
    "NO_MAPPING",
    "AttributeMapping",
    "SessionResult",
    "choose_session",
    "import_sessions",
    "read_attribute_mapping",
    "FORMATS",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "LABEL_MAX_LENGTH",
    "MAP_FILES_LIMIT_BYTES",
    "MAX_FILES",
    "ImportRejected",
    "ImportReport",
    "ImportResult",
    "ImportTooLarge",
    "export_graphml",
    "export_json",
    "export_map",
    "export_network_canvas",
    "import_graphml",
    "import_json",
    "import_map",
    "import_network_canvas",
    "minimal_label",
    "new_key",
    "unpack_zip",
]

Format = Literal["graphml", "json", "nc-csv"]
FORMATS: tuple[Format, ...] = ("graphml", "json", "nc-csv")


def export_map(
    snapshot: Snapshot, *, format: Format, case_id: str | None, snapshot_id: str | None
) -> dict[str, str]:
    """The snapshot in one of FORMATS as {file name: text}: one file, or the Network Canvas set."""
    if format == "nc-csv":
        return export_network_canvas(snapshot, case_id=case_id, snapshot_id=snapshot_id)
    prefix = file_prefix(snapshot, case_id=case_id, snapshot_id=snapshot_id)
    if format == "graphml":
        return {f"{prefix}.graphml": export_graphml(snapshot, case_id=case_id, snapshot_id=snapshot_id)}
    if format == "json":
        return {f"{prefix}.json": export_json(snapshot, case_id=case_id, snapshot_id=snapshot_id)}
    raise ValueError(f"unknown format {format!r}; expected one of {', '.join(FORMATS)}")


def unpack_zip(name: str, data: bytes) -> tuple[dict[str, bytes], list[str]]:
    """The CSV files of a zipped Network Canvas export, and the names of other members skipped.

    Raises ImportRejected for something that is not a readable zip, and ImportTooLarge for one of more than
    ZIP_MAX_MEMBERS files, or whose CSV files unpack to more than MAP_FILES_LIMIT_BYTES (or like a zip bomb).
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            wanted: list[zipfile.ZipInfo] = []
            skipped: list[str] = []
            for info in zip_members(archive, max_members=ZIP_MAX_MEMBERS):
                base = info.filename.rsplit("/", 1)[-1]
                if info.filename.startswith("__MACOSX/") or base.startswith("."):
                    continue
                if base.lower().endswith(".csv"):
                    wanted.append(info)
                else:
                    skipped.append(info.filename)
            unpacked = read_members(archive, wanted, max_bytes=MAP_FILES_LIMIT_BYTES)
    except LimitExceeded as exceeded:
        raise ImportTooLarge(f"{name}: {exceeded.message}") from None
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError) as error:
        raise ImportRejected([f"{name}: not a readable zip file ({error})"]) from None
    return {info.filename.rsplit("/", 1)[-1]: unpacked[info.filename] for info in wanted}, skipped


def _several_sessions(files: Mapping[str, str | bytes]) -> bool:
    return sum(1 for name in files if _EGO_FILE.search(name.rsplit("/", 1)[-1])) > 1


def import_map(
    files: Mapping[str, str | bytes],
    *,
    key_namespace: uuid.UUID | None,
    mapping: AttributeMapping = NO_MAPPING,
    session: str | None = None,
) -> ImportResult:
    """Import whatever the file names say: one ``.json``, one ``.graphml`` (or ``.xml``), one ``.zip`` of a
    Network Canvas CSV export, or the ``.csv`` files of one. Raises ImportRejected otherwise.

    mapping: a mapping file's rules for another tool's attributes (GraphML, Network Canvas). session: which
    interview session of an export holding several (its files' prefix, session id or case id; for GraphML its
    session id, graph id or number). An export of several sessions without one chosen is rejected with the
    list of its sessions.
    """
    check_size(dict(files))
    names = list(files)
    suffixes = {name.rsplit(".", 1)[-1].lower() if "." in name else "" for name in names}
    single = names[0] if len(names) == 1 else None
    if single and suffixes == {"json"}:
        return import_json(files[single], key_namespace=key_namespace, file_name=single)
    if single and suffixes & {"graphml", "xml"}:
        return import_graphml(
            files[single], key_namespace=key_namespace, file_name=single, mapping=mapping, session=session
        )
    notes: tuple[str, ...] = ()
    if single and suffixes == {"zip"}:
        content = files[single]
        unpacked, skipped = unpack_zip(single, content if isinstance(content, bytes) else content.encode())
        notes = tuple(f"{single}: {member} skipped (not a CSV file)" for member in skipped)
        files, names, suffixes = unpacked, list(unpacked), {"csv"}
    if names and suffixes == {"csv"}:
        if session is not None or _several_sessions(files):
            sessions = split_sessions(files)
            if session is None:
                listed = ", ".join(prefix.rstrip("_") for prefix in sessions)
                raise ImportRejected(
                    [
                        f"{len(sessions)} interview sessions in this export ({listed}): choose one"
                        " (--session), or import them all into their people (map import-sessions)"
                    ]
                )
            found, _ = import_sessions(files, key_namespace=key_namespace, mapping=mapping)
            result = choose_session(found, session).result
        else:
            result = import_network_canvas(files, key_namespace=key_namespace, mapping=mapping)
        return replace(result, report=replace(result.report, warnings=result.report.warnings + notes))
    listed = ", ".join(names) or "no files"
    raise ImportRejected(
        [
            f"{listed}: expected one .json, one .graphml, one .zip of a Network Canvas export,"
            " or the .csv files of one"
        ]
    )
