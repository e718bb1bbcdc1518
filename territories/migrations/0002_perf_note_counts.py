"""Counts of live notes per workshop, by kind and by theme, kept by database
triggers (territories/counts.py): the dashboard sums them instead of scanning
every note. Migrating back drops the triggers before the tables, or writing a
note would fail."""

import django.db.models.deletion
from django.db import migrations, models


def install_triggers(apps, schema_editor):
    from territories import counts

    counts.install(schema_editor.connection)


def uninstall_triggers(apps, schema_editor):
    from territories import counts

    counts.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("atelier", "0005_search_vector"),
        ("territories", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="NoteCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("kind", models.CharField(max_length=20)),
                ("n", models.IntegerField(default=0)),
                (
                    "workshop",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="atelier.workshop",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("workshop", "kind"), name="notecount_unique")
                ],
            },
        ),
        migrations.CreateModel(
            name="ThemeCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("kind", models.CharField(max_length=20)),
                ("n", models.IntegerField(default=0)),
                (
                    "theme",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="atelier.theme",
                    ),
                ),
                (
                    "workshop",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="atelier.workshop",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("workshop", "theme", "kind"), name="themecount_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(install_triggers, uninstall_triggers),
    ]
