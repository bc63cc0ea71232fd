"""The auditor: the one way an audit event is written (call it inside the transaction of the change), the
checkpoints that anchor the chain outside the database, and the archiving of old events (ADR 0009)."""

import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from connecting_people.audit import chain, triggers
from connecting_people.audit.checkpoints import checkpoint_append, checkpoints_read
from connecting_people.audit.keys import audit_key, audit_keyring
from connecting_people.audit.models import AuditEvent
from connecting_people.audit.selectors import (
    ARCHIVED_ACTION,
    audit_archive_anchor,
    audit_chain_verify,
    audit_event_hash,
    audit_events_count,
    chain_rows,
    latest_checkpoint,
)
from connecting_people.core.errors import ServiceError
from connecting_people.core.request_context import current_channel, current_request_id
from connecting_people.core.scoping import acting_user, takes_actor

# Keys never stored in a summary, whatever a caller passes.
SECRET_KEYS = {"password", "secret", "token", "otp", "key", "totp", "session"}

# An arbitrary constant naming the audit chain's advisory lock on PostgreSQL.
_POSTGRES_LOCK_KEY = 7_447_001


def _clean_summary(summary: dict[str, Any] | None) -> dict[str, Any]:
    cleaned = {
        key: value
        for key, value in (summary or {}).items()
        if not any(secret in key.lower() for secret in SECRET_KEYS)
    }
    # Round-trip through JSON so the hashed form is exactly what the database gives back (dates as text).
    return json.loads(json.dumps(cleaned, default=str))


def _lock_chain() -> None:
    """Serialise appends (PostgreSQL: an advisory lock held to the end of the transaction; SQLite: every
    transaction already holds the write lock from its start)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_POSTGRES_LOCK_KEY])


def audit_record(
    *,
    actor: Any,
    action: str,
    object_type: str,
    object_id: Any = "",
    person_id: int | None = None,
    summary: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one keyed event to the chain, by `actor` (an `accounts.actor.Actor`; a user is taken as it is; None
    or an anonymous user for nobody signed in). `summary` must hold no free text about the person (names of changed
    fields are fine; their values only when they are codes or dates).

    Raises AuditKeyError, writing nothing, when the audit key is missing: no event is ever written unkeyed."""
    key = audit_key()
    with transaction.atomic():
        _lock_chain()
        last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
        previous_hash = last or chain.GENESIS_HASH
        user = acting_user(actor)
        actor_id = user.pk if getattr(user, "is_authenticated", False) else None
        occurred_at = timezone.now()
        fields = {
            "occurred_at": occurred_at,
            "actor_id": actor_id,
            "actor_username": user.get_username() if actor_id else "",
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id or ""),
            "person_id": person_id,
            "summary": _clean_summary(summary) | ({"via": via} if (via := current_channel()) else {}),
            "request_id": current_request_id(),
        }
        digest = chain.keyed_event_hash(
            key, previous_hash, fields | {"occurred_at": occurred_at.astimezone(UTC).isoformat()}
        )
        return AuditEvent.objects.create(
            previous_hash=previous_hash, hash=digest, chain_version=chain.KEYED, key_id=key.key_id, **fields
        )


# --- views: written only when the page is actually shown --------------------------------------------------

_views_waiting: ContextVar[list[dict[str, Any]] | None] = ContextVar("audit_views_waiting", default=None)


def audit_record_view(**event: Any) -> None:
    """Audit that something was shown (takes `audit_record`'s arguments). Inside a request the event is written
    when the response succeeds (status below 400, see `AuditViewsMiddleware`), so a request that ends in "Page
    not found" or an error records no view; outside a request it is written at once."""
    waiting = _views_waiting.get()
    if waiting is None:
        audit_record(**event)
    else:
        waiting.append(event)


@contextmanager
def audit_views_of_request() -> Iterator[list[dict[str, Any]]]:
    """Collect the view events of one request; the caller writes them with `audit_views_write` on success."""
    waiting: list[dict[str, Any]] = []
    token = _views_waiting.set(waiting)
    try:
        yield waiting
    finally:
        _views_waiting.reset(token)


def audit_views_write(events: list[dict[str, Any]]) -> None:
    with transaction.atomic():
        for event in events:
            audit_record(**event)


@takes_actor
def audit_list_viewed(
    *, actor: Any, list_name: str, rows: int, object_type: str = "", object_id: Any = "", **details: Any
) -> None:
    """Audit that a list of people or participants was shown: which list, how many rows, and `details` (codes,
    ids, page numbers; never free text such as a search)."""
    audit_record_view(
        actor=actor,
        action="list.viewed",
        object_type=object_type or "list",
        object_id=object_id,
        summary={"list": list_name, "rows": rows, **details},
    )


@takes_actor
def audit_trail_viewed(*, actor: Any, person_id: int, page: int, rows: int) -> None:
    """Audit that someone read a person's audit trail (which page of it, how many events were shown)."""
    audit_record_view(
        actor=actor,
        action="audit.trail_viewed",
        object_type="person",
        object_id=person_id,
        person_id=person_id,
        summary={"page": page, "rows": rows},
    )


@takes_actor
def audit_download(
    *, actor: Any, download: str, rows: int, object_type: str, object_id: Any, **details: Any
) -> None:
    """Audit a download (a CSV of aggregates, for example): what, how many rows, and `details` (codes and
    dates only)."""
    audit_record_view(
        actor=actor,
        action="download.made",
        object_type=object_type,
        object_id=object_id,
        summary={"download": download, "rows": rows, **details},
    )


# --- checkpoints ---------------------------------------------------------------------------------------------


class ChainBrokenError(ServiceError):
    """The chain does not verify, so nothing is vouched for. `problems` says what broke."""

    code = "audit_chain_broken"

    def __init__(self, message: str, problems: list[str]):
        super().__init__(message, params={"problems": list(problems)})
        self.problems = problems


def _now_text() -> str:
    return timezone.now().astimezone(UTC).isoformat()


def _problems(report: chain.ChainReport) -> list[str]:
    found = []
    if report.broken is not None:
        found.append(f"event {report.broken.event_id}: {report.broken.reason}")
    if report.unkeyed_unvouched:
        found.append(_unvouched(report))
    return found + report.checkpoint_problems


@takes_actor
def audit_checkpoint_write(
    *, location: Path | None = None, vouch_unkeyed: bool = False, actor: Any = None
) -> chain.Checkpoint | None:
    """Append a signed checkpoint of the chain's last event to the checkpoint file (outside the database).

    Only the events since the latest valid checkpoint are walked (the whole chain when there is none), so this
    is cheap to run every few minutes. Returns None when no event was written since. Raises ChainBrokenError,
    writing nothing, when those events do not verify or the latest checkpoint's event has changed or gone.
    AuditKeyError when there is no audit key.

    Unkeyed events that no checkpoint vouches for (an upgraded trail whose first checkpoint was lost) are refused
    too, unless `vouch_unkeyed`: someone has checked them, and says so by an audited `audit.unkeyed_vouched` event
    that the new checkpoint then covers."""
    key = audit_key()
    keyring = audit_keyring()
    location = Path(location or settings.CONNECTING_PEOPLE_AUDIT_CHECKPOINTS)
    checkpoints, _unreadable = checkpoints_read(location)  # `audit verify` reports unreadable lines
    previous = latest_checkpoint(checkpoints, keyring)
    archive = audit_archive_anchor()
    if previous is not None and archive is not None and previous.count < archive.count:
        previous = None  # only events since archived are checkpointed: start from the archive
    with transaction.atomic():
        if vouch_unkeyed:
            _lock_chain()  # nothing may slip in between the walk and the event that vouches
        if previous is None:
            report = chain.verify_chain(chain_rows(), keyring=keyring, anchor=archive)
        else:
            now_there: str | None
            if archive is not None and previous.event_id == archive.event_id:
                now_there = archive.event_hash
            else:
                now_there = audit_event_hash(event_id=previous.event_id)
            if now_there != previous.event_hash:
                raise ChainBrokenError(
                    f"No checkpoint written: {previous.label} no longer matches the chain. Run `audit verify`.",
                    [f"{previous.label}: event {previous.event_id} is missing or has changed"],
                )
            start = chain.Anchor(previous.event_id, previous.event_hash, previous.count, previous.keyed_from)
            report = chain.verify_chain(chain_rows(after_id=previous.event_id), keyring=keyring, anchor=start)
        if report.broken is not None or report.checkpoint_problems:
            raise ChainBrokenError(
                "No checkpoint written: the audit chain does not verify. Run `audit verify`.",
                _problems(report),
            )
        if report.unkeyed_unvouched and not vouch_unkeyed:
            raise ChainBrokenError(
                "No checkpoint written: "
                + _unvouched(report)
                + " If they are genuine, check them and run `audit checkpoint --vouch-unkeyed`.",
                [],
            )
        if report.last_id is None:
            return None
        last_id, last_hash, count = report.last_id, report.last_hash, report.count
        keyed_from = report.keyed_from
        if report.unkeyed_unvouched:
            event = audit_record(
                actor=actor,
                action="audit.unkeyed_vouched",
                object_type="audit_chain",
                object_id=chain.CHAIN,
                summary={"version_1_events": report.unkeyed, "up_to_event": last_id},
            )
            last_id, last_hash, count = event.pk, event.hash, count + 1
            keyed_from = keyed_from or event.pk
    checkpoint = chain.checkpoint_sign(
        key,
        event_id=last_id,
        event_hash=last_hash,
        count=count,
        keyed_from=keyed_from,
        written_at=_now_text(),
    )
    checkpoint_append(location, checkpoint)
    return checkpoint


def _unvouched(report: chain.ChainReport) -> str:
    return (
        f"{report.unkeyed} unkeyed events (written before the audit key) are not vouched for by any checkpoint "
        "signed with the key, so a rewrite of them could not be told apart."
    )


# --- archiving (retention of the audit trail itself) ----------------------------------------------------------


@dataclass(frozen=True)
class ArchiveResult:
    path: Path | None
    events: int
    first_event: int | None
    last_event: int | None
    file_sha256: str = ""


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _archive_boundary(before: date) -> tuple[int | None, int | None]:
    """The first and last id of the oldest events all written before `before` (local time): a prefix of the chain,
    ending before the first event written on or after that day."""
    first = AuditEvent.objects.order_by("id").values_list("id", flat=True).first()
    kept = (
        AuditEvent.objects.filter(occurred_at__gte=_start_of(before))
        .order_by("id")
        .values_list("id", flat=True)
        .first()
    )
    events = AuditEvent.objects.all() if kept is None else AuditEvent.objects.filter(id__lt=kept)
    last = events.order_by("-id").values_list("id", flat=True).first()
    return (first, last) if last is not None else (None, None)


@takes_actor
def audit_archive(*, actor: Any, before: date, directory: Path) -> ArchiveResult:
    """Move the events written before `before` to a file in `directory`, keeping the rest verifiable.

    In order: the whole chain and every checkpoint must verify (ChainBrokenError otherwise, nothing done); the
    old events are written to `audit-archive-<first>-<last>.jsonl` (a header line, one line per event, and a
    last line holding a signed checkpoint of the last archived event), which is also appended to the
    checkpoint file; then, in one transaction, they are deleted under a controlled lifting of the DELETE
    trigger and an `audit.archived` event records what went where, so the chain verifies from that checkpoint.
    On PostgreSQL the deletion needs the role that owns the audit table (ServiceError otherwise, nothing
    deleted). Returns what was archived (no file when nothing was old enough)."""
    key = audit_key()
    keyring = audit_keyring()
    if before > timezone.localdate():
        raise ServiceError(
            "The date to archive before cannot be in the future.",
            field="before",
            code="archive_date_in_future",
            params={"before": before},
        )
    report = audit_chain_verify(keyring=keyring)
    if not report.intact:
        raise ChainBrokenError(
            "Nothing archived: the audit chain does not verify. Run `audit verify`.", _problems(report)
        )
    first, last = _archive_boundary(before)
    if last is None:
        return ArchiveResult(path=None, events=0, first_event=None, last_event=None)
    anchor = audit_archive_anchor()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"audit-archive-{first:012d}-{last:012d}.jsonl"
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    except FileExistsError:
        raise ServiceError(
            f"{path} is already there: archive files are never replaced.",
            code="archive_file_exists",
            params={"path": str(path)},
        ) from None
    digest = hashlib.sha256()

    def write(line: str) -> None:
        data = (line + "\n").encode("utf-8")
        digest.update(data)
        file.write(data)

    with os.fdopen(descriptor, "wb") as file:
        write(
            json.dumps(
                {
                    "format": 1,
                    "kind": "audit-archive",
                    "chain": chain.CHAIN,
                    "before": before.isoformat(),
                    "starts_after": None if anchor is None else asdict(replace(anchor, source_event_id=None)),
                }
            )
        )

        def rows_written() -> Iterator[dict[str, Any]]:
            for row in chain_rows(up_to_id=last):
                write(json.dumps(row, sort_keys=True, default=str))
                yield row

        start = None if anchor is None else replace(anchor, source_event_id=None)
        part = chain.verify_chain(rows_written(), keyring=keyring, anchor=start)
        checkpoint = chain.checkpoint_sign(
            key,
            event_id=last,
            event_hash=part.last_hash,
            count=part.count,
            keyed_from=part.keyed_from,
            written_at=_now_text(),
            kind="archive",
        )
        write(checkpoint.to_json())
        file.flush()
        os.fsync(file.fileno())
    checkpoint_append(settings.CONNECTING_PEOPLE_AUDIT_CHECKPOINTS, checkpoint)

    with transaction.atomic():
        _lock_chain()
        if (
            audit_event_hash(event_id=last) != part.last_hash
            or audit_events_count(up_to_id=last) != part.events
        ):
            raise ChainBrokenError(
                "Nothing deleted: the archived events changed while they were being written.", []
            )
        try:
            with triggers.deletion_allowed(connection):
                deleted, _ = AuditEvent.objects.filter(id__lte=last).delete()
        except DatabaseError as error:
            raise ServiceError(
                f"The archive file {path} was written, but the archived events could not be removed "
                f"({str(error).strip().splitlines()[0]}). On PostgreSQL, run `audit archive` as the database "
                "role that owns the audit table (give its DATABASE_URL).",
                code="archive_events_not_removed",
                params={"path": str(path), "error": str(error).strip().splitlines()[0]},
            ) from None
        audit_record(
            actor=actor,
            action=ARCHIVED_ACTION,
            object_type="audit_chain",
            object_id=chain.CHAIN,
            summary={
                "before": before,
                "first_event": first,
                "last_event": last,
                "last_hash": part.last_hash,
                "events": part.count,
                "archived": deleted,
                "first_signed_event": part.keyed_from,
                "file": path.name,
                "file_sha256": digest.hexdigest(),
            },
        )
    return ArchiveResult(
        path=path, events=deleted, first_event=first, last_event=last, file_sha256=digest.hexdigest()
    )
