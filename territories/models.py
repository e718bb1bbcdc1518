from functools import reduce
from operator import or_

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    REGION = "region", _("Région")
    DEPARTEMENT = "departement", _("Département")
    EPCI = "epci", _("EPCI")
    COMMUNE = "commune", _("Commune")
    QPV = "qpv", _("Quartier prioritaire (QPV)")


# The level a territory's parent may have: région > département > EPCI > commune.
# A commune may hang directly under its département when its EPCI is not
# recorded; a QPV hangs under its main commune and lists all its communes.
ALLOWED_PARENTS = {
    Level.REGION: set(),
    Level.DEPARTEMENT: {Level.REGION},
    Level.EPCI: {Level.DEPARTEMENT},
    Level.COMMUNE: {Level.EPCI, Level.DEPARTEMENT},
    Level.QPV: {Level.COMMUNE},
}


class TerritoryQuerySet(models.QuerySet):
    def covered_by(self, territories):
        """Territories inside any of `territories` (themselves included).

        Uses the materialised path, so the cost is one query whatever the depth.
        A QPV spanning several communes is covered by each of them.
        """
        paths = [t.path for t in territories]
        if not paths:
            return self.none()
        inside = reduce(or_, (Q(path__startswith=p) for p in paths))
        via_commune = reduce(or_, (Q(communes__path__startswith=p) for p in paths))
        ids = self.model.objects.filter(inside | via_commune).values("pk")
        return self.filter(pk__in=ids)


class Territory(models.Model):
    level = models.CharField(_("niveau"), max_length=12, choices=Level.choices)
    code = models.CharField(
        _("code officiel"),
        max_length=20,
        help_text=_("Code INSEE, SIREN de l'EPCI ou code QPV (QP… 2015, QN… 2024)."),
    )
    name = models.CharField(_("nom"), max_length=200)
    parent = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("territoire parent"),
    )
    communes = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="qpvs",
        limit_choices_to={"level": Level.COMMUNE},
        verbose_name=_("communes (QPV)"),
    )
    valid_from = models.DateField(_("valide depuis"), null=True, blank=True)
    valid_until = models.DateField(_("valide jusqu'au"), null=True, blank=True)
    # "region-84/departement-69/commune-69264/": descendants share the prefix.
    path = models.CharField(max_length=255, editable=False, db_index=True)

    objects = TerritoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("territoire")
        verbose_name_plural = _("territoires")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["level", "code"], name="territory_unique_code"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="territory_validity_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_level_display()})"

    def save(self, *args, **kwargs):
        old_path = self.path
        self.path = self.compute_path()
        super().save(*args, **kwargs)
        if old_path and old_path != self.path:
            # A renamed code or a new parent moves the whole subtree.
            for child in self.children.all():
                child.save()

    def clean(self):
        from django.core.exceptions import ValidationError

        allowed = ALLOWED_PARENTS[Level(self.level)]
        if self.parent is None and self.level != Level.REGION:
            raise ValidationError({"parent": _("Ce niveau de territoire demande un parent.")})
        if self.parent is not None and self.parent.level not in allowed:
            raise ValidationError(
                {"parent": _("Un territoire de ce niveau ne peut pas dépendre de ce parent.")}
            )

    def compute_path(self):
        own = f"{self.level}-{self.code}/"
        return (self.parent.path if self.parent else "") + own


class TerritoryAlias(models.Model):
    """Another name people type for a territory ("CD59" for "Nord"), added by
    the coordination from the roster import; read after the official names."""

    territory = models.ForeignKey(
        Territory, models.CASCADE, related_name="aliases", verbose_name=_("territoire")
    )
    name = models.CharField(_("autre nom"), max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("autre nom de territoire")
        verbose_name_plural = _("autres noms de territoires")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} → {self.territory.name}"


class NoteCount(models.Model):
    """How many live notes of a kind a workshop holds. Kept by database
    triggers on the notes (see counts.py): never written by Django."""

    workshop = models.ForeignKey("atelier.Workshop", models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workshop", "kind"], name="notecount_unique"),
        ]

    def __str__(self):
        return f"{self.workshop_id} {self.kind}: {self.n}"


class ThemeCount(models.Model):
    """How many live notes of a kind a workshop holds under a theme (kept like
    NoteCount)."""

    workshop = models.ForeignKey("atelier.Workshop", models.CASCADE, related_name="+")
    theme = models.ForeignKey("atelier.Theme", models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workshop", "theme", "kind"], name="themecount_unique"),
        ]

    def __str__(self):
        return f"{self.workshop_id} {self.theme_id} {self.kind}: {self.n}"
