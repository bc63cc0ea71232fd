"""Administrators edit the guidance pages' wording here; every change is audited (accounts.admin.AuditedAdmin).

Pages cannot be added or deleted: each belongs to a fixed step, and pages across the service link to them.
No staff data (ratings, supervision, training) is in the admin: those are read and written through the pages,
in scope.
"""

from django.contrib import admin

from connecting_people.accounts.admin import AuditedAdmin
from connecting_people.implementation.models import GuidancePage, GuidanceSection

TEXT_HELP = 'Plain text. Leave a blank line between paragraphs; start a line with "- " for a bulleted list.'


class GuidanceSectionInline(admin.StackedInline):
    model = GuidanceSection
    extra = 0
    fields = ["order", "heading", "text"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "text":
            field.help_text = TEXT_HELP
        return field


@admin.register(GuidancePage)
class GuidancePageAdmin(AuditedAdmin):
    list_display = ["title", "step", "slug", "updated_at"]
    fields = ["step", "slug", "title", "summary", "order"]
    readonly_fields = ["step", "slug"]
    inlines = [GuidanceSectionInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
