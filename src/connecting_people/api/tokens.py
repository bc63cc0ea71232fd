"""Token strings and scopes (pure: no Django). A token reads `cp_<prefix>_<secret>`: the prefix names it in lists
and in the audit trail; only a SHA-256 hash of the whole string is stored (the secret has 256 bits, so a plain
hash is enough: nothing can be guessed from it)."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

TOKEN_START = "cp_"

# What a token may be used for. A token never reaches further than its user: scopes only narrow.
SCOPES: dict[str, str] = {
    "people:read": "Read the records of people in your caseloads",
    "people:write": "Add and change people's records",
    "maps:read": "Read connections maps",
    "maps:write": "Record connections maps",
    "measures:read": "Read outcome measures",
    "measures:write": "Record outcome measures",
    "plans:read": "Read plans: what matters, goals, steps, activities, links and reviews",
    "plans:write": "Record plans",
    "community:read": "Read the community directory",
    "indicators:read": "Read implementation indicators (counts only, never people)",
    "study:read": "Read a study's pseudonymised data",
    "fhir:read": "Read FHIR resources",
    "fhir:write": "Send FHIR questionnaire responses",
}


@dataclass(frozen=True)
class NewToken:
    prefix: str
    secret: str  # the whole token, shown once
    secret_hash: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> NewToken:
    prefix = secrets.token_hex(5)
    token = f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(32)}"
    return NewToken(prefix=prefix, secret=token, secret_hash=hash_token(token))


def prefix_of(token: str) -> str | None:
    """The prefix of a well-formed token; None for anything else (which is refused without a query)."""
    if not token.startswith(TOKEN_START) or len(token) > 100:
        return None
    prefix, _, secret = token[len(TOKEN_START) :].partition("_")
    if len(prefix) != 10 or not secret:
        return None
    return prefix


def same_hash(token: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_token(token), stored_hash)


def unknown_scopes(scopes: list[str]) -> list[str]:
    return [scope for scope in scopes if scope not in SCOPES]
