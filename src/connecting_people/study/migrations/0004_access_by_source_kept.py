"""Keeps the resource generator's access by source (``access_via_<source>``) with each stored assessment.

Scoring always gave them, but only a fixed list of derived scores was kept, so they were never stored and the
export's ``access_via_*`` variables were empty. This fills them for the assessments recorded before: each
resource-generator assessment whose stored derived scores lack them is scored again from its answers (the
total and subscales are left as stored). Versions this deployment does not load are left as they are.
Reversing leaves the values in place (they are correct).
"""

from django.db import migrations


def keep_access_by_source(apps, schema_editor):
    try:
        from connecting_people.measures import registry, scoring
        from connecting_people.measures.errors import UnknownInstrumentError
        from connecting_people.measures.recording import derived_scores
    except ImportError:  # the code moved on since this migration was written
        return

    Assessment = apps.get_model("study", "Assessment")
    changed = []
    pairs = Assessment.objects.values_list("instrument_id", "instrument_version").distinct()
    for instrument_id, version in pairs:
        try:
            instrument = registry.instrument(instrument_id, version)
        except UnknownInstrumentError:
            continue
        if instrument.scoring.type != "resource_generator":
            continue
        rows = Assessment.objects.filter(instrument_id=instrument_id, instrument_version=version).only(
            "id", "answers", "derived"
        )
        for row in rows.iterator(chunk_size=2_000):
            try:
                result = scoring.score_one(instrument, row.answers)
            except Exception:  # noqa: BLE001 - an answer the engine refuses now: leave the row as stored
                continue
            row.derived = {**(row.derived or {}), **derived_scores(result)}
            changed.append(row)
    Assessment.objects.bulk_update(changed, ["derived"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("study", "0003_site_joins_by_acceptance")]

    operations = [migrations.RunPython(keep_access_by_source, migrations.RunPython.noop)]
