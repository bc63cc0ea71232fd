"""Django admin for administrators only: users, organisations, memberships. No clinical records here.

Every page view, addition, change and deletion is written to our audit trail. Roles and account privileges go
through the services that stamp and audit them (before and after), and nobody changes their own: another
administrator must. Security-code secrets are never shown: a device can only be looked at or reset."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from connecting_people.accounts import mfa, services
from connecting_people.accounts.admin_input import CheckedFormFields, CheckedInputAdmin
from connecting_people.accounts.models import CoverAssignment, Membership, SignInFailure, Team, Trust, User
from connecting_people.audit.services import audit_record
from connecting_people.core.errors import NotAllowedError
from connecting_people.core.forms import ControlCharactersRemoved, without_control_characters


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


class AuditedAdmin(CheckedInputAdmin, admin.ModelAdmin):
    """Writes our audit event beside Django's admin log for every add, change and delete, and for every look at
    a list or a record's page. Input the admin does not check itself is checked first (`admin_input`)."""

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

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET":
            audit_record(
                actor=request.user,
                action=f"admin.{self.model._meta.model_name}.viewed",
                object_type=self.model._meta.model_name,
                object_id=str(object_id)[:64],
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":
            # The search as it is run (`get_search_results`): without control characters.
            query = without_control_characters(request.GET.get("q", ""))[:100]
            audit_record(
                actor=request.user,
                action=f"admin.{self.model._meta.model_name}.listed",
                object_type=self.model._meta.model_name,
                summary={"query": query} if query else None,
            )
        return super().changelist_view(request, extra_context)


def _own(request, user_id) -> bool:
    return user_id is not None and request.user.pk == user_id


class MembershipInline(CheckedFormFields, admin.TabularInline):
    """Roles on the user's page. Read-only on one's own page: another administrator changes your roles."""

    model = Membership
    fk_name = "user"
    extra = 1
    autocomplete_fields = ["team", "trust"]

    def has_add_permission(self, request, obj=None):
        return not (obj is not None and _own(request, obj.pk)) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not (obj is not None and _own(request, obj.pk)) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not (obj is not None and _own(request, obj.pk)) and super().has_delete_permission(request, obj)


def _save_memberships(request, formset) -> None:
    """Inline or list edits of roles, through the service that stamps and audits them."""
    try:
        for membership in formset.save(commit=False):
            services.membership_save(actor=request.user, membership=membership)
        for membership in formset.deleted_objects:
            services.membership_remove(actor=request.user, membership=membership)
    except NotAllowedError as error:
        raise PermissionDenied(error.message) from None


_PRIVILEGE_FIELDS = ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")


@admin.register(User)
class StaffUserAdmin(AuditedAdmin, UserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active", "is_staff"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and _own(request, obj.pk):
            fields += [name for name in _PRIVILEGE_FIELDS if name not in fields]
        return fields

    def has_delete_permission(self, request, obj=None):
        return not (obj is not None and _own(request, obj.pk)) and super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        """Deleting an account takes its roles with it: each is removed (and audited) first."""
        try:
            for membership in obj.memberships.select_related("team", "trust"):
                services.membership_remove(actor=request.user, membership=membership)
        except NotAllowedError as error:
            raise PermissionDenied(error.message) from None
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            self.delete_model(request, user)

    def save_model(self, request, obj, form, change):
        stored = User.objects.filter(pk=obj.pk).first() if change else None
        # A new account starts active, without staff or superuser status: only privileges beyond that are news.
        before = services.user_access_flags(stored) if stored else services.NEW_ACCOUNT_FLAGS
        super().save_model(request, obj, form, change)
        try:
            services.user_access_record(actor=request.user, user=obj, before=before)
        except NotAllowedError as error:
            raise PermissionDenied(error.message) from None

    def save_related(self, request, form, formsets, change):
        user = form.instance
        before = _permission_names(user)
        super().save_related(request, form, formsets, change)
        try:
            services.user_permissions_record(
                actor=request.user, user=user, before=before, after=_permission_names(user)
            )
        except NotAllowedError as error:
            raise PermissionDenied(error.message) from None

    def save_formset(self, request, form, formset, change):
        if formset.model is Membership:
            _save_memberships(request, formset)
            formset.save_m2m()
        else:
            super().save_formset(request, form, formset, change)


def _permission_names(user: User) -> list[str]:
    if user.pk is None:
        return []
    groups = [f"group:{name}" for name in user.groups.values_list("name", flat=True)]
    permissions = [
        f"{app}.{codename}"
        for app, codename in user.user_permissions.values_list("content_type__app_label", "codename")
    ]
    return sorted(groups + permissions)


@admin.register(Trust)
class TrustAdmin(AuditedAdmin):
    list_display = ["name", "ods_code"]
    search_fields = ["name", "ods_code"]


@admin.register(Team)
class TeamAdmin(AuditedAdmin):
    list_display = ["name", "trust"]
    list_filter = ["trust"]
    search_fields = ["name"]


class MembershipAdminForm(ControlCharactersRemoved, forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["user", "role", "team", "trust"]

    acting_user_id: int | None = None

    def clean_user(self):
        user = self.cleaned_data["user"]
        if user is not None and user.pk == self.acting_user_id:
            raise forms.ValidationError(services.OWN_ACCESS_REFUSED)
        return user


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin):
    list_display = ["user", "role", "team", "trust", "granted_at", "granted_by"]
    list_filter = ["role", "trust"]
    autocomplete_fields = ["team", "trust"]
    readonly_fields = ["granted_at", "granted_by"]
    form = MembershipAdminForm

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"acting_user_id": request.user.pk})

    def has_change_permission(self, request, obj=None):
        return not (obj is not None and _own(request, obj.user_id)) and super().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        return not (obj is not None and _own(request, obj.user_id)) and super().has_delete_permission(
            request, obj
        )

    def save_model(self, request, obj, form, change):
        try:
            services.membership_save(actor=request.user, membership=obj)
        except NotAllowedError as error:
            raise PermissionDenied(error.message) from None

    def delete_model(self, request, obj):
        try:
            services.membership_remove(actor=request.user, membership=obj)
        except NotAllowedError as error:
            raise PermissionDenied(error.message) from None

    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("team", "trust"):
            self.delete_model(request, membership)


@admin.register(CoverAssignment)
class CoverAssignmentAdmin(AuditedAdmin):
    list_display = ["practitioner", "team", "starts_on", "ends_on", "ended_early_at"]


@admin.register(SignInFailure)
class SignInFailureAdmin(AuditedAdmin):
    """Failed sign-ins counting towards the per-address limit. Deleting an address's rows lifts its pause early."""

    list_display = ["address", "occurred_at"]
    readonly_fields = ["address", "occurred_at"]
    search_fields = ["address"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _admin_sign_in(request, extra_context=None):
    """The admin uses the service's own sign-in (throttled, MFA when required)."""
    return redirect(f"/accounts/sign-in/?next={request.GET.get('next', '/admin/')}")


admin.site.login = _admin_sign_in
admin.site.site_header = "Connecting People administration"
admin.site.site_title = "Connecting People administration"
admin.site.index_title = "Users and organisations"


class SecurityCodeDeviceAdmin(AuditedAdmin):
    """Staff's authenticator apps (TOTP devices): who has one and when it was last used. The secret is never
    shown, not even to administrators, and devices are not added or edited here; deleting one is the reset for a
    lost phone (audited as mfa.reset), after which the person needs a new set-up code."""

    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    fields = list_display
    readonly_fields = list_display
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    list_filter = ["confirmed"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        mfa.mfa_reset(actor=request.user, device=obj)

    def delete_queryset(self, request, queryset):
        for device in queryset:
            mfa.mfa_reset(actor=request.user, device=device)


# django-otp, django-axes and Django's auth app register their own admin pages. Replace the TOTP one (it shows
# each secret as text and as a QR code) with ours, and the axes and group ones with audited copies, so unlocking
# an account or changing a group's permissions leaves a trace (and their input is checked like ours).
def _audit_third_party_admins() -> None:
    from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib.auth.admin import GroupAdmin
    from django.contrib.auth.models import Group
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if admin.site.is_registered(TOTPDevice):
        admin.site.unregister(TOTPDevice)
    admin.site.register(TOTPDevice, SecurityCodeDeviceAdmin)
    for model, base_admin in (
        (AccessAttempt, AccessAttemptAdmin),
        (AccessLog, AccessLogAdmin),
        (AccessFailureLog, AccessFailureLogAdmin),
        (Group, GroupAdmin),
    ):
        if admin.site.is_registered(model):
            admin.site.unregister(model)
            admin.site.register(model, type(f"Audited{base_admin.__name__}", (AuditedAdmin, base_admin), {}))


_audit_third_party_admins()
