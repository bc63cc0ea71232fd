"""TOTP enrolment and verification on top of django-otp."""

import io

import qrcode
import qrcode.image.svg
from django.db import transaction
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from connecting_people.audit.services import audit_record


def confirmed_device(*, user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_device(*, user) -> TOTPDevice:
    """The unconfirmed device being set up, created on first visit and kept until confirmed."""
    with transaction.atomic():
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode("utf-8")


def mfa_verify(*, request, token: str) -> bool:
    """Check a code against the user's device (confirming a new one); on success mark the session verified."""
    user = request.user
    with transaction.atomic():
        device = confirmed_device(user=user) or TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None or not device.verify_token(token):
            audit_record(actor=user, action="mfa.failed", object_type="user", object_id=user.pk)
            return False
        first_time = not device.confirmed
        if first_time:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
        otp_login(request, device)
        audit_record(actor=user, action="mfa.enrolled" if first_time else "mfa.verified", object_type="user",
                     object_id=user.pk)
    return True
