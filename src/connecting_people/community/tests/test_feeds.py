"""What real directory feeds do that our own files never did (issue 16), in data written for these tests in the
shapes those feeds use: Open Referral UK v1 council feeds (HTML descriptions, web addresses without https://,
esd.org.uk / LGA and Open Eligibility taxonomies, `regular_schedules` with day names), HSDS 3.0 pages of
service_at_location, HSDS 3.1 additions, HSDS 1.1 CSV packages and Windows-1252 files."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from connecting_people.community import hsds
from connecting_people.community.hsds import text, vocabulary
from connecting_people.community.models import Opportunity

ORGANISATION = {"id": "org-1", "name": "Riverside Council", "url": "www.riverside.example.org"}


def v1_service(number: int, **changes) -> dict:
    """A service as ORUK v1 council feeds publish them."""
    base = {
        "id": f"svc-{number}",
        "name": f"Service {number}",
        "description": "<p>If you&rsquo;re over 60, <strong>come along</strong>.</p>"
        "<ul><li>Tea &amp; cake</li><li>A chat</li></ul>",
        "url": "www.riverside.example.org/tea",
        "email": "tea@riverside.example.org",
        "status": "active",
        "organization": ORGANISATION,
        "regular_schedules": [
            {"id": f"rs-{number}", "weekday": "Tuesday", "opens_at": "10:00", "closes_at": "12:00"}
        ],
        "service_at_locations": [
            {
                "id": f"sal-{number}",
                "location": {
                    "id": f"loc-{number}",
                    "name": "Riverside Hall",
                    "latitude": 53.96,
                    "longitude": -1.08,
                    "physical_addresses": [
                        {"address_1": "1 River Street", "city": "Riverside", "postal_code": "CP3 1AB"}
                    ],
                },
            }
        ],
        "service_taxonomys": [
            {
                "id": f"st-{number}",
                "taxonomy": {"id": "1234", "name": "Befriending", "vocabulary": "esdServiceTypes"},
            }
        ],
    }
    return base | changes


def read(*services) -> hsds.Directory:
    return hsds.read_json({"contents": list(services), "total_pages": 1}, where="feed.json")


# --- 1. HTML descriptions ---------------------------------------------------------------------------------


def test_html_descriptions_become_plain_text():
    (record,) = read(v1_service(1)).opportunities
    assert record.description == "If you’re over 60, come along.\n\n• Tea & cake\n• A chat"


@pytest.mark.parametrize(
    "source, expected",
    [
        ("<p>One</p><p>Two</p>", "One\n\nTwo"),
        ("Line one<br>line two<br/>line three", "Line one\nline two\nline three"),
        ("<div>Open <em>daily</em></div><script>alert(1)</script><style>p{}</style>", "Open daily"),
        ("Fish &amp; chips &pound;5 &#8211; &#x2014;", "Fish & chips £5 – —"),
        ("Plain text\nkeeps its lines & ampersands < 3", "Plain text\nkeeps its lines & ampersands < 3"),
        ('<a href="javascript:alert(1)" onclick="x()">Link</a> <img src=x onerror=y>', "Link"),
        ("<p>Unclosed <b>bold", "Unclosed bold"),
        ("<!-- a comment --><p>Kept</p>", "Kept"),
    ],
)
def test_plain_text(source, expected):
    assert text.plain_text(source) == expected


@pytest.mark.django_db
def test_search_no_longer_matches_markup(client, org, tmp_path):
    client.force_login(org.practitioner)
    path = tmp_path / "feed.json"
    path.write_text(json.dumps({"contents": [v1_service(1, name="Tea Club")]}))
    call_command("community", "import", str(path), "--source", "riverside", stdout=io.StringIO())
    assert Opportunity.objects.get().description.startswith("If you’re over 60")
    page = client.get("/community/", {"q": "strong"}).content.decode()
    assert "Tea Club" not in page
    assert "Tea Club" in client.get("/community/", {"q": "cake"}).content.decode()
    detail = client.get(f"/community/{Opportunity.objects.get().pk}/").content.decode()
    assert "&lt;p&gt;" not in detail and "<strong>come" not in detail


# --- 2. web addresses -------------------------------------------------------------------------------------


def test_websites_without_a_scheme_are_completed_and_others_reported():
    directory = read(
        v1_service(1),
        v1_service(2, url="http://riverside.example.org/walks"),
        v1_service(3, url="walks@riverside.example.org"),
        v1_service(4, url="Ask at reception"),
    )
    websites = {r.source_id: r.website for r in directory.opportunities}
    assert websites == {
        "svc-1": "https://www.riverside.example.org/tea",
        "svc-2": "http://riverside.example.org/walks",
        "svc-3": "",
        "svc-4": "",
    }
    reasons = {(r.record, r.reason) for r in directory.rejections}
    assert (
        "service svc-3",
        "website 'walks@riverside.example.org' is an email address, not a web address",
    ) in reasons
    assert ("service svc-4", "website 'Ask at reception' is not a web address (it has spaces)") in reasons
    assert directory.organisations[0].website == "https://www.riverside.example.org"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("www.example.org", "https://www.example.org"),
        ("example.org/clubs?day=1", "https://example.org/clubs?day=1"),
        ("//example.org", "https://example.org"),
        ("HTTPS://example.org", "HTTPS://example.org"),
        ("help@example.org", ""),
        ("mailto:help@example.org", ""),
        ("ftp://example.org", ""),
        ("localhost", ""),
        ("192.0.2.1", ""),
        ("not a site", ""),
        ("https://user:secret@example.org", ""),
    ],
)
def test_web_address(value, expected):
    assert text.web_address(value)[0] == expected


# --- 5. sources identified by publisher -------------------------------------------------------------------


def imported(path, **options) -> dict:
    out = io.StringIO()
    call_command("community", "import", str(path), stdout=out, stderr=io.StringIO(), **options)
    return json.loads(out.getvalue())


@pytest.mark.django_db
def test_two_publishers_files_of_the_same_name_do_not_overwrite_each_other(tmp_path):
    for publisher in ("north", "south"):
        folder = tmp_path / publisher
        folder.mkdir()
        organisation = {"id": f"{publisher}-org", "name": f"{publisher.title()} Trust"}
        service = v1_service(1, name=f"{publisher.title()} Lunch Club", organization=organisation)
        (folder / "service_full.json").write_text(json.dumps(service))

    north = imported(tmp_path / "north" / "service_full.json")
    south = imported(tmp_path / "south" / "service_full.json")

    assert (north["source"], south["source"]) == ("organisation:north-org", "organisation:south-org")
    assert (north["created"], south["created"]) == (1, 1)
    assert sorted(Opportunity.objects.values_list("source", "source_id", "name")) == [
        ("organisation:north-org", "svc-1", "North Lunch Club"),
        ("organisation:south-org", "svc-1", "South Lunch Club"),
    ]
    assert imported(tmp_path / "north" / "service_full.json")["unchanged"] == 1


@pytest.mark.django_db
def test_a_file_of_many_organisations_needs_the_publisher_named(tmp_path):
    path = tmp_path / "services.json"
    other = {"id": "org-2", "name": "Hillside Trust"}
    path.write_text(json.dumps({"contents": [v1_service(1), v1_service(2, organization=other)]}))
    with pytest.raises(CommandError, match="Name the publisher with --source NAME") as refused:
        imported(path)
    assert refused.value.returncode == 2 and not Opportunity.objects.exists()
    assert imported(path, source_name="Riverside Council")["source"] == "Riverside Council"
    assert Opportunity.objects.filter(source="Riverside Council").count() == 2


# --- 3. categories from the taxonomies real feeds use ---------------------------------------------------

# Terms as UK v1 feeds tag services with them: the LGA's service types and needs, Open Eligibility, free text.
FEED_TERMS = [
    ("esdServiceTypes", "Befriending", "social"),
    ("esdServiceTypes", "Lunch clubs", "social"),
    ("esdServiceTypes", "Adult education", "learning"),
    ("esdServiceTypes", "Leisure centres", "sport"),
    ("esdServiceTypes", "Community centres", "community"),
    ("esdServiceTypes", "Carers support groups", "peer_support"),
    ("esdNeeds", "Social isolation", "social"),
    ("esdNeeds", "Physical activity", "sport"),
    ("Open Eligibility", "Sports & Recreation", "sport"),
    ("Open Eligibility", "Spiritual Support", "faith"),
    ("Open Eligibility", "Help Find Work", "work"),
    ("", "Things to do", "social"),
    ("", "Arts & Crafts", "arts"),
]


def test_categories_from_the_taxonomies_real_feeds_use():
    services = [
        v1_service(
            n, name=f"Service {n}", service_taxonomys=[{"taxonomy": {"name": term, "vocabulary": vocab}}]
        )
        for n, (vocab, term, _) in enumerate(FEED_TERMS)
    ]
    got = [record.category for record in read(*services).opportunities]
    assert got == [category for _, _, category in FEED_TERMS]
    # Before the mapping, the words alone found a category for only some of these.
    by_words = [vocabulary.category_of(term) or "other" for _, term, _ in FEED_TERMS]
    assert by_words.count("other") > got.count("other") == 0


def test_a_deployment_extends_and_overrides_the_mapping(tmp_path):
    extra = tmp_path / "ours.yaml"
    extra.write_text("terms:\n  Knit and natter: arts\n  Befriending: peer_support\n")
    mapping = vocabulary.category_map(extra)
    assert (
        vocabulary.classify([("local", "Knit & Natter")], service_name="x", categories=mapping)[0] == "arts"
    )
    assert (
        vocabulary.classify([("esd", "Befriending")], service_name="x", categories=mapping)[0]
        == "peer_support"
    )
    assert vocabulary.classify([("esd", "Befriending")], service_name="x")[0] == "social"  # shipped


@pytest.mark.parametrize(
    "content, message",
    [
        ("terms:\n  Bingo: games\n", "'Bingo' maps to 'games', which is not one of"),
        ("- a list\n", "has no 'terms:' mapping"),
        ("terms: [\n", "is not YAML"),
    ],
)
def test_a_category_file_that_cannot_be_used_is_refused(tmp_path, content, message):
    extra = tmp_path / "ours.yaml"
    extra.write_text(content)
    with pytest.raises(vocabulary.CategoryFileError, match=message):
        vocabulary.category_map(extra)


@pytest.mark.django_db
def test_the_setting_names_the_extra_file(tmp_path, settings):
    extra = tmp_path / "ours.yaml"
    extra.write_text("terms:\n  Knit and natter: arts\n")
    settings.CONNECTING_PEOPLE_DIRECTORY_CATEGORIES_FILE = str(extra)
    path = tmp_path / "feed.json"
    tagged = v1_service(
        1, service_taxonomys=[{"taxonomy": {"name": "Knit and Natter", "vocabulary": "local"}}]
    )
    path.write_text(json.dumps(tagged))
    imported(path)
    assert Opportunity.objects.get().category == "arts"
    extra.write_text("terms:\n  Knit: nonsense\n")
    with pytest.raises(CommandError, match="not one of"):
        imported(path)


# --- 4. a page of service_at_location items ---------------------------------------------------------------


def test_a_page_of_service_at_locations_imports_each_service_once_with_its_location():
    def at(number, service, street):
        location = {
            "id": f"loc-{number}",
            "name": "Hall",
            "addresses": [{"address_1": street, "postal_code": "CP3 1AB"}],
        }
        return {"id": f"sal-{number}", "service": service, "location": location}

    walk = {k: v for k, v in v1_service(1, name="Riverside Walk").items() if k != "service_at_locations"}
    choir = {k: v for k, v in v1_service(2, name="Riverside Choir").items() if k != "service_at_locations"}
    page = {
        "contents": [at(1, walk, "1 River Street"), at(2, choir, "2 Mill Lane"), at(3, walk, "3 Bridge Road")]
    }
    directory = hsds.read_json(page, where="service_at_locations.json")
    assert [(r.source_id, r.address) for r in directory.opportunities] == [
        ("svc-1", "Hall, 1 River Street"),
        ("svc-2", "Hall, 2 Mill Lane"),
    ]
    assert directory.rejections == ()
