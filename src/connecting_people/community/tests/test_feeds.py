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


# --- 6. HSDS 3.1 additions --------------------------------------------------------------------------------


def test_hsds_3_1_additions_are_kept_where_we_have_a_place_and_listed_otherwise():
    addition = {
        "capacities": [{"id": "c1", "available": 4, "maximum": 12, "unit": {"id": "u1", "name": "places"}}],
        "additional_urls": [{"id": "u1", "label": "Booking", "url": "book.riverside.example.org"}],
        "languages": [{"id": "l1", "name": "Welsh"}],
    }
    directory = read(v1_service(1, url="", **addition), v1_service(2, capacities=addition["capacities"]))
    first = directory.opportunities[0]
    assert first.website == "https://book.riverside.example.org"  # the additional URL, for want of a url
    assert directory.ignored == ("capacities: 2 services", "languages: 1 service")


def test_csv_tables_we_do_not_read_are_listed():
    files = {
        "services.csv": "id,name\ns1,Riverside Walk\n",
        "service_capacity.csv": "id,service_id,unit_id,available\nc1,s1,u1,4\nc2,s1,u1,5\n",
        "units.csv": "id,name\nu1,places\n",
        "datapackage.json": "{}",
    }
    assert hsds.read_tables(files).ignored == ("service_capacity.csv: 2 rows", "units.csv: 1 row")


# --- 7. HSDS 1.1 CSV packages -----------------------------------------------------------------------------

HSDS_1_1 = {
    "services.csv": "id,organization_id,name,description,url,status\n"
    "s1,o1,Riverside Walk,A weekly walk,www.riverside.example.org,active\n"
    "s2,o1,Riverside Choir,Singing,,active\n",
    "organizations.csv": "id,name\no1,Riverside Trust\n",
    "locations.csv": "id,organization_id,name,latitude,longitude\nl1,o1,Riverside Hall,53.96,-1.08\n",
    "services_at_location.csv": "id,service_id,location_id\nsal1,s1,l1\nsal2,s2,l1\n",
    "physical_addresses.csv": "id,location_id,address_1,city,state_province,postal_code,country\n"
    "a1,l1,1 River Street,Riverside,,CP3 1AB,GB\n",
    "regular_schedules.csv": "id,service_id,location_id,service_at_location_id,weekday,opens_at,closes_at\n"
    "r1,s1,l1,sal1,Tuesday,10:00,12:00\nr2,s2,,,3,18:30,20:00\n",
    "accessibility_for_disabilities.csv": "id,location_id,accessibility,details\nx1,l1,ramp,At the side door\n",
    "taxonomy.csv": "id,name,parent_id,parent_name,vocabulary\nt1,Choirs,,,local\n",
    "services_taxonomy.csv": "id,service_id,taxonomy_id,taxonomy_detail\nst1,s2,t1,\n",
    "postal_addresses.csv": "id,location_id,address_1,city,postal_code\np1,l1,PO Box 1,Riverside,CP3 1AA\n",
}


def test_an_hsds_1_1_package_keeps_locations_addresses_and_schedules():
    directory = hsds.read_tables(HSDS_1_1)
    walk, choir = directory.opportunities
    assert (walk.address, walk.postcode, walk.latitude) == (
        "Riverside Hall, 1 River Street, Riverside",
        "CP3 1AB",
        53.96,
    )
    assert walk.accessibility == "ramp At the side door"
    assert [(s.weekday, str(s.starts_at)) for s in walk.sessions] == [(1, "10:00:00")]
    assert [(s.weekday, str(s.starts_at)) for s in choir.sessions] == [(2, "18:30:00")]
    assert (choir.category, choir.interests) == ("arts", ("music",))
    assert walk.website == "https://www.riverside.example.org"
    assert directory.rejections == ()
    assert directory.ignored == ("postal_addresses.csv: 1 row",)


# --- 8. counts, exit codes and encodings ------------------------------------------------------------------


@pytest.mark.django_db
def test_rejected_counts_services_with_each_ones_reasons(tmp_path):
    path = tmp_path / "feed.json"
    bad_schedule = [{"id": "rs-x", "weekday": "Someday"}]
    services = [
        v1_service(1),
        v1_service(2, name=""),
        v1_service(3, id=""),
        v1_service(4, regular_schedules=bad_schedule),
    ]
    path.write_text(json.dumps({"contents": services}))
    report = imported(path)
    assert (report["created"], report["rejected"]) == (2, 2)
    assert report["rejected_services"] == [
        {"id": "svc-2", "name": "", "where": "feed.json", "reasons": ["has no name"]},
        {"id": "", "name": "Service 3", "where": "feed.json", "reasons": ["has no id"]},
    ]
    assert len(report["rejections"]) == 3  # the two services and svc-4's schedule
    again = imported(path)
    assert (again["created"], again["updated"], again["unchanged"], again["rejected"]) == (0, 0, 2, 2)


@pytest.mark.django_db
def test_a_file_where_every_service_is_rejected_exits_2(tmp_path):
    path = tmp_path / "feed.json"
    path.write_text(json.dumps({"contents": [v1_service(1, name=""), v1_service(2, id="")]}))
    out = io.StringIO()
    with pytest.raises(
        CommandError, match="every one of the 2 services in feed.json was rejected"
    ) as refused:
        call_command("community", "import", str(path), stdout=out)
    assert refused.value.returncode == 2
    assert json.loads(out.getvalue())["rejected"] == 2 and not Opportunity.objects.exists()


@pytest.mark.django_db
def test_a_windows_1252_csv_package_is_read_and_says_so(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "services.csv").write_bytes(
        "id,name,description\ns1,Café Club,Tea – and £2 cake\n".encode("cp1252")
    )
    (folder / "organizations.csv").write_bytes("id,name\no1,Riverside Trust\n".encode("cp1252"))
    report = imported(folder, source_name="riverside")
    assert report["encodings"] == {"organizations.csv": "UTF-8", "services.csv": "Windows-1252"}
    record = Opportunity.objects.get()
    assert (record.name, record.description) == ("Café Club", "Tea – and £2 cake")


@pytest.mark.django_db
def test_a_utf8_file_with_a_byte_order_mark_says_so(tmp_path):
    path = tmp_path / "feed.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(v1_service(1, name="Caf\u00e9")).encode())
    assert imported(path)["encodings"] == {"feed.json": "UTF-8 with BOM"}


# --- 9. progress while it runs ----------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.django_db
@pytest.mark.parametrize("quiet", [False, True])
def test_progress_shows_on_a_terminal_unless_quiet(tmp_path, quiet):
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(v1_service(1)))
    out, err = io.StringIO(), Terminal()
    call_command("community", "import", str(path), stdout=out, stderr=err, quiet=quiet)
    assert json.loads(out.getvalue())["created"] == 1  # stdout keeps only the report
    assert ("saving" in err.getvalue()) is not quiet
