"""Opportunities keep their searchable text in one lower-case column, and an index lists them by name."""

from django.db import migrations, models


def fill_search_text(apps, schema_editor):
    """The same text community.services.search_text gives (copied here: a migration keeps its own code)."""
    Opportunity = apps.get_model("community", "Opportunity")
    batch = []
    for opportunity in Opportunity.objects.select_related("organisation").iterator(chunk_size=2000):
        organisation = opportunity.organisation.name if opportunity.organisation else ""
        opportunity.search_text = "\n".join((opportunity.name, organisation, opportunity.description)).lower()
        batch.append(opportunity)
        if len(batch) >= 2000:
            Opportunity.objects.bulk_update(batch, ["search_text"])
            batch = []
    Opportunity.objects.bulk_update(batch, ["search_text"])


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="opportunity",
            name="search_text",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(fields=["name", "id"], name="opportunity_name_idx"),
        ),
        # Going back drops the column, so there is nothing to undo for its contents.
        migrations.RunPython(fill_search_text, migrations.RunPython.noop),
    ]
