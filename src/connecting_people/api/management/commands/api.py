"""`connecting-people api ...`: service accounts and their tokens, made on the server.

    api service-account NAME --role researcher --trust ODS [--team NAME]   a system's account (one role)
    api token USERNAME --scopes people:read,study:read [--days 90] [--name TEXT]
                                                                          a token for a service account, shown once
    api tokens [USERNAME]                                                 tokens and their state (never the token)
    api revoke PREFIX                                                     revoke a token (anyone's)

Staff make their own tokens on their "API tokens" page, after their security code; a token for a person is never
made here. Whoever runs commands on the server is trusted with this, as with `mfa enrolment-code`: each act is
audited as made on the command line (and by --user or CONNECTING_PEOPLE_USER when given)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from connecting_people.accounts import selectors as accounts
from connecting_people.accounts import services as account_services
from connecting_people.accounts.actor import NOBODY, actor_for
from connecting_people.api import selectors, services
from connecting_people.core.commands import USAGE_ERROR, acting_user
from connecting_people.core.errors import DomainError


class Command(BaseCommand):
    help = "Service accounts and API tokens: service-account, token, tokens, revoke."

    def add_arguments(self, parser):
        parser.add_argument("--user", help="Who is acting (default: CONNECTING_PEOPLE_USER, if set)")
        sub = parser.add_subparsers(dest="action", required=True)
        account = sub.add_parser("service-account", help="Make a service account with one role.")
        account.add_argument("username")
        account.add_argument("--role", required=True, help="researcher, implementation_lead, team_lead, ...")
        account.add_argument("--trust", required=True, help="The trust's ODS code")
        account.add_argument("--team", help="The team's name, for a team role")
        token = sub.add_parser("token", help="Make a token for a service account (shown once).")
        token.add_argument("username")
        token.add_argument(
            "--scopes", required=True, help="Comma-separated, for example people:read,maps:read"
        )
        token.add_argument("--days", type=int, default=90)
        token.add_argument("--name", default="", help="What the token is for")
        listing = sub.add_parser("tokens", help="List tokens (never the tokens themselves).")
        listing.add_argument("username", nargs="?")
        revoke = sub.add_parser("revoke", help="Revoke a token by its prefix.")
        revoke.add_argument("prefix")

    def handle(self, *args, **options):
        user = acting_user(options.get("user"), required=False)
        actor = actor_for(user) if user is not None else NOBODY
        try:
            getattr(self, "_" + options["action"].replace("-", "_"))(actor, options)
        except DomainError as error:
            raise CommandError(error.message, returncode=USAGE_ERROR) from None

    def _service_account(self, actor, options):
        account = account_services.service_account_create(
            actor=actor.user,
            username=options["username"],
            role=options["role"],
            trust_ods_code=options["trust"],
            team_name=options.get("team"),
        )
        self.stdout.write(
            f"Service account {account.username} made. Make its token with: "
            f"connecting-people api token {account.username} --scopes ..."
        )

    def _token(self, actor, options):
        account = accounts.user_by_username(username=options["username"])
        scopes = [scope.strip() for scope in options["scopes"].split(",") if scope.strip()]
        token, secret = services.token_create(
            actor=actor,
            name=options["name"] or f"{account.username} token",
            scopes=scopes,
            days=options["days"],
            mfa_verified=False,
            for_user=account,
        )
        expires = timezone.localtime(token.expires_at).strftime("%d %B %Y")
        self.stdout.write(secret)
        self.stderr.write(
            f"Token cp_{token.prefix}… for {account.username}, works until {expires}. It is shown once and not "
            "stored: put it in the system's secret store now."
        )

    def _tokens(self, actor, options):
        rows = selectors.tokens_listed(username=options.get("username"))
        now = timezone.now()
        for token in rows:
            state = "revoked" if token.revoked_at else ("expired" if token.expires_at <= now else "works")
            used = (
                timezone.localtime(token.last_used_at).strftime("%Y-%m-%d %H:%M")
                if token.last_used_at
                else "never"
            )
            self.stdout.write(
                f"cp_{token.prefix}\t{token.user.username}\t{state}\tuntil {token.expires_at:%Y-%m-%d}\t"
                f"last used {used}\t{','.join(token.scopes)}\t{token.name}"
            )

    def _revoke(self, actor, options):
        prefix = options["prefix"].removeprefix("cp_").rstrip("…")
        token = selectors.token_by_prefix(prefix=prefix)
        if token is None:
            raise CommandError(f"No token with the prefix {options['prefix']}", returncode=USAGE_ERROR)
        services.token_revoke(actor=actor, token_id=token.pk, any_owner=True)
        self.stdout.write(f"Token cp_{token.prefix}… of {token.user.username} revoked.")
