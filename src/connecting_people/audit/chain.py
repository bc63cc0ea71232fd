"""The audit chain and its checkpoints, as pure functions over plain data (no Django imports).

Each event carries the hash of the one before it, so changing, removing or reordering an event breaks the chain
after it. Two chain versions exist, and along the chain they never go backwards:

* version 1 (`UNKEYED`, ADR 0002): SHA-256 over the previous hash and the event's canonical JSON. Anyone who
  can write to the database can recompute it, so it shows accidents, not deliberate rewriting.
* version 2 (`KEYED`, ADR 0009): HMAC-SHA256 with the audit key, which is kept outside the database, over the
  same plus the version and the key's id. Without the key nobody can make an event that verifies.

A checkpoint is a signed statement, kept outside the database, that event N has hash H and is the C-th event
of the chain. Checkpoints catch what the chain alone cannot: events removed from its end, and a chain rebuilt
by someone who holds the key but not the checkpoints. `verify_chain` checks both in one pass over the events.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

GENESIS_HASH = "0" * 64
CHAIN = "main"  # one chain today; the name is in every checkpoint so that several chains can coexist later
UNKEYED = 1
KEYED = 2
CHECKPOINT_FORMAT = 1
MINIMUM_KEY_CHARACTERS = 32
MINIMUM_DISTINCT_CHARACTERS = 10

CHAINED_FIELDS = (
    "occurred_at",
    "actor_id",
    "actor_username",
    "action",
    "object_type",
    "object_id",
    "person_id",
    "summary",
    "request_id",
)

_HOW = "Make one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"


class AuditKeyError(Exception):
    """The audit key is missing, unreadable or weak. The message is fit to show and never contains the key."""


class AuditKey:
    """The secret behind keyed events and checkpoint signatures, used only through `mac`.

    Its `key_id` (16 hexadecimal characters, itself an HMAC) names the key in events and checkpoints without
    revealing it. Like the study key, it hides itself from `repr` and refuses to be pickled.
    """

    __slots__ = ("_secret", "_keyed", "key_id")

    def __init__(self, secret: str | bytes) -> None:
        text = secret.decode("utf-8", errors="strict") if isinstance(secret, bytes) else secret
        text = text.strip()
        if not text:
            raise AuditKeyError(f"the audit key is empty. {_HOW}")
        if len(text) < MINIMUM_KEY_CHARACTERS:
            raise AuditKeyError(
                f"the audit key is too short: it needs at least {MINIMUM_KEY_CHARACTERS} characters. {_HOW}"
            )
        if len(set(text)) < MINIMUM_DISTINCT_CHARACTERS:
            raise AuditKeyError(
                f"the audit key is too weak: it needs at least {MINIMUM_DISTINCT_CHARACTERS} different "
                f"characters. {_HOW}"
            )
        self._secret = text.encode("utf-8")
        # Keyed once; each digest copies it (a chain walk makes one digest per event).
        self._keyed = hmac.new(self._secret, b"connecting-people audit ", hashlib.sha256)
        self.key_id = self.mac("key-id", b"").hex()[:16]

    def mac(self, purpose: str, message: bytes) -> bytes:
        """HMAC-SHA256 of `message`, labelled with `purpose` so that one use's digest never serves another."""
        digest = self._keyed.copy()
        digest.update(purpose.encode("ascii") + b"\n" + message)
        return digest.digest()

    def same_secret_as(self, other: str | bytes) -> bool:
        """Whether `other` is this key (for refusing an audit key that is also the study key or SECRET_KEY)."""
        text = other.decode("utf-8", errors="replace") if isinstance(other, bytes) else other
        return hmac.compare_digest(self._secret, text.strip().encode("utf-8"))

    def __repr__(self) -> str:
        return f"AuditKey(key_id={self.key_id})"

    def __reduce__(self):  # noqa: ANN204 - pickling is refused whatever the protocol
        raise TypeError("an audit key is never pickled")


def keyring_of(keys: Iterable[AuditKey]) -> dict[str, AuditKey]:
    """Keys by their id: the current key and any retired keys kept to verify older events."""
    return {key.key_id: key for key in keys}


def parse_keys(text: str) -> list[AuditKey]:
    """Keys from a file's text: one per line; blank lines and lines starting with # are ignored."""
    return [
        AuditKey(line) for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]


def _canonical(payload: Mapping[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)


def unkeyed_event_hash(previous_hash: str, fields: Mapping[str, Any]) -> str:
    """Version 1: SHA-256 of one event. `fields` holds CHAINED_FIELDS; occurred_at as ISO 8601 text in UTC."""
    encoded = _canonical({name: fields[name] for name in CHAINED_FIELDS})
    return hashlib.sha256((previous_hash + "|" + encoded).encode("ascii")).hexdigest()


def keyed_event_hash(key: AuditKey, previous_hash: str, fields: Mapping[str, Any]) -> str:
    """Version 2: HMAC-SHA256 with `key` over the previous hash, CHAINED_FIELDS, the version and the key id."""
    payload = {name: fields[name] for name in CHAINED_FIELDS}
    payload |= {"chain_version": KEYED, "key_id": key.key_id}
    return key.mac("event", (previous_hash + "|" + _canonical(payload)).encode("ascii")).hex()


@dataclass(frozen=True)
class Checkpoint:
    """Signed: event `event_id` of chain `chain` has hash `event_hash` and is the `count`-th event since the
    chain began (archived events included). `keyed_from` is the first keyed event's id (None while none is).
    `kind` is "checkpoint", or "archive" for the one that closes an archive file."""

    event_id: int
    event_hash: str
    count: int
    keyed_from: int | None
    written_at: str
    key_id: str
    signature: str
    kind: str = "checkpoint"
    chain: str = CHAIN
    format: int = CHECKPOINT_FORMAT
    # Where it was read from, for messages (not signed, not written).
    source: str = field(default="", compare=False)

    def signed_text(self) -> bytes:
        payload = asdict(self)
        del payload["signature"], payload["source"]
        return _canonical(payload).encode("ascii")

    def to_json(self) -> str:
        payload = asdict(self)
        del payload["source"]
        return _canonical(payload)

    @classmethod
    def from_json(cls, text: str, source: str = "") -> Checkpoint:
        """Parse one checkpoint; ValueError when the text is not one."""
        try:
            payload = json.loads(text)
            return cls(
                event_id=_int(payload["event_id"]),
                event_hash=str(payload["event_hash"]),
                count=_int(payload["count"]),
                keyed_from=None if payload["keyed_from"] is None else _int(payload["keyed_from"]),
                written_at=str(payload["written_at"]),
                key_id=str(payload["key_id"]),
                signature=str(payload["signature"]),
                kind=str(payload["kind"]),
                chain=str(payload["chain"]),
                format=_int(payload["format"]),
                source=source,
            )
        except (ValueError, TypeError, KeyError) as error:
            raise ValueError(f"not a checkpoint ({error.__class__.__name__})") from None

    @property
    def label(self) -> str:
        where = f" ({self.source})" if self.source else ""
        return f"the checkpoint of event {self.event_id} written {self.written_at}{where}"


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("not a whole number")
    return value


def checkpoint_sign(
    key: AuditKey,
    *,
    event_id: int,
    event_hash: str,
    count: int,
    keyed_from: int | None,
    written_at: str,
    kind: str = "checkpoint",
    chain: str = CHAIN,
) -> Checkpoint:
    unsigned = Checkpoint(
        event_id=event_id,
        event_hash=event_hash,
        count=count,
        keyed_from=keyed_from,
        written_at=written_at,
        key_id=key.key_id,
        signature="",
        kind=kind,
        chain=chain,
    )
    signature = key.mac("checkpoint", unsigned.signed_text()).hex()
    return Checkpoint(**(asdict(unsigned) | {"signature": signature}))


def checkpoint_signature_valid(checkpoint: Checkpoint, keyring: Mapping[str, AuditKey]) -> bool:
    key = keyring.get(checkpoint.key_id)
    if key is None or checkpoint.format != CHECKPOINT_FORMAT:
        return False
    expected = key.mac("checkpoint", checkpoint.signed_text()).hex()
    return hmac.compare_digest(expected, checkpoint.signature)


@dataclass(frozen=True)
class Anchor:
    """Where a chain whose older part was archived starts: the last archived event's id, hash and count, and
    the first keyed event's id. `source_event_id` is the keyed `audit.archived` event that recorded it."""

    event_id: int
    event_hash: str
    count: int
    keyed_from: int | None
    source_event_id: int | None = None


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    reason: str


@dataclass
class ChainReport:
    """What one walk over the chain found."""

    events: int = 0  # events walked
    count: int = 0  # the last event's position in the whole chain (archived events included)
    unkeyed: int = 0
    keyed_from: int | None = None
    last_id: int | None = None
    last_hash: str = GENESIS_HASH
    broken: ChainBreak | None = None
    checkpoint_problems: list[str] = field(default_factory=list)
    checkpoints_verified: int = 0
    checkpoints_in_archive: int = 0
    latest_checkpoint: Checkpoint | None = None
    # Unkeyed events that no signed checkpoint vouches for (see `verify_chain`).
    unkeyed_unvouched: bool = False

    @property
    def intact(self) -> bool:
        return self.broken is None and not self.checkpoint_problems and not self.unkeyed_unvouched

    @property
    def since_latest_checkpoint(self) -> int:
        """Events after the latest verified checkpoint: the part whose removal would go unnoticed."""
        return self.count - (self.latest_checkpoint.count if self.latest_checkpoint else 0)


_REASONS = {
    "link": "its link to the previous event does not match (an event was removed or inserted before it)",
    "content": "its content does not match its hash (the event was changed, or rehashed without the audit key)",
    "backwards": "it is unkeyed but follows keyed events (chain versions never go backwards: it was forged or "
    "rewritten)",
    "archived": "it lies within the archived part of the chain yet is still in the table (it was put back)",
}


def _event_problem(event: Mapping[str, Any], expected_previous: str, highest: int, keyring) -> str | None:
    version = event.get("chain_version") or UNKEYED
    if version not in (UNKEYED, KEYED):
        return f"its chain version {version} is unknown"
    if version < highest:
        return _REASONS["backwards"]
    if event["previous_hash"] != expected_previous:
        return _REASONS["link"]
    if version == UNKEYED:
        digest = unkeyed_event_hash(event["previous_hash"], event)
    else:
        key = keyring.get(event.get("key_id") or "")
        if key is None:
            return (
                f"it is signed with key {event.get('key_id') or '(none)'}, which is neither the audit key nor a "
                "retired audit key given to this check (forged, or a retired key is missing)"
            )
        digest = keyed_event_hash(key, event["previous_hash"], event)
    if not hmac.compare_digest(digest, event["hash"]):
        return _REASONS["content"]
    return None


def verify_chain(
    events: Iterable[Mapping[str, Any]],
    *,
    keyring: Mapping[str, AuditKey],
    checkpoints: Iterable[Checkpoint] = (),
    anchor: Anchor | None = None,
    chain: str = CHAIN,
) -> ChainReport:
    """Walk `events` in id order (mappings with id, previous_hash, hash, chain_version, key_id and
    CHAINED_FIELDS) once, checking every link and hash, and every checkpoint of `chain` against the events.

    `anchor` is where the chain starts when its older part was archived (None: from the genesis hash).
    The report names the first broken event (after a break, links mean nothing) and every checkpoint that
    fails: bad signature, checkpointed event missing, changed, moved or at another position, or beyond the
    chain's end (the newest events were removed).

    Unkeyed events are believed only when a verified checkpoint, signed with the key, vouches for them by
    naming the first keyed event after them (the upgrade to the keyed chain writes one). Otherwise anyone able
    to write to the database could rewrite the whole chain unkeyed, and it would verify.
    """
    report = ChainReport()
    problems = report.checkpoint_problems
    expected_previous = anchor.event_hash if anchor else GENESIS_HASH
    count = anchor.count if anchor else 0
    keyed_from = anchor.keyed_from if anchor else None
    highest = KEYED if keyed_from is not None else UNKEYED
    anchor_source_seen = False

    pending: dict[int, list[Checkpoint]] = {}
    by_hash: dict[str, Checkpoint] = {}
    moved: set[int] = set()
    verified: list[Checkpoint] = []
    for checkpoint in checkpoints:
        if checkpoint.chain != chain:
            continue
        if not checkpoint_signature_valid(checkpoint, keyring):
            problems.append(
                f"{checkpoint.label}: its signature does not match (the checkpoint was changed, or it was not "
                "written with the audit key or a retired audit key given to this check)"
            )
        elif anchor and checkpoint.event_id < anchor.event_id:
            report.checkpoints_in_archive += 1
            if checkpoint.count >= anchor.count:
                problems.append(f"{checkpoint.label}: its count disagrees with the archive's")
        elif anchor and checkpoint.event_id == anchor.event_id:
            if (checkpoint.event_hash, checkpoint.count) != (anchor.event_hash, anchor.count):
                problems.append(f"{checkpoint.label}: it disagrees with the archive record")
            else:
                verified.append(checkpoint)
        else:
            pending.setdefault(checkpoint.event_id, []).append(checkpoint)
            by_hash[checkpoint.event_hash] = checkpoint

    for event in events:
        event_id = event["id"]
        count += 1
        report.events += 1
        if report.broken is None:
            if anchor and event_id <= anchor.event_id:
                problem: str | None = _REASONS["archived"]
            else:
                problem = _event_problem(event, expected_previous, highest, keyring)
            if problem:
                report.broken = ChainBreak(event_id, problem)
        version = event.get("chain_version") or UNKEYED
        highest = max(highest, version)
        if version == UNKEYED:
            report.unkeyed += 1
        elif keyed_from is None:
            keyed_from = event_id
        if anchor and event_id == anchor.source_event_id:
            anchor_source_seen = version == KEYED
        expected_previous = event["hash"]
        report.last_id, report.last_hash = event_id, event["hash"]

        elsewhere = by_hash.get(event["hash"])
        if elsewhere is not None and elsewhere.event_id != event_id and elsewhere.event_id not in moved:
            moved.add(elsewhere.event_id)
            problems.append(f"{elsewhere.label}: that event is now event {event_id} (events were reordered)")
        for checkpoint in pending.pop(event_id, []):
            if checkpoint.event_id in moved:
                continue
            if not hmac.compare_digest(checkpoint.event_hash, event["hash"]):
                problems.append(f"{checkpoint.label}: event {event_id} has changed since")
            elif checkpoint.count != count:
                problems.append(
                    f"{checkpoint.label}: event {event_id} was event number {checkpoint.count} of the chain and "
                    f"is now number {count} (events before it were removed or inserted)"
                )
            elif checkpoint.keyed_from != keyed_from:
                problems.append(f"{checkpoint.label}: the chain's first keyed event has changed since")
            else:
                verified.append(checkpoint)

    report.count, report.keyed_from = count, keyed_from
    for event_id, waiting in sorted(pending.items()):
        for checkpoint in waiting:
            if event_id in moved:
                continue
            if report.last_id is None or event_id > report.last_id:
                problems.append(
                    f"{checkpoint.label}: the chain now ends at "
                    f"{'event ' + str(report.last_id) if report.last_id else 'no event'}, so the newest "
                    "events were removed"
                )
            else:
                problems.append(f"{checkpoint.label}: event {event_id} is missing")
    if anchor and anchor.source_event_id is not None and not anchor_source_seen:
        problems.append(
            f"the archive record (event {anchor.source_event_id}) that says where the chain starts is not a "
            "keyed event in the chain"
        )
    report.unkeyed_unvouched = report.unkeyed > 0 and not any(c.keyed_from is not None for c in verified)
    report.checkpoints_verified = len(verified)
    report.latest_checkpoint = max(verified, key=lambda c: (c.count, c.written_at), default=None)
    return report


def find_first_break(
    events: Iterable[Mapping[str, Any]], keyring: Mapping[str, AuditKey] | None = None
) -> ChainBreak | None:
    """The first event whose link, version or hash does not match, or None when the chain is intact."""
    return verify_chain(events, keyring=keyring or {}).broken
