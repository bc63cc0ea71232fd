"""The chain and its checkpoints as pure functions: no database."""

import pickle

import pytest

from connecting_people.audit.chain import (
    GENESIS_HASH,
    KEYED,
    UNKEYED,
    Anchor,
    AuditKey,
    AuditKeyError,
    Checkpoint,
    checkpoint_sign,
    checkpoint_signature_valid,
    find_first_break,
    keyed_event_hash,
    keyring_of,
    parse_keys,
    unkeyed_event_hash,
    verify_chain,
)

KEY = AuditKey("test-audit-key-0123456789-abcdefghijklmnop")
OTHER_KEY = AuditKey("another-key-9876543210-zyxwvutsrqponmlkjih")
KEYRING = keyring_of([KEY])


def fields(index: int) -> dict:
    return {
        "occurred_at": f"2026-01-{index + 1:02d}T10:00:00+00:00",
        "actor_id": 1,
        "actor_username": "a",
        "action": "person.viewed",
        "object_type": "person",
        "object_id": str(index),
        "person_id": index,
        "summary": {"page": "overview"},
        "request_id": "r",
    }


def make_chain(count: int, *, unkeyed: int = 0, key: AuditKey = KEY, retired: int = 0, retired_key=OTHER_KEY):
    """`count` events: the first `unkeyed` of them unkeyed (as before the audit key), then `retired` signed with
    `retired_key`, the rest with `key`."""
    events, previous = [], GENESIS_HASH
    for index in range(count):
        data = fields(index)
        key_now = retired_key if unkeyed <= index < unkeyed + retired else key
        if index < unkeyed:
            digest, version, key_id = unkeyed_event_hash(previous, data), UNKEYED, ""
        else:
            digest, version, key_id = keyed_event_hash(key_now, previous, data), KEYED, key_now.key_id
        events.append(
            {
                "id": 1 + index,
                "previous_hash": previous,
                "hash": digest,
                "chain_version": version,
                "key_id": key_id,
                **data,
            }
        )
        previous = digest
    return events


def sign(events, index, **overrides) -> Checkpoint:
    event = events[index]
    values = {
        "event_id": event["id"],
        "event_hash": event["hash"],
        "count": index + 1,
        "keyed_from": next((e["id"] for e in events[: index + 1] if e["chain_version"] == KEYED), None),
        "written_at": "2026-02-01T00:00:00+00:00",
    }
    return checkpoint_sign(KEY, **(values | overrides))


# --- keys -----------------------------------------------------------------------------------------------------


def test_a_key_is_never_shown_nor_pickled():
    assert "0123456789" not in repr(KEY) and KEY.key_id in repr(KEY)
    with pytest.raises(TypeError):
        pickle.dumps(KEY)


@pytest.mark.parametrize("secret", ["", "short", "ab" * 30])
def test_weak_keys_are_refused(secret):
    with pytest.raises(AuditKeyError):
        AuditKey(secret)


def test_keys_file_text_one_per_line_with_comments():
    text = "# retired 2026-01\nretired-one-0123456789-abcdefghijklmnop\n\n  retired-two-9876543210-qrstuvwxyzabcd  \n"
    assert len(parse_keys(text)) == 2


def test_key_ids_differ_and_reveal_nothing():
    assert KEY.key_id != OTHER_KEY.key_id and len(KEY.key_id) == 16


# --- the chain ------------------------------------------------------------------------------------------------


def test_intact_keyed_chain_has_no_break():
    report = verify_chain(make_chain(5), keyring=KEYRING)
    assert report.intact and (report.events, report.unkeyed, report.keyed_from) == (5, 0, 1)


def test_unkeyed_prefix_then_keyed_events_verify_when_a_checkpoint_vouches_for_them():
    events = make_chain(5, unkeyed=3)
    report = verify_chain(events, keyring=KEYRING, checkpoints=[sign(events, 3)])
    assert report.intact and (report.unkeyed, report.keyed_from) == (3, 4)


def test_unkeyed_events_no_checkpoint_vouches_for_are_not_believed():
    """Without the key anyone could rewrite a whole chain unkeyed; only a signed checkpoint tells the honest
    unkeyed events of an upgraded trail from such a rewrite."""
    events = make_chain(5, unkeyed=3)
    assert verify_chain(events, keyring=KEYRING).unkeyed_unvouched
    assert not verify_chain(events, keyring=KEYRING, checkpoints=[sign(events, 1)]).intact
    assert not verify_chain(make_chain(4, unkeyed=4), keyring=KEYRING).intact


def test_changed_content_is_found_at_the_changed_event():
    events = make_chain(5)
    events[2]["summary"] = {"page": "edit"}
    assert find_first_break(events, KEYRING).event_id == 3


def test_removed_event_is_found_at_the_next_one():
    events = make_chain(5)
    del events[1]
    broken = find_first_break(events, KEYRING)
    assert broken.event_id == 3 and "removed" in broken.reason


def test_hash_depends_on_the_previous_hash_and_the_key():
    data = fields(0)
    assert keyed_event_hash(KEY, GENESIS_HASH, data) != keyed_event_hash(KEY, "f" * 64, data)
    assert keyed_event_hash(KEY, GENESIS_HASH, data) != keyed_event_hash(OTHER_KEY, GENESIS_HASH, data)
    assert unkeyed_event_hash(GENESIS_HASH, data) != keyed_event_hash(KEY, GENESIS_HASH, data)


def test_an_event_rehashed_without_the_key_is_refused():
    """Someone without the key rewrites an event and recomputes its hash with a key of their own."""
    events = make_chain(3)
    forged = make_chain(3, key=OTHER_KEY)
    events[1] = forged[1] | {"previous_hash": events[0]["hash"], "key_id": KEY.key_id}
    events[1]["hash"] = keyed_event_hash(OTHER_KEY, events[0]["hash"], events[1])
    assert "content does not match" in find_first_break(events, KEYRING).reason


def test_an_event_signed_with_an_unknown_key_is_refused():
    events = make_chain(3, key=OTHER_KEY)
    assert "neither the audit key" in find_first_break(events, KEYRING).reason


def test_a_retired_key_in_the_keyring_verifies_what_it_signed():
    """Rotation: events signed with the old key, then with the new one."""
    events = make_chain(4, retired=2)
    assert verify_chain(events, keyring=keyring_of([KEY, OTHER_KEY])).intact
    assert find_first_break(events, KEYRING).event_id == 1


def test_an_unkeyed_event_after_keyed_ones_is_refused():
    """A forged event appended with the old, unkeyed hash: versions never go backwards."""
    events = make_chain(3)
    forged = fields(3) | {
        "id": 4,
        "previous_hash": events[-1]["hash"],
        "chain_version": UNKEYED,
        "key_id": "",
    }
    forged["hash"] = unkeyed_event_hash(events[-1]["hash"], forged)
    broken = find_first_break([*events, forged], KEYRING)
    assert broken.event_id == 4 and "backwards" in broken.reason


def test_an_unknown_chain_version_is_refused():
    events = make_chain(2)
    events[1]["chain_version"] = 7
    assert "version 7" in find_first_break(events, KEYRING).reason


# --- checkpoints ----------------------------------------------------------------------------------------------


def test_checkpoint_round_trips_and_its_signature_holds():
    events = make_chain(3)
    checkpoint = sign(events, 2)
    again = Checkpoint.from_json(checkpoint.to_json())
    assert again == checkpoint and checkpoint_signature_valid(again, KEYRING)
    assert not checkpoint_signature_valid(again, keyring_of([OTHER_KEY]))


@pytest.mark.parametrize(
    "change", [{"count": 2}, {"event_id": 2}, {"event_hash": "0" * 64}, {"keyed_from": None}]
)
def test_a_changed_checkpoint_fails_its_signature(change):
    events = make_chain(3)
    checkpoint = sign(events, 2)
    tampered = Checkpoint(**{**checkpoint.__dict__, **change})
    report = verify_chain(events, keyring=KEYRING, checkpoints=[tampered])
    assert not report.intact and "signature does not match" in report.checkpoint_problems[0]


@pytest.mark.parametrize("text", ["", "{}", "[1]", '{"event_id": "3"}', "not json"])
def test_text_that_is_no_checkpoint_is_refused(text):
    with pytest.raises(ValueError):
        Checkpoint.from_json(text)


def test_checkpoints_that_hold_are_counted_and_the_tail_after_them_reported():
    events = make_chain(6)
    report = verify_chain(events, keyring=KEYRING, checkpoints=[sign(events, 1), sign(events, 3)])
    assert report.intact and report.checkpoints_verified == 2
    assert report.latest_checkpoint.event_id == 4 and report.since_latest_checkpoint == 2


def test_removing_the_newest_events_is_caught_by_a_checkpoint_that_covers_them():
    events = make_chain(6)
    checkpoint = sign(events, 5)
    report = verify_chain(events[:4], keyring=KEYRING, checkpoints=[checkpoint])
    assert report.broken is None  # the chain itself still verifies: only the checkpoint shows the loss
    assert "newest events were removed" in report.checkpoint_problems[0]


def test_removing_the_newest_events_after_the_last_checkpoint_goes_unnoticed():
    """The documented limit: what no checkpoint covers yet can be dropped without trace."""
    events = make_chain(6)
    report = verify_chain(events[:4], keyring=KEYRING, checkpoints=[sign(events, 3)])
    assert report.intact


def test_a_checkpointed_event_that_changed_or_went_missing_is_named():
    events = make_chain(5)
    checkpoint = sign(events, 2)
    changed = [dict(e) for e in events]
    changed[2]["hash"] = "e" * 64
    assert (
        "has changed"
        in verify_chain(changed, keyring=KEYRING, checkpoints=[checkpoint]).checkpoint_problems[0]
    )
    missing = events[:2] + events[3:]
    assert (
        "is missing"
        in verify_chain(missing, keyring=KEYRING, checkpoints=[checkpoint]).checkpoint_problems[0]
    )


def test_reordered_events_are_caught_by_the_chain_and_a_checkpoint():
    events = make_chain(5)
    checkpoint = sign(events, 2)
    swapped = [dict(e) for e in events]
    for field in ("hash", "previous_hash", "object_id", "person_id", "occurred_at"):
        swapped[1][field], swapped[2][field] = events[2][field], events[1][field]
    report = verify_chain(swapped, keyring=KEYRING, checkpoints=[checkpoint])
    assert report.broken.event_id == 2
    assert "now event 2" in report.checkpoint_problems[0]


def test_a_checkpoint_at_another_position_is_named():
    events = make_chain(5)
    checkpoint = sign(events, 2, count=4)
    report = verify_chain(events, keyring=KEYRING, checkpoints=[checkpoint])
    assert "was event number 4" in report.checkpoint_problems[0]


def test_a_chain_rewritten_unkeyed_is_caught_by_a_checkpoint():
    """Someone rewrites the keyed events with unkeyed hashes end to end: the chain alone would pass, the
    checkpoint's hash and first keyed event do not."""
    events = make_chain(4, unkeyed=2)
    checkpoint = sign(events, 3)
    rewritten = make_chain(4, unkeyed=4)
    report = verify_chain(rewritten, keyring=KEYRING, checkpoints=[checkpoint])
    assert report.broken is None and "has changed" in report.checkpoint_problems[0]


def test_a_chain_continues_from_an_archive_anchor():
    events = make_chain(6)
    anchor = Anchor(events[2]["id"], events[2]["hash"], 3, 1)
    rest = events[3:]
    report = verify_chain(
        rest, keyring=KEYRING, checkpoints=[sign(events, 1), sign(events, 2), sign(events, 4)], anchor=anchor
    )
    assert report.intact and report.count == 6
    assert (report.checkpoints_verified, report.checkpoints_in_archive) == (2, 1)
    assert "link" in find_first_break(rest, KEYRING).reason  # without the anchor the start looks cut off


def test_an_event_put_back_into_the_archived_part_is_refused():
    events = make_chain(6)
    anchor = Anchor(events[2]["id"], events[2]["hash"], 3, 1)
    report = verify_chain(events[2:], keyring=KEYRING, anchor=anchor)
    assert report.broken.event_id == 3 and "archived part" in report.broken.reason
