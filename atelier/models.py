"""The workshops' data: users and roles, organisations, actor types, themes,
workshops, rounds, questions, participants, groups and their notes.

Why one module past ~400 lines: Django's models of one app, with their
behaviour (`WorkingGroup.add_note`, `Contribution.edit`) beside them."""

import functools
import json
import re
import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from . import markup
from .signals import notes_written

NOTE_MAX_LENGTH = 5000


class Role(models.TextChoices):
    ANIMATOR = "animator", _("Animateur·rice")
    COORDINATOR = "coordinator", _("Coordination nationale")
    DELEGATE = "delegate", _("Délégué·e du préfet")


class User(AbstractUser):
    """A person who logs in. Animators get rights through the groups they
    animate; delegates through `territories` (and everything beneath them)."""

    role = models.CharField(_("rôle"), max_length=12, choices=Role.choices, default=Role.ANIMATOR)
    territories = models.ManyToManyField(
        "territories.Territory",
        blank=True,
        related_name="delegates",
        verbose_name=_("territoires suivis"),
        help_text=_("Pour un·e délégué·e du préfet : ses territoires et leurs descendants."),
    )
    # When the last invitation e-mail left (atelier/invitations.py): a second
    # invitation within its validity sends nothing unless asked to resend.
    invited_at = models.DateTimeField(_("invité·e le"), null=True, blank=True)

    class Meta:
        verbose_name = _("utilisateur·rice")
        verbose_name_plural = _("utilisateur·rices")

    @property
    def is_coordinator(self):
        return self.is_active and (self.role == Role.COORDINATOR or self.is_superuser)

    @property
    def is_delegate(self):
        return self.is_active and self.role == Role.DELEGATE


class OrganisationKind(models.TextChoices):
    NETWORK = "network", _("Réseau national")
    CARRIER = "carrier", _("Structure porteuse")
    STATE = "state", _("État / agence")
    LOCAL_AUTHORITY = "local_authority", _("Collectivité")
    FUNDER = "funder", _("Financeur")
    OTHER = "other", _("Autre")


class Organisation(models.Model):
    name = models.CharField(_("nom"), max_length=200, unique=True)
    acronym = models.CharField(_("sigle"), max_length=30, blank=True)
    kind = models.CharField(
        _("type"), max_length=20, choices=OrganisationKind.choices, default=OrganisationKind.OTHER
    )
    logo = models.ImageField(_("logo"), upload_to="logos/", blank=True)
    website = models.URLField(_("site web"), blank=True)

    class Meta:
        verbose_name = _("structure")
        verbose_name_plural = _("structures")
        ordering = ["name"]

    def __str__(self):
        return self.acronym or self.name


class ActorType(models.Model):
    name = models.CharField(_("nom"), max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    # How quotes are headed in a synthesis: "Paroles d'agents", "Paroles de délégué.e du préfet".
    quote_label = models.CharField(
        _("libellé des paroles"),
        max_length=120,
        blank=True,
        help_text=_("Ce qui suit « Paroles de » dans une synthèse, ex. « agents »."),
    )
    order = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("type d'acteur")
        verbose_name_plural = _("types d'acteur")
        ordering = ["order", "name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.slug = self.slug or slugify(self.name)[:120]
        super().save(*args, **kwargs)

    @property
    def quotes_heading(self):
        """'Paroles d'agents' / 'Paroles de délégué.e du préfet', with French elision.

        Not translated: it is part of the (French) synthesis text, like the statements."""
        label = self.quote_label or self.name.lower()
        return f"Paroles {markup.de(label)}"


class ActorTypeAlias(models.Model):
    """Another name people type for an actor type ("DDP" for "Délégué·e du
    préfet"), added by the coordination from the roster import; the matcher
    (atelier/matching.py) reads it after the names themselves."""

    actor_type = models.ForeignKey(
        ActorType, models.CASCADE, related_name="aliases", verbose_name=_("type d'acteur")
    )
    name = models.CharField(_("autre nom"), max_length=120, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("autre nom de type d'acteur")
        verbose_name_plural = _("autres noms de types d'acteur")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} → {self.actor_type}"


class Theme(models.Model):
    name = models.CharField(_("nom"), max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("thème")
        verbose_name_plural = _("thèmes")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.slug = self.slug or slugify(self.name)[:120]
        super().save(*args, **kwargs)

    def absorb(self, others):
        """Merge `others` into this theme: every note tagged with one of them is
        tagged with this one, then they go. No note loses a tag's meaning."""
        from django.db import transaction

        others = [t for t in others if t.pk != self.pk]
        with transaction.atomic():
            tagged = list(
                Contribution.objects.filter(themes__in=others).values_list("pk", flat=True)
            )
            Contribution.objects.filter(pk__in=tagged).tag(self)
            Theme.objects.filter(pk__in=[t.pk for t in others]).delete()
            # Every note that lost a tag is changed, also those that had this
            # theme already (tag() leaves them): live boards drop the old name.
            Contribution.objects.filter(pk__in=tagged).update(updated_at=timezone.now())
        return len(others)


class WorkshopFormat(models.TextChoices):
    ONLINE = "online", _("En ligne")
    IN_PERSON = "in_person", _("Présentiel")
    HYBRID = "hybrid", _("Hybride")


class Workshop(models.Model):
    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField(_("titre"), max_length=200)
    date = models.DateField(_("date"))
    format = models.CharField(
        _("format"), max_length=12, choices=WorkshopFormat.choices, default=WorkshopFormat.IN_PERSON
    )
    territory = models.ForeignKey(
        "territories.Territory",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="workshops",
        verbose_name=_("territoire"),
        help_text=_("Vide pour un atelier national."),
    )
    carriers = models.ManyToManyField(
        Organisation, blank=True, related_name="carried_workshops", verbose_name=_("porté par")
    )
    supporters = models.ManyToManyField(
        Organisation,
        blank=True,
        related_name="supported_workshops",
        verbose_name=_("avec le soutien de"),
    )
    is_public = models.BooleanField(
        _("public"),
        default=False,
        help_text=_("La synthèse publiée est lisible sans compte."),
    )
    is_demo = models.BooleanField(_("données de démonstration"), default=False)
    current_round = models.ForeignKey(
        "Round",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("temps en cours"),
        help_text=_("Le temps que la vue d'ensemble suit pendant l'atelier."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Archived: out of the home pages' current workshops, still readable.
    archived_at = models.DateTimeField(_("archivé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("atelier")
        verbose_name_plural = _("ateliers")
        ordering = ["-date", "title"]
        indexes = [models.Index(fields=["territory", "date"])]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("workshop", args=[self.slug])

    # Words of the URLs beside /ateliers/<slug>/ that no workshop may take.
    RESERVED_SLUGS = {"nouveau"}

    @classmethod
    def unique_slug(cls, title):
        """A slug from the title, with -2, -3… when it is taken (or reserved)."""
        base = slugify(title)[:110].strip("-") or "atelier"
        taken = set(cls.objects.filter(slug__startswith=base).values_list("slug", flat=True))
        taken |= cls.RESERVED_SLUGS
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        return slug

    def copy_structure_from(self, other):
        """Copy the rounds of `other` (title, description, grouping mode) and
        their questions (title, kind, order) after this workshop's own rounds.
        Nothing else: no participants, groups or notes."""
        start = self.rounds.count()
        rounds = list(other.rounds.prefetch_related("questions"))
        copies = Round.objects.bulk_create(
            [
                Round(
                    workshop=self,
                    order=start + i,
                    title=r.title,
                    description=r.description,
                    grouping_mode=r.grouping_mode,
                )
                for i, r in enumerate(rounds, start=1)
            ]
        )
        Question.objects.bulk_create(
            [
                Question(round=copy, order=q.order, title=q.title, default_kind=q.default_kind)
                for r, copy in zip(rounds, copies, strict=True)
                for q in r.questions.all()
            ]
        )
        return copies

    def add_round(self, **fields):
        last = self.rounds.aggregate(last=models.Max("order"))["last"] or 0
        return Round.objects.create(workshop=self, order=last + 1, **fields)

    def archive(self):
        self.archived_at = self.archived_at or timezone.now()
        self.save(update_fields=["archived_at"])

    def unarchive(self):
        self.archived_at = None
        self.save(update_fields=["archived_at"])


def _renumber(queryset, items):
    """Give `items` (every row of `queryset`) the orders 1, 2, 3… in list
    order. Orders are unique and checked row by row: move them all out of the
    way first, then write the new ones in one statement."""
    if not items:
        return
    queryset.update(order=F("order") + 1000)
    for order, item in enumerate(items, start=1):
        item.order = order
    queryset.model.objects.bulk_update(items, ["order"])


def _move(item, siblings, offset):
    """Move `item` `offset` places among `siblings` (a queryset), stopping at
    either end. False when it is already there."""
    items = list(siblings.order_by("order").only("pk", "order"))
    index = next(i for i, other in enumerate(items) if other.pk == item.pk)
    target = max(0, min(len(items) - 1, index + offset))
    if target == index:
        return False
    items.insert(target, items.pop(index))
    from django.db import transaction

    with transaction.atomic():
        _renumber(siblings, items)
    item.order = items[target].order
    return True


class GroupingMode(models.TextChoices):
    RANDOM = "random", _("Aléatoire (brassage)")
    PEER = "peer", _("Par groupes de pairs")
    MANUAL = "manual", _("Manuelle")


class Round(models.Model):
    workshop = models.ForeignKey(Workshop, models.CASCADE, related_name="rounds")
    order = models.PositiveSmallIntegerField(_("numéro"))
    title = models.CharField(_("titre"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    grouping_mode = models.CharField(
        _("répartition"), max_length=10, choices=GroupingMode.choices, default=GroupingMode.RANDOM
    )

    class Meta:
        verbose_name = _("temps")
        verbose_name_plural = _("temps")
        ordering = ["workshop", "order"]
        constraints = [
            models.UniqueConstraint(fields=["workshop", "order"], name="round_unique_order"),
            models.CheckConstraint(condition=Q(order__gte=1), name="round_order_positive"),
        ]

    def __str__(self):
        return self.title or _("Temps %(n)s") % {"n": self.order}

    @property
    def label(self):
        return _("Temps %(n)s") % {"n": self.order}

    def add_question(self, **fields):
        last = self.questions.aggregate(last=models.Max("order"))["last"] or 0
        return Question.objects.create(round=self, order=last + 1, **fields)

    def can_be_removed(self):
        """No note, even a deleted one, hangs on its groups or questions."""
        return not Contribution.objects.filter(
            Q(group__round=self) | Q(question__round=self)
        ).exists()

    def move(self, offset):
        return _move(self, Round.objects.filter(workshop_id=self.workshop_id), offset)

    def remove(self):
        """Delete the round (its questions and empty groups with it) and close
        the gap in the numbering: "Temps 3" becomes "Temps 2"."""
        from django.db import transaction

        with transaction.atomic():
            self.delete()
            siblings = Round.objects.filter(workshop_id=self.workshop_id)
            _renumber(siblings, list(siblings.order_by("order").only("pk", "order")))


class Kind(models.TextChoices):
    SUCCESS_FACTOR = "success_factor", _("Facteur de réussite")
    OBSTACLE = "obstacle", _("Frein")
    LESSON = "lesson", _("Leçon")
    COMMITMENT = "commitment", _("Vision / engagement")
    QUOTE = "quote", _("Parole d'acteur")
    OTHER = "other", _("Autre")


class Question(models.Model):
    round = models.ForeignKey(Round, models.CASCADE, related_name="questions")
    order = models.PositiveSmallIntegerField(_("ordre"))
    title = models.CharField(_("consigne"), max_length=300)
    default_kind = models.CharField(
        _("type par défaut"), max_length=20, choices=Kind.choices, default=Kind.OTHER
    )

    class Meta:
        verbose_name = _("consigne")
        verbose_name_plural = _("consignes")
        ordering = ["round", "order"]
        constraints = [
            models.UniqueConstraint(fields=["round", "order"], name="question_unique_order"),
            models.CheckConstraint(condition=Q(order__gte=1), name="question_order_positive"),
        ]

    def __str__(self):
        return self.title

    def can_be_removed(self):
        """No note, even a deleted one, answers it."""
        return not self.contributions.exists()

    def move(self, offset):
        return _move(self, Question.objects.filter(round_id=self.round_id), offset)

    def remove(self):
        from django.db import transaction

        with transaction.atomic():
            self.delete()
            siblings = Question.objects.filter(round_id=self.round_id)
            _renumber(siblings, list(siblings.order_by("order").only("pk", "order")))


class Participant(models.Model):
    workshop = models.ForeignKey(Workshop, models.CASCADE, related_name="participants")
    first_name = models.CharField(_("prénom"), max_length=100, blank=True)
    last_name = models.CharField(_("nom"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    actor_type = models.ForeignKey(
        ActorType,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="participants",
        verbose_name=_("type d'acteur"),
    )
    territory = models.ForeignKey(
        "territories.Territory",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="participants",
        verbose_name=_("territoire"),
    )
    organisation = models.ForeignKey(
        Organisation,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="participants",
        verbose_name=_("structure"),
    )

    class Meta:
        verbose_name = _("participant·e")
        verbose_name_plural = _("participant·es")
        ordering = ["last_name", "first_name", "pk"]
        indexes = [models.Index(fields=["workshop", "actor_type"])]

    def __str__(self):
        return f"{self.first_name} {self.last_name}".strip() or _("Participant·e anonyme")


class WorkingGroup(models.Model):
    round = models.ForeignKey(Round, models.CASCADE, related_name="groups")
    number = models.PositiveSmallIntegerField(_("numéro"))
    members = models.ManyToManyField(
        Participant, blank=True, related_name="groups", verbose_name=_("membres")
    )
    animators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="animated_groups",
        verbose_name=_("animateur·rices"),
    )
    actor_type = models.ForeignKey(
        ActorType,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="peer_groups",
        verbose_name=_("type d'acteur (groupe de pairs)"),
    )
    locked = models.BooleanField(
        _("verrouillé"),
        default=False,
        help_text=_("Un groupe verrouillé garde ses membres quand on régénère les groupes."),
    )

    class Meta:
        verbose_name = _("groupe de travail")
        verbose_name_plural = _("groupes de travail")
        ordering = ["round", "number"]
        constraints = [
            models.UniqueConstraint(fields=["round", "number"], name="group_unique_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="group_number_positive"),
        ]

    def __str__(self):
        return _("Groupe %(n)s") % {"n": self.number}

    def get_absolute_url(self):
        return reverse("board", args=[self.pk])

    def add_note(
        self,
        *,
        client_uuid,
        question,
        kind,
        text,
        speaker_actor_type=None,
        author=None,
        only_if=None,
    ):
        """Store a note once per client UUID: a retry, a double click or fifty
        parallel posts of the same note all return the one stored row.

        Returns (note, created). Raises UUIDReused when the UUID belongs to a
        note of another group (never silently merged). With `only_if` (an SQL
        condition, `Contribution.insert_once`), a note not inserted is (None,
        False): refused or stored before, in one statement either way.
        """
        candidate = Contribution(
            group=self,
            question=question,
            kind=kind,
            text=text,
            author=author,
            speaker_actor_type=speaker_actor_type if kind == Kind.QUOTE else None,
            client_uuid=client_uuid,
            created_at=timezone.now(),
        )
        if candidate.insert_once(only_if):
            # The common case, in one statement: the row is the candidate,
            # with its new key; a new note has no themes yet.
            candidate._prefetched_objects_cache = {"themes": Theme.objects.none()}
            notes_written.send(sender=Contribution, note_ids=[candidate.pk])
            return candidate, True
        if only_if is not None:
            return None, False
        # A retry or a double click: the row another request stored (committed,
        # since ON CONFLICT waited for it), unless the UUID is another group's.
        note = Contribution.objects.select_related("speaker_actor_type").get(
            client_uuid=client_uuid
        )
        if note.group_id != self.pk:
            raise UUIDReused
        return note, False

    def changes_since(self, since) -> list["Contribution"]:
        """Notes of this group changed after `since`, deleted ones included, in
        board order, each with its speaker's name (`note.speaker_name`) and its
        themes' names (`note.theme_names`), from one statement written out:
        every open board asks this every few seconds, and the ORM took longer
        to build its two queries than the database to run them."""
        _, params = changed_since(self.pk, since)
        notes = list(Contribution.objects.raw(_changes_sql(connection.vendor), params))
        for note in notes:
            names = note.theme_names_json  # a list from psycopg, JSON text from SQLite
            note.theme_names = json.loads(names) if isinstance(names, str) else names or []
        return notes


_CHANGED = "n.group_id = %s AND n.updated_at > %s"


def changed_since(group_id: int, since) -> tuple[str, list]:
    """What "changed" means for a board's poll, as an SQL condition on notes
    aliased `n` and its parameters: `changes_since` lists these notes, and
    the quick poll (board_poll.py) answers 204 when there are none."""
    updated_at = Contribution._meta.get_field("updated_at")
    return _CHANGED, [group_id, updated_at.get_db_prep_value(since, connection)]


@functools.cache
def _insert_fields():
    return [f for f in Contribution._meta.concrete_fields if not f.primary_key]


@functools.cache
def _insert_sql(vendor: str) -> str:
    """INSERT … SELECT: a SELECT can carry a WHERE, which VALUES cannot. Its
    values are cast on PostgreSQL, which types a bare parameter in a select
    list as text; SQLite needs the WHERE to read ON CONFLICT as the upsert
    clause."""
    name = connection.ops.quote_name
    fields = _insert_fields()
    if vendor == "postgresql":
        # Cast to varchar without its length: an explicit cast to varchar(20)
        # would cut a longer value where the column refuses it.
        types = [
            re.sub(r"^(varchar|character varying)\(\d+\)$", r"\1", f.cast_db_type(connection))
            for f in fields
        ]
        values = ", ".join(f"CAST(%s AS {t})" for t in types)
    else:
        values = ", ".join("%s" for _ in fields)
    columns = ", ".join(name(f.column) for f in fields)
    table = name(Contribution._meta.db_table)
    key = name(Contribution._meta.pk.column)
    return (
        f"INSERT INTO {table} ({columns}) SELECT {values} WHERE {{condition}}"  # noqa: S608 (names from the model, values as parameters)
        f" ON CONFLICT DO NOTHING RETURNING {key}"
    )


# The names of a note's themes in their order, as a JSON array, in each
# database's words. SQLite 3.40 has no ORDER BY inside an aggregate: it keeps
# the order of a subquery it does not flatten, as here, though its manual does
# not promise it (tests/test_board_poll.py checks the order on both).
_THEME_NAMES_SQL = {
    "postgresql": "(SELECT json_agg(m.name ORDER BY m.name) FROM {tags} t"
    " JOIN {themes} m ON m.id = t.theme_id WHERE t.contribution_id = n.id)",
    "sqlite": "(SELECT json_group_array(name) FROM (SELECT m.name FROM {tags} t"
    " JOIN {themes} m ON m.id = t.theme_id WHERE t.contribution_id = n.id ORDER BY m.name))",
}


@functools.cache
def _changes_sql(vendor: str) -> str:
    """`WorkingGroup.changes_since`'s statement: the notes in board order
    (`ContributionQuerySet.board_order`), with their speaker's name and their
    themes' names in the themes' order."""
    name = connection.ops.quote_name
    columns = ", ".join(f"n.{name(f.column)}" for f in Contribution._meta.concrete_fields)
    theme_names = _THEME_NAMES_SQL[vendor].format(
        tags=name(Contribution.themes.through._meta.db_table),
        themes=name(Theme._meta.db_table),
    )
    return (
        f"SELECT {columns}, s.name AS speaker_name, {theme_names} AS theme_names_json"  # noqa: S608 (names from the models, values as parameters)
        f" FROM {name(Contribution._meta.db_table)} n"
        f" LEFT JOIN {name(ActorType._meta.db_table)} s ON s.id = n.speaker_actor_type_id"
        f" WHERE {_CHANGED}"
        " ORDER BY n.position ASC NULLS LAST, n.created_at, n.id"
    )


class UUIDReused(Exception):
    """A client UUID already names a note of another group."""


class ContributionQuerySet(models.QuerySet):
    def alive(self):
        return self.filter(deleted_at__isnull=True)

    def tag(self, theme) -> int:
        """Tag these notes with `theme`, the one way to tag notes (board, bulk
        classing from the search, theme merges): the notes newly tagged are
        marked changed, so every live board shows the tag on its next poll.
        Returns how many notes were newly tagged."""
        through = Contribution.themes.through
        fresh = list(self.exclude(themes=theme).values_list("pk", flat=True).distinct())
        through.objects.bulk_create(
            [through(contribution_id=pk, theme_id=theme.pk) for pk in fresh],
            ignore_conflicts=True,
        )
        Contribution.objects.filter(pk__in=fresh).update(updated_at=timezone.now())
        return len(fresh)

    def board_order(self):
        # Notes never moved have no position and follow, in the order typed.
        return self.order_by(F("position").asc(nulls_last=True), "created_at", "pk")


class Contribution(models.Model):
    """One group note. Created once per client UUID, whatever the retries."""

    group = models.ForeignKey(WorkingGroup, models.CASCADE, related_name="contributions")
    question = models.ForeignKey(Question, models.PROTECT, related_name="contributions")
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    text = models.TextField(_("texte"), max_length=NOTE_MAX_LENGTH)
    speaker_actor_type = models.ForeignKey(
        ActorType,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="quotes",
        verbose_name=_("type d'acteur de l'orateur·rice"),
    )
    themes = models.ManyToManyField(
        Theme, blank=True, related_name="contributions", verbose_name=_("thèmes")
    )
    position = models.PositiveIntegerField(_("position"), null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="contributions",
        verbose_name=_("auteur·rice"),
    )
    client_uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(_("supprimée le"), null=True, blank=True)

    objects = ContributionQuerySet.as_manager()

    class Meta:
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")
        # Positions are not unique: two animators adding notes at once would
        # otherwise collide. A new note has none and goes last; positions are
        # given to a question's notes the first time one of them is moved.
        ordering = ["group", "question", F("position").asc(nulls_last=True), "created_at"]
        indexes = [
            models.Index(fields=["group", "question", "position"]),
            models.Index(fields=["question", "kind"]),
            # A board's poll: its group's changes, and their latest (board_poll).
            models.Index(fields=["group", "updated_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="quote") | Q(speaker_actor_type__isnull=True),
                name="contribution_speaker_only_on_quotes",
            ),
            models.CheckConstraint(condition=~Q(text=""), name="contribution_text_not_empty"),
        ]

    def __str__(self):
        return self.text[:60]

    def clean(self):
        if self.question_id and self.group_id and self.question.round_id != self.group.round_id:
            raise ValidationError({"question": _("Cette consigne appartient à un autre temps.")})
        if self.kind != Kind.QUOTE and self.speaker_actor_type_id:
            raise ValidationError(
                {"speaker_actor_type": _("Seule une parole d'acteur a un type d'orateur·rice.")}
            )

    def insert_once(self, only_if: tuple[str, list] | None = None) -> bool:
        """INSERT … ON CONFLICT DO NOTHING RETURNING id: True and the key set
        when the row is new, False when a row already holds the client UUID.
        One statement, no exception, no savepoint: `bulk_create` with
        `ignore_conflicts` returns no key, and reading the row back would be a
        second statement on every save. Any other unique column would also
        make it return False; the client UUID is the only one (with the key,
        which the database assigns).

        `only_if` is an SQL condition with its parameters (a board's quick
        save puts its rights check there, atelier/board_save.py): the row is
        inserted only when it holds, in the same statement, and False means
        "not inserted", for either reason.

        Written out rather than compiled by the ORM on each save (0.3 ms of
        every save's 2): the values are the ORM's own (`pre_save`,
        `get_db_prep_save`), the statement built once per database."""
        fields = _insert_fields()
        values = [f.get_db_prep_save(f.pre_save(self, add=True), connection) for f in fields]
        condition, params = only_if or ("1 = 1", [])
        with connection.cursor() as cursor:
            cursor.execute(
                _insert_sql(connection.vendor).format(condition=condition), [*values, *params]
            )
            row = cursor.fetchone()
        if row is None:
            return False
        self.pk = row[0]
        self._state.adding = False
        self._state.db = connection.alias
        return True

    def edit(self, *, version, **fields):
        """Apply an edit made on `version`. False when somebody saved the note in
        between: the caller shows both texts instead of overwriting."""
        changed = Contribution.objects.filter(
            pk=self.pk, version=version, deleted_at__isnull=True
        ).update(version=F("version") + 1, updated_at=timezone.now(), **fields)
        if changed and fields.get("text", self.text) != self.text:
            notes_written.send(sender=Contribution, note_ids=[self.pk])
        return changed == 1

    def move(self, offset):
        """Move the note `offset` places among its question's notes (-1: up),
        stopping at either end."""
        siblings = list(
            Contribution.objects.alive()
            .filter(group_id=self.group_id, question_id=self.question_id)
            .board_order()
            .only("pk", "position", "updated_at")
        )
        index = next((i for i, note in enumerate(siblings) if note.pk == self.pk), None)
        if index is None:  # deleted meanwhile by another animator: nothing to move
            return False
        target = max(0, min(len(siblings) - 1, index + offset))
        if target == index:
            return False
        siblings.insert(target, siblings.pop(index))
        now = timezone.now()
        for position, note in enumerate(siblings, start=1):
            note.position, note.updated_at = position, now
        Contribution.objects.bulk_update(siblings, ["position", "updated_at"])
        return True

    def touch(self):
        """Mark the note changed (themes edited) so other boards pick it up."""
        self.updated_at = timezone.now()
        Contribution.objects.filter(pk=self.pk).update(updated_at=self.updated_at)

    def soft_delete(self):
        self.deleted_at = timezone.now()
        self.version += 1
        self.save(update_fields=["deleted_at", "version", "updated_at"])

    def restore(self):
        self.deleted_at = None
        self.version += 1
        self.save(update_fields=["deleted_at", "version", "updated_at"])
