"""The world every URL of the service is tried against, and how a URL is made from each URL pattern.

Used by `test_access_matrix.py` (every pattern × every role × objects in and out of scope) and
`test_fuzz_forms.py` (hostile input to every form). Nothing here is a hand-written list of URLs: the patterns
come from Django's URL resolver (`url_patterns()`, admin included), and this module says only what each URL
keyword *means* (`KWARGS`) and who may reach each namespace (`ACCESS`).

How to add a URL pattern
------------------------
Nothing, when its keywords are already in `KWARGS` and its namespace in `ACCESS`: the matrix finds it.
Otherwise a test fails and names what is missing:

- a new keyword (`<int:request_id>`): one line in `KWARGS`, a function of one `Side` (the objects of one trust)
  returning the value. If the object is new, make it in `_side()` through its service (or factory) and add a field
  to `Side`. A keyword that means different things in different namespaces gets a namespaced key
  (`"plans:link_id"`); `"<namespace>:<url name>:<keyword>"` is also looked up first, for one pattern alone.
- a new namespace (`dataprotection`): one line in `ACCESS`, the roles that reach its pages for objects in scope
  (everyone else signed in gets 404, anonymous users are sent to sign in). A page that differs from its namespace
  gets its own line keyed `"<namespace>:<url name>"`.
- a new model in the admin: one line in `ADMIN_OBJECTS` (its object in one trust).
- a page that needs a query string to do anything: one line in `QUERIES`.
- a new role: made in `build_world()` and named in `ROLES`; then say in `ACCESS` what it reaches.

An object every trust shares (the community directory, guidance pages) gives the same value on both sides, so
its pattern is tried once; a keyword that names an object of one trust is tried in scope, out of scope, and
(with other such keywords) mixed. The cast is described at `ROLES`; the expectations at `Access`.

The objects of the *in-scope* side belong to the practitioner's team and trust (trust 1); those of the
*out-of-scope* side to another trust (trust 2), made by that trust's own staff through the same services.
"""

from __future__ import annotations

import hashlib
import importlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from unittest.mock import patch
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.utils import timezone
from django.utils.regex_helper import normalize

from connecting_people.accounts.actor import as_actor

# --- the cast: who signs in ---------------------------------------------------------------------------------

ROLES = (
    "anonymous",
    "practitioner",  # works with the in-scope person (allocated to them)
    "colleague",  # same team, a separate caseload
    "lead",  # leads the practitioner's team
    "other_lead",  # leads another team of the same trust
    "implementation_lead",  # trust 1
    "researcher",  # trust 1; a member (researcher, not lead) of the in-scope study
    "study_lead",  # trust 1; leads the in-scope study
    "data_protection",  # trust 1; Role.DATA_PROTECTION
    "administrator",  # Role.ADMINISTRATOR, staff and superuser (how administrators are made: docs/guide)
    "no_role",  # signed in, no membership at all
)
SIGNED_IN = frozenset(ROLES) - {"anonymous"}


@dataclass
class Side:
    """The objects of one trust that URLs name. `inside` is trust 1 (the cast's); `outside` is trust 2."""

    trust: object
    team: object
    worker: object  # a practitioner of `team`, allocated `person`
    lead: object  # leads `team`
    study_lead: object
    person: object
    snapshot: object  # the person's latest map
    entry: object  # an entry on it
    goal: object
    step: object
    plan_link: object  # the person's link to a community opportunity
    review: object
    cover: object  # cover in `team`, granted by `lead` to `worker`
    rating: object  # `worker`'s own fidelity rating
    team_link: object  # the team's community link
    training: object  # a training session for `team`
    study: object
    timepoint: object  # the study's baseline
    participant: object  # `person`, enrolled
    export: object  # an export job, made
    report: object  # a report job, made by a stand-in for the analysis (`stand_in_report`)
    totp: object  # `worker`'s TOTP device
    # An invitation for this trust to take part in the *other* trust's study, not yet answered: researchers of
    # this trust answer it, nobody else sees it.
    invitation: object = None
    sign_in_failure: object = None  # a failed sign-in counting towards an address's limit (no user, no trust)
    access_attempt: object = None  # the sign-in records of `worker` (axes)
    access_log: object = None
    access_failure: object = None
    task_result: object = None  # the background task queued for `export` (database task backend)
    token: object = None  # `worker`'s personal access token (its record; the API matrix has its own per role)
    administration: object = None  # an outcome measure recorded for `person`
    activity: object = None  # something done with `person` (a phone call)


@dataclass
class Cast:
    users: dict[str, object]  # role → user (no entry for anonymous)
    inside: Side
    outside: Side
    opportunity: object  # the community directory is shared by every trust
    group: object  # an auth group (admin only)


# --- what each URL keyword means ----------------------------------------------------------------------------

Lookup = Callable[[Side], object]


def _pk(name: str) -> Lookup:
    return lambda side: getattr(side, name).pk


# Each keyword of every URL pattern: its value for one side. Scoped keywords differ between the sides; the others
# (slugs, codes) are the same for both. Most specific key first: "<ns>:<url name>:<kw>", "<ns>:<kw>", "<kw>".
KWARGS: dict[str, Lookup] = {
    "person_id": _pk("person"),
    "snapshot_id": _pk("snapshot"),
    "entry_id": _pk("entry"),
    "format": lambda side: "json",
    "goal_id": _pk("goal"),
    "step_id": _pk("step"),
    "plans:link_id": _pk("plan_link"),
    "implementation:link_id": _pk("team_link"),
    "review_id": _pk("review"),
    "opportunity_id": lambda side: SHARED["opportunity"].pk,
    "instrument_id": lambda side: "ucla3",
    "cover_id": _pk("cover"),
    "scale_id": lambda side: "cp_practice_fidelity",
    "rating_id": _pk("rating"),
    "team_id": _pk("team"),
    "trust_id": _pk("trust"),
    "worker_id": _pk("worker"),
    "item_id": lambda side: "champion_named",
    "session_id": _pk("training"),
    "slug": lambda side: "assess",
    "study_id": _pk("study"),
    "timepoint_id": _pk("timepoint"),
    "participant_id": _pk("participant"),
    "study:export:job_id": _pk("export"),
    "study:export_download:job_id": _pk("export"),
    "study:report:job_id": _pk("report"),
    "study:report_download:job_id": _pk("report"),
    "study:invitation:site_id": _pk("invitation"),
    "api:token_id": _pk("token"),
    "api-v1:administration_id": _pk("administration"),
    "api-v1:link_id": _pk("plan_link"),
    "api-v1:activity_id": _pk("activity"),
    "api-fallback:rest": lambda side: "v0/nothing-here",
    # FHIR R4: ids of the person's records (a CarePlan is a person's plan, so its id is the person's)
    "fhir:patient_id": _pk("person"),
    "fhir:careplan_id": _pk("person"),
    "fhir:observation_id": _pk("administration"),
    "fhir:response_id": _pk("administration"),
    "fhir:questionnaire_id": lambda side: "ucla3.1",
    # the public Open Referral API: ids it publishes (the directory is shared, so one value for both sides)
    "openreferral:service_id": lambda side: _published("service"),
    "openreferral:service_at_location_id": lambda side: _published("service_at_location"),
    "openreferral:organization_id": lambda side: _published("organization"),
    "openreferral:taxonomy_id": lambda side: _open_referral_vocabulary()[0],
    "openreferral:taxonomy_term_id": lambda side: _open_referral_vocabulary()[1],
    # the admin site
    "admin:app_label": lambda side: "accounts",
    "admin:content_type_id": lambda side: _content_type_id("accounts.user"),
    "admin:view_on_site:object_id": _pk("worker"),
    "admin:url": lambda side: "accounts/team",  # the admin adds the slash: a redirect
    "admin:auth_user_password_change:id": _pk("worker"),
    "admin:otp_totp_totpdevice_config:pk": _pk("totp"),
    "admin:otp_totp_totpdevice_qrcode:pk": _pk("totp"),
}


def _published(kind: str) -> str:
    from connecting_people.community.published import ids_for

    return ids_for(opportunity_id=SHARED["published"].pk)[kind]


def _open_referral_vocabulary() -> tuple[str, str]:
    from connecting_people.community.hsds import export, vocabulary

    taxonomy = vocabulary.OWN_CATEGORY_TAXONOMY
    return export.taxonomy_id(taxonomy), export.term_id(taxonomy, "social")


# The object of each model in the admin, in one trust (shared objects give the same on both sides).
def _review_interval(team):
    from connecting_people.plans.models import TeamReviewInterval

    return TeamReviewInterval.objects.get_or_create(team=team, defaults={"weeks": 8})[0]


ADMIN_OBJECTS: dict[str, Lookup] = {
    "accounts.user": lambda side: side.worker,
    "accounts.trust": lambda side: side.trust,
    "accounts.team": lambda side: side.team,
    "accounts.membership": lambda side: side.worker.memberships.get(),
    "accounts.coverassignment": lambda side: side.cover,
    "accounts.signinfailure": lambda side: side.sign_in_failure,
    "auth.group": lambda side: SHARED["group"],
    "otp_totp.totpdevice": lambda side: side.totp,
    "axes.accessattempt": lambda side: side.access_attempt,
    "axes.accesslog": lambda side: side.access_log,
    "axes.accessfailurelog": lambda side: side.access_failure,
    "api.apitoken": lambda side: side.token,
    "django_tasks_database.dbtaskresult": lambda side: side.task_result,
    "implementation.guidancepage": lambda side: SHARED["guidance"],
    "plans.teamreviewinterval": lambda side: _review_interval(side.team),
}

SHARED: dict[str, object] = {}  # objects every trust shares, filled by build_world()


def _content_type_id(label: str) -> int:
    from django.contrib.contenttypes.models import ContentType

    app_label, model = label.split(".")
    return ContentType.objects.get_by_natural_key(app_label, model).pk


# --- who reaches what ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Access:
    """Who reaches the pages of one namespace (or one URL name).

    `roles` reach them for objects in scope (a page that names no object: the page itself) with 200 or a
    redirect; every other signed-in role gets 404. `anywhere`: roles that reach objects of every trust too (the
    administrator's audit trails and admin site). Anonymous users are sent to sign in, unless `public`.
    Admin pages (`admin`) send every role but the administrator to sign in; the administrator gets 403 where
    the admin allows the act to nobody (`refused`: adding sign-in records, deleting guidance pages), 404 where
    the page is not there for anyone. `everyone`: one answer for every role ("sign_in" for the admin's own
    sign-in page, which hands over to the service's). `api`: reached with a token, not a session (each role
    sends its own token with every scope; anonymous sends none and gets 401, which counts as "sign_in")."""

    roles: frozenset[str]
    anywhere: frozenset[str] = frozenset()
    public: bool = False
    admin: bool = False
    refused: bool = False
    everyone: str | None = None
    api: bool = False


def _access(*roles: str, anywhere: tuple[str, ...] = (), **options) -> Access:
    return Access(frozenset(roles), frozenset(anywhere), **options)


WORKERS = ("practitioner", "lead")  # the person's own practitioner and their team lead
STAFF = ("practitioner", "colleague", "lead", "other_lead")  # anyone in a team role
STUDY_READERS = ("researcher", "study_lead")

# Most specific key first: "<namespace>:<url name>", then "<namespace>".
ACCESS: dict[str, Access] = {
    "core:home": _access(*SIGNED_IN),
    "core:healthz": _access(*SIGNED_IN, public=True),
    "core:help": _access(*SIGNED_IN, public=True),
    "openreferral": _access(*SIGNED_IN, public=True),  # the directory as Open Referral UK: public, read-only
    "accounts:login": _access(*SIGNED_IN, public=True),
    "accounts:logout": _access(*SIGNED_IN, public=True),
    "accounts:mfa": _access(*SIGNED_IN),
    "accounts:cover": _access("lead", "other_lead"),
    "accounts:cover_end": _access("lead"),
    "accounts:enrolment_codes": _access("administrator"),
    "accounts:access_review": _access("administrator"),
    "people": _access(*WORKERS),
    "people:caseload": _access("practitioner", "colleague"),
    "people:team": _access("lead", "other_lead"),
    "people:new": _access(*STAFF),
    "people:allocate": _access("lead"),
    "people:audit": _access("lead", "administrator", anywhere=("administrator",)),
    "audit": _access("administrator"),
    "measures": _access(*WORKERS),
    "connections": _access(*WORKERS),
    "plans": _access(*WORKERS),
    "community": _access(*STAFF, "implementation_lead", "administrator"),
    "community:new": _access(*STAFF, "administrator"),
    "community:edit": _access(*STAFF, "administrator"),
    "implementation": _access("lead"),
    "implementation:index": _access(*STAFF, "implementation_lead"),
    "implementation:mine": _access("practitioner", "colleague"),
    "implementation:self_rate": _access("practitioner", "colleague"),
    "implementation:rating": _access("practitioner", "lead"),
    "implementation:team": _access("lead", "implementation_lead"),
    "implementation:team_fidelity": _access("lead", "implementation_lead"),
    "implementation:checklist": _access("lead", "implementation_lead"),
    "implementation:trust_dashboard": _access("implementation_lead"),
    "implementation:training": _access("lead", "other_lead", "implementation_lead"),
    "implementation:training_new": _access("lead", "other_lead", "implementation_lead"),
    "implementation:training_session": _access("lead", "implementation_lead"),
    "implementation:training_attendance": _access("lead", "implementation_lead"),
    "implementation:guidance_index": _access(*SIGNED_IN),
    "implementation:guidance_page": _access(*SIGNED_IN),
    "implementation:guidance_print": _access(*SIGNED_IN),
    "study": _access("study_lead"),
    "study:list": _access(*SIGNED_IN),
    "study:create": _access(*STUDY_READERS),
    "study:overview": _access(*STUDY_READERS),
    "study:members": _access(*STUDY_READERS),
    "study:timepoints": _access(*STUDY_READERS),
    "study:unit_costs": _access(*STUDY_READERS),
    "study:participants": _access(*STUDY_READERS),
    "study:enrol": _access(*STUDY_READERS),
    "study:participant": _access(*STUDY_READERS),
    "study:consent": _access(*STUDY_READERS),
    "study:withdraw": _access(*STUDY_READERS),
    "study:record": _access(*STUDY_READERS),
    "study:due": _access(*STUDY_READERS),
    "study:screening": _access(*STUDY_READERS),
    "study:completeness": _access(*STUDY_READERS),
    "study:person_enrol": _access(*WORKERS),
    # A trust's invitations to other trusts' studies: anyone with the researcher role in that trust.
    "study:invitations": _access(*STUDY_READERS),
    "study:invitation": _access(*STUDY_READERS),
    # The data protection officer's pages, for people of their own trust.
    "privacy": _access("data_protection"),
    # Personal access tokens: anyone signed in makes and revokes their own.
    "api:tokens": _access(*SIGNED_IN),
    "api:token_revoke": _access("practitioner"),
    "api:home": _access(*SIGNED_IN, public=True),
    "api:fhir_home": _access(*SIGNED_IN, public=True),
    "api-fallback:not_found": _access(everyone="not_found"),
    # The REST API, reached with each role's token: the same reach as the pages.
    "api-v1": _access(*WORKERS, api=True),
    "api-v1:people": _access(*SIGNED_IN, api=True),  # everyone's own list (empty for those with no caseload)
    # A person's connections maps, as on the map pages: their own practitioner and team lead.
    "api-v1:maps": _access(*WORKERS, api=True),
    "api-v1:map": _access(*WORKERS, api=True),
    "api-v1:map_entries": _access(*WORKERS, api=True),
    "api-v1:map_entry": _access(*WORKERS, api=True),
    "api-v1:map_entry_ties": _access(*WORKERS, api=True),
    # Outcome measures: the definitions (and scoring answers, which names nobody) for anyone with a token; a
    # person's administrations as on the measures pages.
    "api-v1:instruments": _access(*SIGNED_IN, api=True),
    "api-v1:instrument": _access(*SIGNED_IN, api=True),
    "api-v1:instrument_score": _access(*SIGNED_IN, api=True),
    "api-v1:administrations": _access(*WORKERS, api=True),
    "api-v1:administration": _access(*WORKERS, api=True),
    # A person's plan: what matters, goals and steps, activities, community links, reviews (as the plan pages).
    **{
        f"api-v1:{name}": _access(*WORKERS, api=True)
        for name in (
            "plan_assessment",
            "plan_goals",
            "plan_goal",
            "plan_goal_steps",
            "plan_step",
            "plan_activities",
            "plan_activity",
            "plan_links",
            "plan_link",
            "plan_reviews",
            "plan_review",
        )
    },
    # The directory, for those who search it on the pages.
    "api-v1:opportunities": _access(*STAFF, "implementation_lead", "administrator", api=True),
    "api-v1:opportunity": _access(*STAFF, "implementation_lead", "administrator", api=True),
    # Indicators: the team dashboard's numbers for its lead, the trust dashboard's for its implementation lead.
    "api-v1:indicators_team": _access("lead", api=True),
    "api-v1:indicators_trust": _access("implementation_lead", api=True),
    # A study's pseudonymised data: its members (researchers and study leads).
    "api-v1:studies": _access(*STUDY_READERS, api=True),
    "api-v1:study_participants": _access(*STUDY_READERS, api=True),
    "api-v1:openapi-json": _access(*SIGNED_IN, public=True, api=True),
    "api-v1:openapi-view": _access(*SIGNED_IN, public=True, api=True),
    # FHIR R4, reached with each role's token: a person's resources as the pages reach them; searches list what
    # each role reaches (empty for those with no caseload); the questionnaires are the same for everyone.
    "fhir": _access(*WORKERS, api=True),
    "fhir:metadata": _access(*SIGNED_IN, public=True, api=True),
    "fhir:patients": _access(*SIGNED_IN, api=True),
    "fhir:responses": _access(*SIGNED_IN, api=True),
    "fhir:observations": _access(*SIGNED_IN, api=True),
    "fhir:goals": _access(*SIGNED_IN, api=True),
    "fhir:careplans": _access(*SIGNED_IN, api=True),
    "fhir:questionnaires": _access(*SIGNED_IN, api=True),
    "fhir:questionnaire": _access(*SIGNED_IN, api=True),
    "api-fallback:fhir_not_found": _access(everyone="not_found"),
    "admin": _access("administrator", anywhere=("administrator",), admin=True),
    "admin:login": _access(everyone="sign_in"),
    "admin:view_on_site": _access(admin=True),  # no model of ours has a page of its own to go to
    # The admin lets nobody add sign-in records, security-code devices or task results, or add or delete guidance
    # pages.
    **{
        f"admin:{name}": _access(admin=True, refused=True)
        for name in (
            "axes_accessattempt_add",
            "axes_accesslog_add",
            "axes_accessfailurelog_add",
            "otp_totp_totpdevice_add",
            "accounts_signinfailure_add",
            "django_tasks_database_dbtaskresult_add",
            "django_tasks_database_dbtaskresult_delete",
            "implementation_guidancepage_add",
            "implementation_guidancepage_delete",
        )
    },
}

# Query strings some pages need to do anything at all (most need none).
QUERIES: dict[str, str] = {
    "admin:autocomplete": "app_label=accounts&model_name=membership&field_name=team&term=",
}


def access_for(pattern: Pattern) -> Access | None:
    for key in (pattern.key, pattern.namespace):
        if key in ACCESS:
            return ACCESS[key]
    return None


# --- the URL patterns ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    """One URL pattern, with the regex of its whole path and the namespace it sits in."""

    namespace: str
    name: str | None
    regex: str
    callback: Callable = field(compare=False)

    @property
    def key(self) -> str:
        """ "people:overview"; an unnamed pattern by its regex ("admin:^(?P<url>.*)$")."""
        return f"{self.namespace}:{self.name or self.regex}"

    @property
    def kwargs(self) -> tuple[str, ...]:
        return tuple(re.compile(self.regex).groupindex)

    @property
    def model_label(self) -> str | None:
        """For a model's admin page, the model ("accounts.user")."""
        model_admin = getattr(self.callback, "model_admin", None)
        return model_admin.model._meta.label_lower if model_admin else None

    def url(self, values: dict[str, object]) -> str:
        """The path with these keyword values, checked to resolve back to this pattern with the same values."""
        formats = [fmt for fmt, params in normalize(self.regex) if set(params) == set(values)]
        assert formats, f"{self.key}: no way to build the URL from {sorted(values)}"
        path = "/" + formats[0] % {name: str(value) for name, value in values.items()}
        match = resolve(path)
        assert match.func == self.callback and {k: str(v) for k, v in match.kwargs.items()} == {
            k: str(v) for k, v in values.items()
        }, f"{path} resolves to {match.view_name}, not {self.key}"
        return path


def url_patterns() -> list[Pattern]:
    """Every URL pattern of the project, admin included, by walking the resolver (includes, namespaces). A pattern
    with the same path as one before it is left out: it is never reached (the API lists one pattern per method of
    a path; the first answers them all)."""
    seen: set[str] = set()
    found = []
    for pattern in _walk(get_resolver(), "", ""):
        if pattern.regex not in seen:
            seen.add(pattern.regex)
            found.append(pattern)
    return sorted(found, key=lambda pattern: pattern.key)


def _walk(resolver: URLResolver, prefix: str, namespace: str) -> Iterator[Pattern]:
    for entry in resolver.url_patterns:
        regex = prefix + entry.pattern.regex.pattern.removeprefix("^")
        if isinstance(entry, URLResolver):
            inner = ":".join(part for part in (namespace, entry.namespace) if part)
            yield from _walk(entry, regex.removesuffix("$").removesuffix(r"\Z"), inner)
        else:
            assert isinstance(entry, URLPattern)
            yield Pattern(namespace, entry.name, "^" + regex, entry.callback)


def kwarg_lookup(pattern: Pattern, kwarg: str) -> Lookup | None:
    """How to find `kwarg` of `pattern` in a side: KWARGS, most specific key first; admin object ids by model."""
    for key in (f"{pattern.key}:{kwarg}", f"{pattern.namespace}:{kwarg}", kwarg):
        if key in KWARGS:
            return KWARGS[key]
    if kwarg == "object_id" and pattern.model_label in ADMIN_OBJECTS:
        find = ADMIN_OBJECTS[pattern.model_label]
        return lambda side: find(side).pk
    return None


@dataclass(frozen=True)
class Address:
    """One URL made from a pattern: `scope` is "in" (every object in trust 1), "out" (every object in trust 2)
    or "mixed:<kw>" (in trust 1 but `kw`, which names an object of trust 2)."""

    pattern: Pattern
    scope: str
    url: str


def addresses(pattern: Pattern, cast: Cast) -> list[Address]:
    """The URLs to try for a pattern: in scope; out of scope (when a keyword names an object of one trust); and,
    for a pattern with several such keywords, each one alone swapped for another trust's object."""
    lookups = {kwarg: kwarg_lookup(pattern, kwarg) for kwarg in pattern.kwargs}
    missing = [kwarg for kwarg, lookup in lookups.items() if lookup is None]
    assert not missing, f"{pattern.key}: add {missing} to KWARGS (or the model to ADMIN_OBJECTS)"
    inside = {kwarg: lookup(cast.inside) for kwarg, lookup in lookups.items()}
    outside = {kwarg: lookup(cast.outside) for kwarg, lookup in lookups.items()}
    query = f"?{QUERIES[pattern.key]}" if pattern.key in QUERIES else ""
    found = [Address(pattern, "in", pattern.url(inside) + query)]
    scoped = [kwarg for kwarg in pattern.kwargs if inside[kwarg] != outside[kwarg]]
    if scoped:
        found.append(Address(pattern, "out", pattern.url(outside) + query))
    if len(scoped) > 1:
        for kwarg in scoped:
            mixed = pattern.url(inside | {kwarg: outside[kwarg]})
            found.append(Address(pattern, f"mixed:{kwarg}", mixed + query))
    return found


# --- the world ----------------------------------------------------------------------------------------------

TODAY = timezone.localdate()
STUDY_START = TODAY - timedelta(days=60)


def build_world() -> Cast:
    """The cast and both sides, made through the services (and factories for users, teams and people)."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.apps import apps
    from django.contrib.auth.models import Group

    from connecting_people.accounts.models import Role, SignInFailure
    from connecting_people.accounts.tests.factories import TeamFactory, TrustFactory, UserFactory, member
    from connecting_people.community.tests.factories import OpportunityFactory, OrganisationFactory
    from connecting_people.implementation.models import GuidancePage

    # The guidance pages come from a data migration; a browser journey's flush in this process empties them.
    importlib.import_module("connecting_people.implementation.migrations.0002_guidance_pages").seed(
        apps, None
    )
    SHARED["opportunity"] = OpportunityFactory(name="Riverside walking group", interests=["walking"])
    # Published with a place and an organisation, so each Open Referral record has an id to ask for.
    SHARED["published"] = OpportunityFactory(
        name="Riverside drop-in",
        address="Riverside Hall",
        organisation=OrganisationFactory(name="Riverside Trust"),
    )
    SHARED["group"] = Group.objects.create(name="Matrix group")
    SHARED["guidance"] = GuidancePage.objects.get(slug="assess")

    trust, other_trust = TrustFactory(), TrustFactory()
    # A third trust, neither a site nor invited anywhere: the study lead's "add or invite a site" form offers it.
    TrustFactory()
    team, other_team = TeamFactory(trust=trust), TeamFactory(trust=trust)
    users = {role: UserFactory(username=f"mx_{role}") for role in ROLES if role != "anonymous"}
    member(users["practitioner"], Role.PRACTITIONER, team=team)
    member(users["colleague"], Role.PRACTITIONER, team=team)
    member(users["lead"], Role.TEAM_LEAD, team=team)
    member(users["other_lead"], Role.TEAM_LEAD, team=other_team)
    member(users["implementation_lead"], Role.IMPLEMENTATION_LEAD, trust=trust)
    member(users["researcher"], Role.RESEARCHER, trust=trust)
    member(users["study_lead"], Role.RESEARCHER, trust=trust)
    member(users["data_protection"], Role.DATA_PROTECTION, trust=trust)
    member(users["administrator"], Role.ADMINISTRATOR)
    users["administrator"].is_staff = users["administrator"].is_superuser = True
    users["administrator"].save()

    inside = _side("mxin", trust, team, users["practitioner"], users["lead"], users["study_lead"])
    outside_team = TeamFactory(trust=other_trust)
    outside_staff = {role: UserFactory(username=f"mx_out_{role}") for role in ("worker", "lead", "study")}
    member(outside_staff["worker"], Role.PRACTITIONER, team=outside_team)
    member(outside_staff["lead"], Role.TEAM_LEAD, team=outside_team)
    member(outside_staff["study"], Role.RESEARCHER, trust=other_trust)
    outside = _side(
        "mxout",
        other_trust,
        outside_team,
        outside_staff["worker"],
        outside_staff["lead"],
        outside_staff["study"],
    )
    _study_member(inside, users["researcher"])
    # Each trust's study invites the other trust, which has not answered: trust 1's researchers may answer the
    # invitation from trust 2's study; the one to trust 2 is out of their scope (and trust 2 is not a site of
    # the in-scope study until someone there accepts).
    inside.invitation = _invite(outside, trust)
    outside.invitation = _invite(inside, other_trust)
    for side, address in ((inside, "192.0.2.1"), (outside, "198.51.100.7")):
        side.sign_in_failure = SignInFailure.objects.create(address=address)
        side.access_attempt = AccessAttempt.objects.create(
            username=side.worker.username, ip_address=address, failures_since_start=1
        )
        side.access_log = AccessLog.objects.create(username=side.worker.username, ip_address=address)
        side.access_failure = AccessFailureLog.objects.create(
            username=side.worker.username, ip_address=address
        )
    return Cast(
        users=users, inside=inside, outside=outside, **{k: SHARED[k] for k in ("opportunity", "group")}
    )


def _side(code, trust, team, worker, lead, study_lead) -> Side:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from connecting_people.accounts.services import cover_grant
    from connecting_people.connections import services as maps
    from connecting_people.implementation import services as implementation
    from connecting_people.implementation.models import FidelityRating
    from connecting_people.people.tests.factories import PersonFactory
    from connecting_people.plans import services as plans

    person = PersonFactory(team=team, allocated_worker=worker, date_of_birth=date(1980, 5, 17))
    maps.snapshot_start(actor=as_actor(worker), person_id=person.pk, taken_on=TODAY - timedelta(days=30))
    # The latest map is yesterday's, so a new map or an import dated today is accepted.
    snapshot = maps.snapshot_start(actor=as_actor(worker), person_id=person.pk, taken_on=TODAY - timedelta(days=1))
    entry = maps.entry_add(
        actor=as_actor(worker),
        person_id=person.pk,
        snapshot_id=snapshot.pk,
        data=maps.EntryData(label="Sam", kind="person", category="friend", ring="close"),
    )
    maps.entry_add(  # a second entry, so the first has someone to be tied to
        actor=as_actor(worker),
        person_id=person.pk,
        snapshot_id=snapshot.pk,
        data=maps.EntryData(label="Jo", kind="group", category="community_group", ring="middle"),
    )
    levels = {level: f"Level {level}" for level in (-2, -1, 0, 1, 2)}
    goal = plans.goal_create(
        actor=as_actor(worker),
        person_id=person.pk,
        data=plans.GoalData(text="Walk weekly", levels=levels),
        set_on=TODAY,
    )
    step = plans.step_add(
        actor=as_actor(worker),
        person_id=person.pk,
        goal_id=goal.pk,
        data=plans.StepData(what="Find a route", owner="person", due_on=TODAY + timedelta(days=7)),
    )
    plan_link = plans.link_create(
        actor=as_actor(worker), person_id=person.pk, opportunity_id=SHARED["opportunity"].pk
    )
    review = plans.review_hold(
        actor=as_actor(worker),
        person_id=person.pk,
        data=plans.ReviewData(
            held_on=TODAY, decision="continue", next_review_on=TODAY + timedelta(days=60), start_new_map=False
        ),
    )
    cover = cover_grant(
        user=lead,
        team_id=team.pk,
        practitioner_id=worker.pk,
        starts_on=TODAY + timedelta(days=10),
        ends_on=TODAY + timedelta(days=20),
        reason="Leave",
    )
    answers = [2] * 16
    rating = implementation.fidelity_rating_record(
        actor=worker,
        kind=FidelityRating.Kind.SELF,
        scale_id="cp_practice_fidelity",
        answers=answers,
        rated_on=TODAY,
        period_start=TODAY - timedelta(days=90),
        period_end=TODAY,
        team_id=team.pk,
    )
    team_link = implementation.community_link_create(
        actor=lead,
        team_id=team.pk,
        data=implementation.CommunityLinkData(since=TODAY - timedelta(days=30), name="Allotments"),
    )
    training = implementation.training_session_create(
        actor=lead,
        data=implementation.TrainingData(
            title="Day 1",
            held_on=TODAY - timedelta(days=3),
            level="worker",
            trainer="Trainer",
            trust_id=trust.pk,
            team_id=team.pk,
        ),
        attendee_ids=[worker.pk],
    )
    study, timepoint, participant, export, report, task_result = _study(
        code, trust, team, worker, person, study_lead
    )
    totp = TOTPDevice.objects.create(user=worker, name="phone", confirmed=True)
    from connecting_people.measures import services as measures

    administration = measures.administration_record(
        actor=as_actor(worker),
        person_id=person.pk,
        instrument_id="ucla3",
        answers=[1, 2, 3],
        administered_on=TODAY - timedelta(days=2),
        mode="with_person",
    )
    from connecting_people.api import services as api_services

    token, _ = api_services.token_create(
        actor=as_actor(worker), name="matrix", scopes=["people:read"], days=30, mfa_verified=True
    )
    activity = plans.activity_add(
        actor=as_actor(worker),
        person_id=person.pk,
        data=plans.ActivityData(kind="contact_phone", occurred_on=TODAY),
    )
    plans.assessment_save(  # what matters to the person
        actor=as_actor(worker),
        person_id=person.pk,
        expected_version=None,
        data=plans.AssessmentData(assessed_on=TODAY, aspirations="Get out more"),
    )
    return Side(
        token=token,
        administration=administration,
        activity=activity,
        trust=trust,
        team=team,
        worker=worker,
        lead=lead,
        study_lead=study_lead,
        person=person,
        snapshot=snapshot,
        entry=entry,
        goal=goal,
        step=step,
        plan_link=plan_link,
        review=review,
        cover=cover,
        rating=rating,
        team_link=team_link,
        training=training,
        study=study,
        timepoint=timepoint,
        participant=participant,
        export=export,
        report=report,
        totp=totp,
        task_result=task_result,
    )


def _study(code, trust, team, worker, person, study_lead):
    from django_tasks_db.models import DBTaskResult

    from connecting_people.study import jobs, selectors, services
    from connecting_people.study.models import Job, Study, StudySite

    study = services.study_create(
        actor=study_lead,
        data=services.StudyData(code=code, title=f"Study {code}", starts_on=STUDY_START, consent_version="v1.0"),
    )
    access = selectors.study_access(actor=study_lead, study_id=study.pk)
    site = services.site_add(actor=study_lead, access=access, trust_id=trust.pk)
    # The lead holds the researcher role in the trust, so its own trust takes part at once (no invitation).
    assert site.status == StudySite.Status.ACTIVE, site.status
    study_team = services.team_allocate(actor=study_lead, access=access, team_id=team.pk, arm="intervention")
    services.study_status_set(
        actor=study_lead, access=access, expected_version=study.version, status=Study.Status.RECRUITING
    )
    participant = services.person_enrol(
        actor=worker,
        person_id=person.pk,
        study_team_id=study_team.pk,
        enrolled_on=TODAY - timedelta(days=5),
        consented_on=TODAY - timedelta(days=5),
    )
    access = selectors.study_access(actor=study_lead, study_id=study.pk)
    timepoint = study.timepoints.get(code="baseline")
    services.assessment_record(
        actor=study_lead,
        access=access,
        participant=participant,
        timepoint_id=timepoint.pk,
        instrument_id="swemwbs",
        answers=[3] * 7,
        administered_on=TODAY - timedelta(days=4),
    )
    export = jobs.job_request(
        actor=study_lead,
        access=access,
        kind=Job.Kind.EXPORT,
        purpose=Job.Purpose.MONITORING,
        options={"dates": "days", "formats": ["long_csv"]},
    )
    task_result = DBTaskResult.objects.order_by("-enqueued_at").first()  # queued for the worker
    report = jobs.job_request(
        actor=study_lead,
        access=access,
        kind=Job.Kind.REPORT,
        purpose=Job.Purpose.MONITORING,
        options={"seed": 1, "replicates": 10},
    )
    with patch.dict(jobs.MAKERS, {Job.Kind.REPORT: f"{__name__}.stand_in_report"}):
        report = jobs.job_run(report.pk)
    return study, timepoint, participant, jobs.job_run(export.pk), report, task_result


def stand_in_report(job):
    """Makes a report job's files without the analysis (which needs a study of some size): the pages and the
    download only need a finished job with its files."""
    from connecting_people.study import jobs
    from connecting_people.study.report import db as reporting

    directory = jobs.job_directory(job)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / reporting.BODY_FILE).write_text("<p>Stand-in report</p>", encoding="utf-8")
    path = directory / reporting.REPORT_FILE
    path.write_text("<html><body><p>Stand-in report</p></body></html>", encoding="utf-8")
    return path, {"seed": 1, "replicates": 10}


def _study_member(side: Side, researcher) -> None:
    from connecting_people.study import selectors, services

    access = selectors.study_access(actor=side.study_lead, study_id=side.study.pk)
    services.member_add(
        actor=side.study_lead, access=access, username=researcher.username, role="researcher", site_id=None
    )


def _invite(side: Side, trust):
    """`side`'s study lead invites `trust` (not theirs) to take part: an invitation waiting for an answer."""
    from connecting_people.study import selectors, services
    from connecting_people.study.models import StudySite

    access = selectors.study_access(actor=side.study_lead, study_id=side.study.pk)
    site = services.site_add(actor=side.study_lead, access=access, trust_id=trust.pk)
    assert site.status == StudySite.Status.INVITED, site.status
    return site


# --- signing in ---------------------------------------------------------------------------------------------


@dataclass
class World:
    """What the tests of this package share: the cast and its objects, a signed-in session per role, and what the
    crawl of every pattern's page (in scope, as a role that reaches it) found there."""

    cast: Cast
    sessions: dict[str, str]  # role → session key
    forms: dict[str, Form]  # pattern key → the first form found that posts to it
    get_forms: dict[str, Form]  # pattern key → the first GET form (search) found that goes to it
    owner_pages: dict[str, tuple[str, int]]  # in-scope URL of each pattern → (role that read it, status)
    query_names: dict[str, set[str]] = field(default_factory=dict)  # pattern key → query names its links use
    tokens: dict[str, str] = field(default_factory=dict)  # role → an API token with every scope

    def client(self, api: bool = False) -> RoleClient:
        return RoleClient(self.sessions, tokens=self.tokens if api else None)


class RoleClient:
    """A test client that sends each request as one role (by its session cookie), so no test signs anyone in
    and a sign-out by one request does not carry over to the next."""

    def __init__(self, sessions: dict[str, str], tokens: dict[str, str] | None = None, **kwargs):
        self.client = Client(raise_request_exception=False, **kwargs)
        self.sessions = sessions
        self.tokens = tokens

    def as_role(self, role: str) -> SignedIn:
        return SignedIn(self, role)


class SignedIn:
    """The client as one role: before each request, the role's session cookie and no other (a sign-out, a new
    session key or a message cookie left by the last request does not carry over)."""

    def __init__(self, role_client: RoleClient, role: str):
        self.client = role_client.client
        self.api = role_client.tokens is not None
        self.session = None if self.api else role_client.sessions.get(role)
        self.token = (role_client.tokens or {}).get(role)

    def _cookies(self) -> Client:
        self.client.cookies.clear()
        if self.session is not None:
            self.client.cookies[settings.SESSION_COOKIE_NAME] = self.session
        return self.client

    def _headers(self, kwargs: dict) -> dict:
        if self.token is not None:
            kwargs.setdefault("headers", {})["Authorization"] = f"Bearer {self.token}"
        return kwargs

    def get(self, *args, **kwargs):
        return self._cookies().get(*args, **self._headers(kwargs))

    def post(self, path, data=None, **kwargs):
        if self.api:  # the API takes JSON: an empty object (a form's fields mean nothing to it)
            return self._cookies().post(path, "{}", content_type="application/json", **self._headers(kwargs))
        return self._cookies().post(path, data, **kwargs)

    def patch(self, path, **kwargs):
        kwargs = self._headers(kwargs)
        kwargs.setdefault("headers", {})["If-Match"] = "*"
        return self._cookies().patch(path, "{}", content_type="application/json", **kwargs)


def owner_of(access: Access) -> str | None:
    """The role whose view of a page is crawled for its forms: the most ordinary role that reaches it."""
    for role in ("practitioner", "lead", "study_lead", "implementation_lead", "administrator", "colleague"):
        if role in access.roles:
            return role
    return next(iter(sorted(access.roles)), None)


# --- what the pages hold: forms -----------------------------------------------------------------------------


@dataclass
class Form:
    """One <form> of a page: where it goes, how, and its fields with the values the page filled in (the first
    option of a choice; every value of a multiple choice the page ticked)."""

    action: str
    method: str
    fields: dict[str, list[str]] = field(default_factory=dict)
    # Every value offered by a select, radios or checkboxes; the names of hidden inputs.
    choices: dict[str, list[str]] = field(default_factory=dict)
    hidden: set[str] = field(default_factory=set)
    files: set[str] = field(default_factory=set)  # the names of file inputs (uploads)


class _FormParser(HTMLParser):
    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self.links: list[str] = []  # every href with a query string
        self._select: tuple[str, bool] | None = None  # (name, multiple)
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        form = self.forms[-1] if self.forms else None
        if tag == "a" and "?" in attrs.get("href", ""):
            self.links.append(attrs["href"])
        elif tag == "form":
            action = urlsplit(attrs.get("action") or self.page_url).path or self.page_url
            self.forms.append(Form(action, attrs.get("method", "get").lower()))
        elif form is None or ("name" not in attrs and tag != "option"):
            return
        elif tag == "input":
            self._input(form, attrs)
        elif tag == "select":
            self._select = (attrs["name"], "multiple" in attrs)
            form.choices.setdefault(attrs["name"], [])
        elif tag == "option" and self._select is not None:
            name, multiple = self._select
            value = attrs.get("value", "")
            form.choices[name].append(value)
            if "selected" in attrs:
                form.fields[name] = [*form.fields.get(name, []), value] if multiple else [value]
            elif not multiple and name not in form.fields and value:
                form.fields[name] = [value]  # what a browser sends: the first option
        elif tag == "textarea":
            self._textarea = attrs["name"]
            form.fields[self._textarea] = [""]

    @staticmethod
    def _input(form: Form, attrs: dict) -> None:
        name, kind, value = attrs["name"], attrs.get("type", "text"), attrs.get("value", "")
        if kind == "file":
            form.files.add(name)
        if kind in ("submit", "button", "image", "file", "reset"):
            return
        if kind == "hidden":
            form.hidden.add(name)
        if kind in ("checkbox", "radio"):
            form.choices.setdefault(name, []).append(value or "on")
            if "checked" in attrs:
                form.fields[name] = [*form.fields.get(name, []), value or "on"]
            return
        form.fields.setdefault(name, []).append(value)

    def handle_data(self, data):
        if self._textarea is not None and self.forms:
            self.forms[-1].fields[self._textarea] = [self.forms[-1].fields[self._textarea][0] + data]

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def forms_in(html: str, page_url: str) -> tuple[list[Form], list[str]]:
    """The forms of a page (without their CSRF token), and the links on it that carry a query string."""
    parser = _FormParser(page_url)
    parser.feed(html)
    for form in parser.forms:
        form.fields.pop("csrfmiddlewaretoken", None)
    return parser.forms, parser.links


def finish(response):
    """Read a download to its end, as a server would send it. (Closing it directly would fire the request's end
    with Django's connection clean-up attached, which closes a PostgreSQL connection held in a transaction.)"""
    if response.streaming:
        b"".join(response.streaming_content)
    return response


# The page of a form refused for want of its CSRF token (core.views.csrf_failure): its title, as nothing else on
# it names the check (by design: the reason goes to the log).
CSRF_REFUSAL_TITLE = "<title>Your form was not sent"


def csrf_refused(response) -> bool:
    """Whether a response is the refusal of a form sent without a valid CSRF token."""
    return (
        response.status_code == 403
        and not response.streaming
        and CSRF_REFUSAL_TITLE in response.content.decode(errors="replace")
    )


def pattern_of(path: str) -> str | None:
    """The key of the pattern a path resolves to ("people:edit"), None when none."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return f"{match.namespace}:{match.url_name}" if match.url_name else None


# --- did anything change? -----------------------------------------------------------------------------------

# Sessions change on every signed-in request (the idle clock), by design.
UNWATCHED_TABLES = {"django_session"}
# Bookkeeping a request writes whoever it is from: when a token was last used.
UNWATCHED_COLUMNS = {"api_apitoken": {"last_used_at"}}


def tables_fingerprint() -> dict[str, str]:
    """A digest of every row of every table (sessions aside): two equal fingerprints mean nothing was written."""
    digests = {}
    with connection.cursor() as cursor:
        for table in sorted(set(connection.introspection.table_names()) - UNWATCHED_TABLES):
            columns = "*"
            if table in UNWATCHED_COLUMNS:
                names = [
                    column.name
                    for column in connection.introspection.get_table_description(cursor, table)
                    if column.name not in UNWATCHED_COLUMNS[table]
                ]
                columns = ", ".join(connection.ops.quote_name(name) for name in names)
            cursor.execute(f"SELECT {columns} FROM {connection.ops.quote_name(table)}")  # noqa: S608 - our own names
            rows = sorted(repr(row) for row in cursor.fetchall())
            digests[table] = hashlib.blake2b("\n".join(rows).encode(), digest_size=12).hexdigest()
    return digests


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(table for table in before.keys() | after.keys() if before.get(table) != after.get(table))


def admin_models() -> set[str]:
    return {model._meta.label_lower for model in admin.site._registry}
