"""TOTP enrolment and verification on top of django-otp."""

import io
import math
from dataclasses import dataclass

import qrcode
import qrcode.image.svg
from django.db import transaction
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from connecting_people.audit.services import audit_record


@dataclass(frozen=True)
class MfaResult:
    """The outcome of one code: truthy when verified; `wait_seconds` > 0 when guesses are being held back."""

    verified: bool
    wait_seconds: int = 0

    def __bool__(self) -> bool:
        return self.verified


def confirmed_device(*, user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_device(*, user) -> TOTPDevice:
    """The unconfirmed device being set up, created on first visit and kept until confirmed."""
    with transaction.atomic():
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
            audit_record(actor=user, action="mfa.setup_started", object_type="user", object_id=user.pk)
    return device


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


def mfa_verify(*, request, token: str) -> MfaResult:
    """Check a code against the user's device (confirming a new one); on success mark the session verified.

    The device row is locked for the check, so parallel guesses cannot slip past django-otp's throttling
    (each wrong code doubles the wait) or reuse a code that has just been accepted."""
    user = request.user
    with transaction.atomic():
        devices = TOTPDevice.objects.select_for_update().filter(user=user).order_by("-confirmed", "id")
        device = devices.first()
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
