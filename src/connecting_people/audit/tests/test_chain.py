"""The hash chain as pure functions: no database."""

from connecting_people.audit.chain import GENESIS_HASH, event_hash, find_first_break


def make_chain(count: int) -> list[dict]:
    events, previous = [], GENESIS_HASH
    for index in range(count):
        fields = {
            "occurred_at": f"2026-01-0{index + 1}T10:00:00+00:00",
            "actor_id": 1,
            "actor_username": "a",
            "action": "person.viewed",
            "object_type": "person",
            "object_id": str(index),
            "person_id": index,
            "summary": {"page": "overview"},
            "request_id": "r",
        }
        digest = event_hash(previous, fields)
        events.append({"id": index + 1, "previous_hash": previous, "hash": digest, **fields})
        previous = digest
    return events


def test_intact_chain_has_no_break():
    assert find_first_break(make_chain(5)) is None


def test_changed_content_is_found_at_the_changed_event():
    events = make_chain(5)
    events[2]["summary"] = {"page": "edit"}
    assert find_first_break(events).event_id == 3


def test_removed_event_is_found_at_the_next_one():
    events = make_chain(5)
    del events[1]
    broken = find_first_break(events)
    assert broken.event_id == 3 and "removed" in broken.reason


def test_hash_depends_on_the_previous_hash():
    fields = make_chain(1)[0]
    assert event_hash(GENESIS_HASH, fields) != event_hash("f" * 64, fields)
