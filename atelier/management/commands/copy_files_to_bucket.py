"""Copy the files the database names (logos, exports) from the local disk
(MEDIA_ROOT) to the bucket that STORAGE_URL now names.

Idempotent and resumable: a file already in the bucket with the same content
is skipped, so a run stopped halfway (or run twice) is simply run again. The
disk copies are left alone: delete MEDIA_ROOT once the site has been checked
against the bucket. Every model's file fields are read, so a new one needs no
change here.
"""

from django.apps import apps
from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import models

from atelier.lib import storage


def stored_names() -> list[str]:
    """Every file name held by a FileField of any model, once each."""
    names: set[str] = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.FileField):
                rows = model._default_manager.exclude(**{field.name: ""}).exclude(
                    **{f"{field.name}__isnull": True}
                )
                names.update(rows.values_list(field.name, flat=True))
    return sorted(names)


class Command(BaseCommand):
    help = (
        "Copie les fichiers (logos, exports) du disque local (MEDIA_ROOT) vers le "
        "stockage objet de STORAGE_URL ; relançable sans risque."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Dit ce qui serait copié, sans rien copier."
        )

    def handle(self, *args, dry_run=False, **options):
        if storage.is_local(default_storage):
            raise CommandError(
                "Le stockage est le disque local : définissez STORAGE_URL (ou "
                "AWS_STORAGE_BUCKET_NAME) avant de lancer cette commande."
            )
        disk = FileSystemStorage(location=settings.MEDIA_ROOT)
        copied = present = missing = 0
        for name in stored_names():
            if not disk.exists(name):
                missing += 1
                self.stderr.write(f"absent du disque : {name}")
                continue
            with disk.open(name, "rb") as file:
                content = file.read()
            if default_storage.same_content(name, content):
                present += 1
                continue
            if not dry_run:
                default_storage.put(name, content)
            copied += 1
            self.stdout.write(f"{'à copier' if dry_run else 'copié'} : {name}")
        self.stdout.write(
            f"{copied} fichier(s) {'à copier' if dry_run else 'copié(s)'}, "
            f"{present} déjà dans le stockage, {missing} absent(s) du disque."
        )
