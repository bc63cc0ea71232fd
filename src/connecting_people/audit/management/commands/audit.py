"""`connecting-people audit verify|checkpoint|archive`: check, anchor and archive the audit trail (ADR 0009).

    connecting-people audit verify [--archive FILE ...]
    connecting-people audit checkpoint
    connecting-people audit archive --before YYYY-MM-DD --to DIR [--user USERNAME]

verify walks the chain from its first event to its last, checking every link and keyed hash, and checks every
checkpoint in the checkpoint file (and each archive file given) against it. Exit 0 when all holds; 1 naming each
thing that broke; 2 when it cannot check (no audit key while keyed events exist, an unreadable file).

checkpoint appends a signed checkpoint of the last event to the checkpoint file, after verifying the events
since the previous checkpoint. Run it from a timer (every 5 minutes is suggested). Exit 1 when those events do
not verify (nothing written), 2 without an audit key.

archive moves the events written before a date to a file in DIR, ending with a signed checkpoint, and removes
them from the table under a controlled, audited lifting of the DELETE trigger, so the rest still verifies.
"""

from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from connecting_people.audit.archives import ArchiveFileError, archive_verify
from connecting_people.audit.chain import AuditKeyError, ChainReport
from connecting_people.audit.checkpoints import checkpoint_file, checkpoints_read
from connecting_people.audit.keys import audit_keyring
from connecting_people.audit.selectors import (
    audit_archive_anchor,
    audit_chain_has_keyed_events,
    audit_chain_verify,
)
from connecting_people.audit.services import ChainBrokenError, audit_archive, audit_checkpoint_write
from connecting_people.core.commands import USAGE_ERROR, acting_user
from connecting_people.core.errors import ServiceError

BROKEN = 1


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date like 2026-01-31", returncode=USAGE_ERROR) from None


class Command(BaseCommand):
    help = "Verify, checkpoint or archive the audit trail."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="verify|checkpoint|archive")
        verify = actions.add_parser(
            "verify",
            help="Check the whole chain and every checkpoint; exit 1 naming what broke.",
            description="Recompute every link and hash from the first event to the last, and check every "
            "signed checkpoint against the events.",
        )
        verify.add_argument(
            "--archive",
            action="append",
            default=[],
            metavar="FILE",
            type=Path,
            help="an archive file written by `audit archive` to verify as well (repeat, oldest first)",
        )
        checkpoint = actions.add_parser(
            "checkpoint",
            help="Append a signed checkpoint of the last event to the checkpoint file.",
            description="Verify the events since the latest checkpoint, then append a signed checkpoint of the "
            "last one to the checkpoint file (CONNECTING_PEOPLE_AUDIT_CHECKPOINTS).",
        )
        checkpoint.add_argument(
            "--vouch-unkeyed",
            action="store_true",
            help="vouch for unkeyed events (written before the audit key) that no checkpoint covers, after "
            "checking them; recorded in the audit trail",
        )
        checkpoint.add_argument("--user", metavar="USERNAME", help="who is vouching (recorded in the audit)")
        archive = actions.add_parser(
            "archive",
            help="Move events written before a date to a file, keeping the rest verifiable.",
            description="Write the events written before DATE to a file in DIR ending with a signed "
            "checkpoint, then remove them from the database (audited). The chain then verifies from that "
            "checkpoint.",
        )
        archive.add_argument("--before", required=True, type=_day, metavar="YYYY-MM-DD")
        archive.add_argument("--to", required=True, type=Path, metavar="DIR", help="where the file goes")
        archive.add_argument("--user", metavar="USERNAME", help="who is archiving (recorded in the audit)")

    def handle(self, *args, **options):
        try:
            if options["action"] == "verify":
                self.verify(options["archive"])
            elif options["action"] == "checkpoint":
                self.checkpoint(options)
            else:
                self.archive(options)
        except AuditKeyError as error:
            raise CommandError(str(error), returncode=USAGE_ERROR) from None

    # --- verify -------------------------------------------------------------------------------------------

    def verify(self, archive_files: list[Path]) -> None:
        keyring = audit_keyring()
        if not keyring and audit_chain_has_keyed_events():
            raise CommandError(
                "The audit trail holds keyed events, and no audit key is configured to check them: set "
                "CONNECTING_PEOPLE_AUDIT_KEY_FILE or CONNECTING_PEOPLE_AUDIT_KEY.",
                returncode=USAGE_ERROR,
            )
        problems: list[str] = []
        checkpoints, _ = checkpoints_read(settings.CONNECTING_PEOPLE_AUDIT_CHECKPOINTS)
        previous_end = None
        for path in archive_files:
            try:
                part, final, starts = archive_verify(path, keyring=keyring, checkpoints=checkpoints)
            except ArchiveFileError as error:
                raise CommandError(str(error), returncode=USAGE_ERROR) from None
            problems += [f"{path.name}: {problem}" for problem in _report_problems(part)]
            if previous_end is not None and (
                starts is None or (starts.event_id, starts.event_hash) != previous_end
            ):
                problems.append(f"{path.name} does not continue from the archive file before it")
            previous_end = (final.event_id, final.event_hash) if final else None
            if not _report_problems(part):
                self.stdout.write(f"Archive {path.name} intact: {part.events} events verified.")
        anchor = audit_archive_anchor()
        if archive_files and anchor and previous_end and anchor.event_id == previous_end[0]:
            if anchor.event_hash != previous_end[1]:
                problems.append("the chain in the database does not continue from the last archive file")

        report = audit_chain_verify(keyring=keyring)
        problems = _report_problems(report) + problems
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise SystemExit(BROKEN)
        self._describe(report, anchor)

    def _describe(self, report: ChainReport, anchor) -> None:
        keyed = report.events - report.unkeyed
        detail = (
            f" ({report.unkeyed} unkeyed, written before the audit key; {keyed} keyed)"
            if report.unkeyed
            else ""
        )
        self.stdout.write(f"Audit chain intact: {report.events} events verified{detail}.")
        if anchor is not None:
            self.stdout.write(
                f"It continues an archived part of {anchor.count} events (up to event {anchor.event_id})."
            )
        latest = report.latest_checkpoint
        if latest is None:
            self.stdout.write(
                "No checkpoint yet: events removed from the end of the chain would go unnoticed. Schedule "
                f"`connecting-people audit checkpoint` (writing to {checkpoint_file(settings.CONNECTING_PEOPLE_AUDIT_CHECKPOINTS)})."
            )
        else:
            self.stdout.write(
                f"Checkpoints: {report.checkpoints_verified} verified"
                + (
                    f", {report.checkpoints_in_archive} inside the archived part"
                    if report.checkpoints_in_archive
                    else ""
                )
                + f"; the latest, written {latest.written_at}, covers event {latest.event_id}."
            )
            since = report.since_latest_checkpoint
            if since:
                self.stdout.write(
                    f"{since} events since then are not yet covered: removing them would go unnoticed until "
                    "the next checkpoint."
                )
        # Kept for scripts that compare it with a copy taken elsewhere.
        self.stdout.write(f"Last event hash: {report.last_hash}")

    # --- checkpoint ---------------------------------------------------------------------------------------

    def checkpoint(self, options) -> None:
        vouch = options["vouch_unkeyed"]
        user = acting_user(options["user"], required=False) if vouch else None
        try:
            written = audit_checkpoint_write(vouch_unkeyed=vouch, actor=user)
        except ChainBrokenError as error:
            self.stderr.write(error.message)
            for problem in error.problems:
                self.stderr.write(problem)
            raise SystemExit(BROKEN) from None
        if written is None:
            self.stdout.write("No new events since the latest checkpoint: nothing written.")
        else:
            self.stdout.write(
                f"Checkpoint written: event {written.event_id}, number {written.count} of the chain "
                f"(to {checkpoint_file(settings.CONNECTING_PEOPLE_AUDIT_CHECKPOINTS)})."
            )

    # --- archive ------------------------------------------------------------------------------------------

    def archive(self, options) -> None:
        user = acting_user(options["user"], required=False)
        try:
            result = audit_archive(actor=user, before=options["before"], directory=options["to"])
        except ChainBrokenError as error:
            self.stderr.write(error.message)
            for problem in error.problems:
                self.stderr.write(problem)
            raise SystemExit(BROKEN) from None
        except ServiceError as error:
            raise CommandError(error.message, returncode=USAGE_ERROR) from None
        if result.path is None:
            self.stdout.write(f"No events written before {options['before']:%d %B %Y}: nothing archived.")
            return
        self.stdout.write(
            f"Archived {result.events} events ({result.first_event} to {result.last_event}) to {result.path} "
            f"(SHA-256 {result.file_sha256}). Keep the file as long as the retention period requires."
        )


def _report_problems(report: ChainReport) -> list[str]:
    found = []
    if report.broken is not None:
        found.append(f"Audit chain broken at event {report.broken.event_id}: {report.broken.reason}.")
    if report.unkeyed_unvouched:
        found.append(
            f"{report.unkeyed} unkeyed events (written before the audit key) are not vouched for by any "
            "checkpoint signed with the key: they may have been rewritten. If this trail was upgraded and its "
            "first checkpoint lost, check them and run `audit checkpoint --vouch-unkeyed`."
        )
    return found + [f"Checkpoint problem: {problem}." for problem in report.checkpoint_problems]
