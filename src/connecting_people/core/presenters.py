"""Formatting for pages: dates, NHS numbers, ages. Plain functions, used as Jinja filters."""

from datetime import date, datetime

from django.utils import timezone


def date_long(value: date | None) -> str:
    """26 November 2026"""
    if not value:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return f"{value.day} {value:%B %Y}"


def date_short(value: date | None) -> str:
    """26 Nov 2026"""
    if not value:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return f"{value.day} {value:%b %Y}"


def datetime_short(value: datetime | None) -> str:
    """26 Nov 2026, 14:05"""
    if not value:
        return ""
    local = timezone.localtime(value)
    return f"{local.day} {local:%b %Y}, {local:%H:%M}"


def nhs_number(value: str | None) -> str:
    """NHS numbers are shown in 3-3-4 groups: 999 123 4567."""
    if not value:
        return ""
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) != 10:
        return value
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def age(born: date | None, today: date | None = None) -> int | None:
    if not born:
        return None
    today = today or timezone.localdate()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
