"""Django admin for administrators only: users, organisations, memberships. No clinical records here."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.shortcuts import redirect

from connecting_people.accounts.models import CoverAssignment, Membership, Team, Trust, User
from connecting_people.audit.services import audit_record


def describe_change(message) -> str:
    """Django's structured change message as one line: changed fields, and inline rows added, changed or
    deleted (so a role granted on the user page shows as "added membership: ...")."""
    parts = []
    for entry in message or []:
        for kind, detail in entry.items():
            if "name" in detail:
                parts.append(f"{kind} {detail['name']}: {detail.get('object', '')}".strip())
            if detail.get("fields"):
                parts.append(f"{kind} fields: {', '.join(detail['fields'])}")
    return "; ".join(parts) or "saved with no changes"


class AuditedAdmin(admin.ModelAdmin):
    """Writes our audit event beside Django's admin log for every add, change and delete."""

    def _audit(self, request, obj, action: str, detail) -> None:
        audit_record(
            actor=request.user,
            action=f"admin.{obj._meta.model_name}.{action}",
            object_type=obj._meta.model_name,
            object_id=obj.pk,
            summary={"detail": str(detail)[:200]},
        )

    def log_addition(self, request, obj, message):
        self._audit(request, obj, "added", "added")
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        self._audit(request, obj, "changed", describe_change(message))
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            self._audit(request, obj, "deleted", "deleted")
        return super().log_deletions(request, queryset)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["team", "trust"]


@admin.register(User)
class StaffUserAdmin(AuditedAdmin, UserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active", "is_staff"]


@admin.register(Trust)
class TrustAdmin(AuditedAdmin):
    list_display = ["name", "ods_code"]
    search_fields = ["name", "ods_code"]


@admin.register(Team)
class TeamAdmin(AuditedAdmin):
    list_display = ["name", "trust"]
    list_filter = ["trust"]
    search_fields = ["name"]


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin):
    list_display = ["user", "role", "team", "trust"]
    list_filter = ["role", "trust"]
    autocomplete_fields = ["team", "trust"]


@admin.register(CoverAssignment)
class CoverAssignmentAdmin(AuditedAdmin):
    list_display = ["practitioner", "team", "starts_on", "ends_on", "ended_early_at"]


def _admin_sign_in(request, extra_context=None):
    """The admin uses the service's own sign-in (throttled, MFA when required)."""
    return redirect(f"/accounts/sign-in/?next={request.GET.get('next', '/admin/')}")


admin.site.login = _admin_sign_in
admin.site.site_header = "Connecting People administration"
admin.site.site_title = "Connecting People administration"
admin.site.index_title = "Users and organisations"


# django-otp and django-axes register their own admin pages; replace them with audited ones, so resetting a
# member of staff's security code or unlocking an account leaves a trace in our audit trail.
def _audited(model, base_admin):
    admin.site.unregister(model)
    admin.site.register(model, type(f"Audited{base_admin.__name__}", (AuditedAdmin, base_admin), {}))


def _audit_third_party_admins() -> None:
    from axes.admin import AccessAttemptAdmin, AccessLogAdmin
    from axes.models import AccessAttempt, AccessLog
    from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for model, base_admin in (
        (TOTPDevice, TOTPDeviceAdmin),
        (AccessAttempt, AccessAttemptAdmin),
        (AccessLog, AccessLogAdmin),
    ):
        if admin.site.is_registered(model):
            _audited(model, base_admin)


_audit_third_party_admins()
