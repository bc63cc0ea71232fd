"""The client's address behind proxies: only trusted proxies are believed, whatever the client writes."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connecting_people.accounts.client_address import (
    MAX_HOPS,
    client_address,
    parse_address,
    parse_networks,
)

PROXY = parse_networks(["127.0.0.1"])
PROXIES = parse_networks(["127.0.0.1", "10.0.0.0/8", "fd00::/8"])


def address(remote: str | None, forwarded: str | None = None, trusted=PROXIES) -> str | None:
    return client_address(remote_addr=remote, forwarded_for=forwarded, trusted_proxies=trusted)


# --- no trusted proxy: the header is ignored ----------------------------------------------------------------


def test_without_trusted_proxies_the_connection_address_is_the_client():
    assert address("198.51.100.7", "203.0.113.5", trusted=()) == "198.51.100.7"


def test_a_client_that_is_not_a_trusted_proxy_cannot_name_another_address():
    assert address("198.51.100.7", "203.0.113.5") == "198.51.100.7"
    assert address("198.51.100.7", "10.0.0.9") == "198.51.100.7"


# --- behind one proxy ---------------------------------------------------------------------------------------


def test_behind_a_proxy_that_overwrites_the_header():
    assert address("127.0.0.1", "203.0.113.5", trusted=PROXY) == "203.0.113.5"


def test_behind_a_proxy_that_appends_the_header_spoofed_entries_are_ignored():
    """nginx's $proxy_add_x_forwarded_for keeps what the client sent and adds the address it saw, last."""
    assert address("127.0.0.1", "1.2.3.4, 203.0.113.5", trusted=PROXY) == "203.0.113.5"
    assert address("127.0.0.1", "127.0.0.1, 203.0.113.5", trusted=PROXY) == "203.0.113.5"


def test_rotating_the_spoofed_part_never_changes_the_answer():
    answers = {address("127.0.0.1", f"198.18.0.{n}, 203.0.113.5", trusted=PROXY) for n in range(1, 40)}
    assert answers == {"203.0.113.5"}


def test_a_request_straight_to_the_proxy_address_without_a_header():
    assert address("127.0.0.1", None, trusted=PROXY) == "127.0.0.1"
    assert address("127.0.0.1", "", trusted=PROXY) == "127.0.0.1"


# --- several hops --------------------------------------------------------------------------------------------


def test_load_balancer_then_nginx_then_the_service():
    # The client sent a spoofed entry; the load balancer (10.0.0.2) appended the client, nginx (127.0.0.1)
    # appended the load balancer.
    assert address("127.0.0.1", "6.6.6.6, 203.0.113.5, 10.0.0.2") == "203.0.113.5"


def test_an_untrusted_hop_in_the_middle_stops_the_walk():
    # 198.51.100.1 is not ours: whatever it claims about who is behind it is not believed.
    assert address("127.0.0.1", "203.0.113.5, 198.51.100.1, 10.0.0.2") == "198.51.100.1"


def test_when_every_hop_is_trusted_the_farthest_one_is_the_client():
    assert address("127.0.0.1", "10.0.0.3, 10.0.0.2") == "10.0.0.3"


def test_only_the_nearest_hops_are_walked():
    hops = ", ".join(["10.0.0.1"] * (MAX_HOPS + 5))
    assert address("127.0.0.1", "203.0.113.5, " + hops) == "10.0.0.1"


# --- IPv6 -------------------------------------------------------------------------------------------------


def test_ipv6_client_and_proxy():
    assert address("fd00::1", "2001:db8::5") == "2001:db8::5"
    assert address("::1", "2001:db8::5", trusted=parse_networks(["::1"])) == "2001:db8::5"


def test_ipv6_is_written_in_one_short_form():
    assert address("127.0.0.1", "2001:0db8:0000:0000:0000:0000:0000:0005") == "2001:db8::5"


def test_ipv4_mapped_ipv6_is_the_ipv4_address():
    assert address("::ffff:127.0.0.1", "203.0.113.5") == "203.0.113.5"
    assert address("127.0.0.1", "::ffff:203.0.113.5") == "203.0.113.5"


def test_ipv4_proxy_ranges_do_not_match_ipv6_clients():
    assert address("2001:db8::9", "203.0.113.5", trusted=parse_networks(["0.0.0.0/0"])) == "2001:db8::9"


# --- ports, brackets, garbage ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("203.0.113.5:5123", "203.0.113.5"),
        ("[2001:db8::5]:443", "2001:db8::5"),
        ("[2001:db8::5]", "2001:db8::5"),
        ("fe80::1%eth0", "fe80::1"),
        ("  203.0.113.5 ", "203.0.113.5"),
    ],
)
def test_addresses_written_with_ports_brackets_or_zones(written, expected):
    assert str(parse_address(written)) == expected
    assert address("127.0.0.1", written) == expected


@pytest.mark.parametrize(
    "garbage", ["unknown", "", " ", "999.1.1.1", "[2001:db8::5", "203.0.113.5:1:2:x", "<script>", "\x00"]
)
def test_garbage_in_the_header_falls_back_to_the_last_trusted_hop(garbage):
    assert parse_address(garbage) is None
    assert address("127.0.0.1", garbage) == "127.0.0.1"
    assert address("127.0.0.1", f"203.0.113.5, {garbage}, 10.0.0.2") == "10.0.0.2"
    # Garbage to the left of the real client changes nothing.
    assert address("127.0.0.1", f"{garbage}, 203.0.113.5") == "203.0.113.5"


@pytest.mark.parametrize("remote", [None, "", "unix:/run/gunicorn.sock", "not an address"])
def test_an_unreadable_connection_address_gives_none(remote):
    assert address(remote, "203.0.113.5") is None


def test_parse_networks_reads_addresses_and_ranges_and_names_a_bad_entry():
    assert [str(n) for n in parse_networks(["127.0.0.1", " 10.0.0.0/8 ", "", "::1", "fd00::/8"])] == [
        "127.0.0.1/32",
        "10.0.0.0/8",
        "::1/128",
        "fd00::/8",
    ]
    with pytest.raises(ValueError, match="'nginx' is not an IP address"):
        parse_networks(["127.0.0.1", "nginx"])


@given(st.text(max_size=300))
def test_whatever_the_header_says_the_answer_is_an_address_we_can_vouch_for(header):
    answer = address("127.0.0.1", header, trusted=PROXY)
    written = {str(parsed) for parsed in map(parse_address, header.split(",")) if parsed is not None}
    assert answer in written | {"127.0.0.1"}
    # The entry the proxy wrote last wins whenever it is an address of someone other than the proxy.
    last = parse_address(header.split(",")[-1])
    if last is not None and str(last) != "127.0.0.1":
        assert answer == str(last)
