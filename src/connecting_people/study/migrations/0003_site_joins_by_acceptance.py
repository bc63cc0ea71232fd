"""Sites join a study only by an act of someone entitled in the trust (ADR 0010).

Existing sites: one is taking part ("active") when a study lead of the study, across every site, holds the
researcher role in the site's trust, so adding it was their own trust's act. Any other existing site was added
for a trust by someone outside it: it becomes "invited", and nothing of it is read until a researcher of that
trust accepts on the invitations page. Nothing is deleted (its teams and participants stay, unread).
Reversing drops the new columns.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def sites_of_a_leads_own_trust_take_part(apps, schema_editor):
    StudySite = apps.get_model("study", "StudySite")
    StudyMember = apps.get_model("study", "StudyMember")
    Membership = apps.get_model("accounts", "Membership")
    for site in StudySite.objects.all():
        leads = StudyMember.objects.filter(study_id=site.study_id, role="lead", site__isnull=True).values(
            "user_id"
        )
        if Membership.objects.filter(user_id__in=leads, role="researcher", trust_id=site.trust_id).exists():
            StudySite.objects.filter(pk=site.pk).update(status="active")


class Migration(migrations.Migration):

    dependencies = [
        ('study', '0002_record_versions'),
        ('accounts', '0003_data_protection_role'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='studysite',
            name='decided_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='studysite',
            name='decided_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='studysite',
            name='invited_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='studysite',
            name='invited_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='studysite',
            name='status',
            field=models.CharField(choices=[('invited', 'Invited, waiting for the trust to accept'), ('active', 'Taking part'), ('declined', 'Declined by the trust')], default='invited', max_length=10),
        ),
        migrations.RunPython(sites_of_a_leads_own_trust_take_part, migrations.RunPython.noop),
    ]
