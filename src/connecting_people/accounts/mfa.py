"""TOTP enrolment and verification on top of django-otp, and the one-time set-up codes enrolment needs.

Enrolment: an administrator issues a set-up code (`enrolment_code_issue`, from the web or the command line);
the member of staff signs in with their password, enters the code (`enrolment_code_accept`), and only then sees
a fresh secret to scan; the first right 6-digit code confirms the device (`mfa_verify`). After that the secret is
never shown again: a lost phone means an administrator resets the device (`mfa_reset`) and issues a new code.
"""

import hashlib
import hmac
import io
import math
import secrets
from dataclasses import dataclass
from datetime import timedelta

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from connecting_people.accounts.models import EnrolmentCode, User
from connecting_people.audit.services import audit_record
from connecting_people.core.errors import NotAllowedError, ServiceError

# Letters and digits that cannot be mistaken for one another when read aloud or copied (no I, L, O, 0, 1).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12  # about 59 bits
MAX_CODE_ATTEMPTS = 5


@dataclass(frozen=True)
class MfaResult:
    """The outcome of one code: truthy when verified; `wait_seconds` > 0 when guesses are being held back."""

    verified: bool
    wait_seconds: int = 0

    def __bool__(self) -> bool:
        return self.verified


def confirmed_device(*, user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_device(*, user, device_id: int | None) -> TOTPDevice | None:
    """The unconfirmed device this sign-in is setting up (its id kept in the session when the set-up code was
    accepted), or None."""
    if device_id is None:
        return None
    return TOTPDevice.objects.filter(user=user, pk=device_id, confirmed=False).first()


# --- set-up codes -----------------------------------------------------------------------------------------


def _normalised(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _code_hash(code: str) -> str:
    return hashlib.sha256(_normalised(code).encode("ascii", "ignore")).hexdigest()


def _formatted(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def enrolment_code_issue(*, actor: User | None, user: User, via: str = "web") -> tuple[str, EnrolmentCode]:
    """Make a set-up code for `user` and return it (the only time it exists in plain text) with its record.
    Earlier codes still waiting are cancelled. `actor` None means the server's command line.

    Refused (NotAllowedError / ServiceError, nothing changed): for oneself, for an inactive account, or for
    someone whose security code is already set up (reset it first)."""
    if actor is not None and actor.pk == user.pk:
        raise NotAllowedError(
            "You cannot make a set-up code for yourself. Ask another administrator.",
            field="username",
            code="own_enrolment_code",
        )
    if not user.is_active:
        raise ServiceError(
            f"{user.username}'s account is not active.",
            field="username",
            code="account_inactive",
            params={"username": user.username},
        )
    if confirmed_device(user=user) is not None:
        raise ServiceError(
            f"{user.username} already has a security code set up. If they have lost it, reset it first "
            "(Administration, TOTP devices), then make a set-up code.",
            field="username",
            code="security_code_already_set_up",
            params={"username": user.username},
        )
    now = timezone.now()
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    with transaction.atomic():
        EnrolmentCode.objects.filter(user=user, used_at__isnull=True, revoked_at__isnull=True).update(
            revoked_at=now
        )
        record = EnrolmentCode.objects.create(
            user=user,
            code_hash=_code_hash(code),
            issued_by=actor,
            issued_at=now,
            expires_at=now + timedelta(hours=settings.CONNECTING_PEOPLE_ENROLMENT_CODE_HOURS),
        )
        audit_record(
            actor=actor,
            action="mfa.enrolment_code_issued",
            object_type="user",
            object_id=user.pk,
            summary={"code_id": record.pk, "expires_at": record.expires_at, "via": via},
        )
    return _formatted(code), record


def enrolment_code_outstanding(*, user: User) -> EnrolmentCode | None:
    """The user's set-up code that can still be used, if any."""
    return (
        EnrolmentCode.objects.filter(
            user=user, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
        .order_by("-issued_at")
        .first()
    )


def enrolment_code_accept(*, user: User, code: str) -> TOTPDevice:
    """Use up `user`'s set-up code and start a fresh device to scan (any half-finished one is removed).
    ServiceError when there is no code waiting or this is not it; after MAX_CODE_ATTEMPTS wrong tries the
    code is cancelled."""
    with transaction.atomic():
        record = (
            EnrolmentCode.objects.select_for_update()
            .filter(user=user, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())
            .order_by("-issued_at")
            .first()
        )
        if record is None:
            audit_record(
                actor=user,
                action="mfa.enrolment_code_failed",
                object_type="user",
                object_id=user.pk,
                summary={"reason": "none_waiting"},
            )
            error = ServiceError(
                "You do not have a set-up code that still works. Ask your administrator for a new one.",
                field="code",
                code="no_enrolment_code",
            )
        elif not hmac.compare_digest(record.code_hash, _code_hash(code)):
            record.failed_attempts += 1
            cancelled = record.failed_attempts >= MAX_CODE_ATTEMPTS
            if cancelled:
                record.revoked_at = timezone.now()
            record.save(update_fields=["failed_attempts", "revoked_at"])
            audit_record(
                actor=user,
                action="mfa.enrolment_code_failed",
                object_type="user",
                object_id=user.pk,
                summary={"code_id": record.pk, "reason": "cancelled" if cancelled else "wrong"},
            )
            if cancelled:
                # Raised after the transaction commits, so the cancellation and its audit event are kept.
                error = ServiceError(
                    "That set-up code is not right, and it has now been cancelled after too many tries. Ask "
                    "your administrator for a new one.",
                    field="code",
                    code="enrolment_code_cancelled",
                )
            else:
                error = ServiceError(
                    "The set-up code is not right. Check it and try again.",
                    field="code",
                    code="enrolment_code_wrong",
                )
        else:
            error = None
            record.used_at = timezone.now()
            record.save(update_fields=["used_at"])
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
            audit_record(
                actor=user,
                action="mfa.enrolment_code_used",
                object_type="user",
                object_id=user.pk,
                summary={"code_id": record.pk},
            )
    if error is not None:
        raise error
    return device


def mfa_reset(*, actor: User, device: TOTPDevice) -> None:
    """Remove a member of staff's authenticator app (lost phone). They need a new set-up code to enrol again."""
    with transaction.atomic():
        user_id = device.user_id
        confirmed = device.confirmed
        device.delete()
        audit_record(
            actor=actor,
            action="mfa.reset",
            object_type="user",
            object_id=user_id,
            summary={"device_was_confirmed": confirmed},
        )


def qr_svg(uri: str) -> str:
    """The QR code as an SVG element to embed in the page (no XML declaration, no inline style)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode("utf-8")
    return svg[svg.index("<svg") :]


def _wait_seconds(info: dict | None) -> int:
    locked_until = (info or {}).get("locked_until")
    if locked_until is None:
        return 1
    return max(1, math.ceil((locked_until - timezone.now()).total_seconds()))


def mfa_verify(*, request, token: str, enrolment_device_id: int | None = None) -> MfaResult:
    """Check a code against the user's confirmed device, or, while enrolling, against the device started when
    their set-up code was accepted (`enrolment_device_id`, from the session); on success mark the session
    verified, confirming a new device.

    The device row is locked for the check, so parallel guesses cannot slip past django-otp's throttling
    (each wrong code doubles the wait) or reuse a code that has just been accepted."""
    user = request.user
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("id").first()
        )
        if device is None and enrolment_device_id is not None:
            device = (
                TOTPDevice.objects.select_for_update()
                .filter(user=user, pk=enrolment_device_id, confirmed=False)
                .first()
            )
        if device is None:
            audit_record(actor=user, action="mfa.failed", object_type="user", object_id=user.pk)
            return MfaResult(False)
        allowed, info = device.verify_is_allowed()
        if not allowed:
            audit_record(actor=user, action="mfa.throttled", object_type="user", object_id=user.pk)
            return MfaResult(False, wait_seconds=_wait_seconds(info))
        if not device.verify_token(token):
            audit_record(actor=user, action="mfa.failed", object_type="user", object_id=user.pk)
            return MfaResult(False)
        first_time = not device.confirmed
        if first_time:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
        otp_login(request, device)
        audit_record(
            actor=user,
            action="mfa.enrolled" if first_time else "mfa.verified",
            object_type="user",
            object_id=user.pk,
        )
    return MfaResult(True)
