"""The assessment, flare, Open311-key and rate-counter models moved to their own apps (assessment,
alerts, open311, core): state only, the tables keep their names."""

from django.db import migrations


RELABEL = {
    "ratecounter": "core",
    "open311key": "open311",
    "assessmentscheme": "assessment",
    "assessmentmonth": "assessment",
    "assessmentrow": "assessment",
    "spikealert": "alerts",
}


def relabel_content_types(apps, schema_editor):
    """Keep the moved models' content types (and so their permissions and admin history) under their new app."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model, app_label in RELABEL.items():
        ContentType.objects.filter(app_label="dispatch", model=model).update(app_label=app_label)


def unlabel_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model, app_label in RELABEL.items():
        ContentType.objects.filter(app_label=app_label, model=model).update(app_label="dispatch")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0001_initial"),
        ("open311", "0001_initial"),
        ("assessment", "0001_initial"),
        ("alerts", "0001_initial"),
        ("dispatch", "0004_spike_alert"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The table stays where it is (its old name, set as db_table); only Django's state moves.
            state_operations=[
                migrations.RemoveField(
                    model_name="assessmentmonth",
                    name="scheme",
                ),
                migrations.RemoveField(
                    model_name="assessmentrow",
                    name="month",
                ),
                migrations.RemoveField(
                    model_name="assessmentrow",
                    name="office",
                ),
                migrations.DeleteModel(
                    name="Open311Key",
                ),
                migrations.DeleteModel(
                    name="RateCounter",
                ),
                migrations.RemoveField(
                    model_name="spikealert",
                    name="acknowledged_by",
                ),
                migrations.RemoveField(
                    model_name="spikealert",
                    name="category",
                ),
                migrations.RemoveField(
                    model_name="spikealert",
                    name="closed_by",
                ),
                migrations.RemoveField(
                    model_name="spikealert",
                    name="reported_by",
                ),
                migrations.DeleteModel(
                    name="AssessmentScheme",
                ),
                migrations.DeleteModel(
                    name="AssessmentMonth",
                ),
                migrations.DeleteModel(
                    name="AssessmentRow",
                ),
                migrations.DeleteModel(
                    name="SpikeAlert",
                ),
            ],
            database_operations=[migrations.RunPython(relabel_content_types, unlabel_content_types)],
        ),
    ]
