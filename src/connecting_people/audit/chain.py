"""The hash chain, as pure functions over plain data (no Django imports).

Each event's hash is SHA-256 over the previous event's hash and a canonical JSON encoding of the event's
own fields, so changing, removing or reordering any event breaks every hash after it.
"""

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS_HASH = "0" * 64

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


def event_hash(previous_hash: str, fields: Mapping[str, Any]) -> str:
    """Hash of one event. `fields` holds CHAINED_FIELDS; occurred_at as an ISO 8601 string in UTC."""
    payload = {name: fields[name] for name in CHAINED_FIELDS}
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return hashlib.sha256((previous_hash + "|" + encoded).encode("ascii")).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    reason: str


def find_first_break(events: Iterable[Mapping[str, Any]]) -> ChainBreak | None:
    """Walk events in id order (each a mapping with id, previous_hash, hash and CHAINED_FIELDS).

    Returns the first event whose link or hash does not match, or None when the chain is intact.
    """
    expected_previous = GENESIS_HASH
    for event in events:
        if event["previous_hash"] != expected_previous:
            return ChainBreak(
                event["id"],
                "its link to the previous event does not match (an event was removed or inserted)",
            )
        if event_hash(event["previous_hash"], event) != event["hash"]:
            return ChainBreak(event["id"], "its content does not match its hash (the event was changed)")
        expected_previous = event["hash"]
    return None
