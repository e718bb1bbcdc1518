"""CSV and JSON exports made before issue 16 carry the source notes' texts,
which readers other than coordinators must never download (docs/decisions.md).
Their files are deleted and their rows removed: the next request makes them
again, without the notes."""

from django.core.files.storage import default_storage
from django.db import migrations


def drop_old_open_data(apps, schema_editor):
    Export = apps.get_model("synthesis", "Export")
    old = Export.objects.filter(format__in=("csv", "json"))
    for name in old.exclude(file="").values_list("file", flat=True):
        default_storage.delete(name)
    old.delete()


class Migration(migrations.Migration):
    dependencies = [("synthesis", "0008_export_analysis")]

    operations = [migrations.RunPython(drop_old_open_data, migrations.RunPython.noop)]
