"""The synthesis' data: revisions, sections, statements, comments, exports,
follow-ups, draft jobs, stored vectors, dismissed suggestions, the assisted
grouping's consent and cache.

Why one module past ~400 lines: Django's models of one app, with their
behaviour beside them."""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from atelier.models import ActorType, Contribution, Kind, Question, Round, Workshop


class Status(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    IN_REVIEW = "in_review", _("En relecture")
    APPROVED = "approved", _("Approuvée")
    PUBLISHED = "published", _("Publiée")


class SynthesisQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Status.PUBLISHED)

    def latest_published(self):
        """Each workshop's newest published revision (one query, any database)."""
        newer = Synthesis.objects.published().filter(
            workshop=OuterRef("workshop"), revision__gt=OuterRef("revision")
        )
        return self.published().filter(~Exists(newer))


class Synthesis(models.Model):
    """One revision of a workshop's synthesis. Publishing freezes a revision;
    later edits go to a new one, so what was published stays readable."""

    workshop = models.ForeignKey(Workshop, models.CASCADE, related_name="syntheses")
    revision = models.PositiveIntegerField(_("révision"), default=1)
    status = models.CharField(
        _("état"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    intro = models.TextField(_("introduction"), blank=True)
    # The draft's cut, -2 (fewer, broader statements) … +2 (more, narrower);
    # the setting the "moins / plus d'énoncés" control last applied.
    granularity = models.SmallIntegerField(_("finesse du brouillon"), default=0)
    # Who grouped the notes of the last draft, when a language model did
    # ("regroupement proposé par le modèle X le …", docs/deploy.md).
    grouped_by_model = models.CharField(max_length=200, blank=True)
    grouping_prompt = models.CharField(max_length=40, blank=True)
    grouped_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(_("publiée le"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Notes the coordination took out of the synthesis (a removed statement's
    # sources): shown as "unassigned", and left alone by a later draft.
    set_aside = models.ManyToManyField(
        Contribution, blank=True, related_name="+", verbose_name=_("notes écartées")
    )

    objects = SynthesisQuerySet.as_manager()

    class Meta:
        verbose_name = _("synthèse")
        verbose_name_plural = _("synthèses")
        ordering = ["workshop", "-revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["workshop", "revision"], name="synthesis_unique_revision"
            ),
            models.CheckConstraint(
                condition=Q(revision__gte=1), name="synthesis_revision_positive"
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="synthesis_published_has_date",
            ),
        ]
        indexes = [models.Index(fields=["workshop", "status"])]

    def __str__(self):
        return _("Synthèse de %(workshop)s (r%(rev)s)") % {
            "workshop": self.workshop,
            "rev": self.revision,
        }

    def get_absolute_url(self):
        return reverse("synthesis", args=[self.workshop.slug])

    @property
    def is_frozen(self):
        return self.status in (Status.APPROVED, Status.PUBLISHED)

    def next_statuses(self):
        return NEXT.get(self.status, [])

    def move_to(self, status, *, by):
        """Take one step of draft → in review → approved → published (or back
        to draft). Atomic on the current status: a double click acts once.
        Returns False when the step is not allowed from the stored status."""
        from django.utils import timezone

        if status not in self.next_statuses():
            return False
        now = timezone.now()
        fields = {"status": status, "updated_at": now}
        if status == Status.PUBLISHED:
            fields.update(published_at=now, published_by=by)
        moved = Synthesis.objects.filter(pk=self.pk, status=self.status).update(**fields)
        if moved != 1:
            return False
        SynthesisEvent.objects.create(synthesis=self, before=self.status, after=status, by=by)
        self.refresh_from_db()
        return True

    def editable(self, *, by=None):
        """The revision edits go to: this one while it is a draft or in review;
        an approved one goes back to draft; a published one stays as it was and
        a new draft revision, a copy of it, takes the edits."""
        if self.status in (Status.DRAFT, Status.IN_REVIEW):
            return self
        if self.status == Status.APPROVED:
            if self.move_to(Status.DRAFT, by=by):
                return self
            # Someone published (or moved) it meanwhile: ask again from its
            # present state, so that an edit never lands in a published revision.
            self.refresh_from_db()
            return self.editable(by=by)
        newest = self.workshop.syntheses.order_by("-revision").first()
        if newest.pk != self.pk and not newest.is_frozen:
            return newest
        return self.copy_as_new_revision(by=by)

    def copy_as_new_revision(self, *, by=None):
        from django.db import transaction

        with transaction.atomic():
            last = self.workshop.syntheses.select_for_update().order_by("-revision").first()
            copy = Synthesis.objects.create(
                workshop=self.workshop, revision=last.revision + 1, intro=self.intro
            )
            copy.set_aside.set(self.set_aside.all())
            for section in self.sections.prefetch_related("statements__sources"):
                statements = list(section.statements.all())
                section.pk, section.synthesis = None, copy
                section.save()
                for statement in statements:
                    sources = list(statement.sources.all())
                    statement.pk, statement.section, statement.version = None, section, 1
                    statement.save()
                    statement.sources.set(sources)
            SynthesisEvent.objects.create(synthesis=copy, before="", after=Status.DRAFT, by=by)
        return copy


# The steps the review allows: no skipping ahead; any step may go back to draft.
NEXT = {
    Status.DRAFT: [Status.IN_REVIEW],
    Status.IN_REVIEW: [Status.APPROVED, Status.DRAFT],
    Status.APPROVED: [Status.PUBLISHED, Status.DRAFT],
    Status.PUBLISHED: [],
}


class SynthesisEvent(models.Model):
    """Who moved a revision from one state to another, and when."""

    synthesis = models.ForeignKey(Synthesis, models.CASCADE, related_name="events")
    before = models.CharField(max_length=12, choices=Status.choices, blank=True)
    after = models.CharField(max_length=12, choices=Status.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("étape de relecture")
        verbose_name_plural = _("étapes de relecture")
        ordering = ["synthesis", "at", "pk"]

    def __str__(self):
        return f"{self.synthesis} : {self.get_after_display()}"


class Section(models.Model):
    synthesis = models.ForeignKey(Synthesis, models.CASCADE, related_name="sections")
    round = models.ForeignKey(
        Round,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="sections",
        verbose_name=_("temps"),
    )
    question = models.ForeignKey(
        Question,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="sections",
        verbose_name=_("consigne"),
    )
    title = models.CharField(_("titre"), max_length=300)
    order = models.PositiveSmallIntegerField(_("ordre"))

    class Meta:
        verbose_name = _("rubrique")
        verbose_name_plural = _("rubriques")
        ordering = ["synthesis", "order"]
        constraints = [
            models.UniqueConstraint(fields=["synthesis", "order"], name="section_unique_order"),
        ]

    def __str__(self):
        return self.title

    def parts(self):
        """(statements, quote groups) from the prefetched statements: quotes are
        shown apart, grouped by the speaker's actor type in order of appearance."""
        statements, groups = [], {}
        for statement in self.statements.all():
            if statement.kind == Kind.QUOTE:
                groups.setdefault(statement.speaker_actor_type, []).append(statement)
            else:
                statements.append(statement)
        return statements, list(groups.items())


class Statement(models.Model):
    section = models.ForeignKey(Section, models.CASCADE, related_name="statements")
    # Not unique: reordering and concurrent inserts would fight a unique index;
    # ties fall back to the primary key.
    order = models.PositiveIntegerField(_("ordre"), default=0)
    text = models.TextField(_("texte"))
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    speaker_actor_type = models.ForeignKey(
        ActorType,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="statements",
        verbose_name=_("type d'acteur de l'orateur·rice"),
    )
    sources = models.ManyToManyField(
        Contribution, blank=True, related_name="statements", verbose_name=_("contributions sources")
    )
    version = models.PositiveIntegerField(default=1)
    # Written by the draft and never touched since (any edit, merge, split or
    # move clears it): only such statements may be re-drafted at another
    # granularity.
    drafted = models.BooleanField(default=False, editable=False)
    # False when the draft found a note of another group close to one of its
    # notes: a statement raised by one group is a weak signal only if nobody
    # else said anything near it, not merely because the clustering left it alone.
    isolated = models.BooleanField(default=True, editable=False)
    # The text is a label the language model proposed for the group of notes:
    # shown as a proposal until a coordinator edits or accepts it.
    label_proposed = models.BooleanField(default=False, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("énoncé")
        verbose_name_plural = _("énoncés")
        ordering = ["section", "order", "pk"]
        indexes = [models.Index(fields=["section", "order"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="quote") | Q(speaker_actor_type__isnull=True),
                name="statement_speaker_only_on_quotes",
            ),
            models.CheckConstraint(condition=~Q(text=""), name="statement_text_not_empty"),
        ]

    def __str__(self):
        return self.text[:60]

    def edit(self, *, version, **fields):
        """Save an edit made on `version`; False if someone saved in between."""
        from django.db.models import F
        from django.utils import timezone

        changed = Statement.objects.filter(pk=self.pk, version=version).update(
            version=F("version") + 1,
            updated_at=timezone.now(),
            drafted=False,
            label_proposed=False,
            **fields,
        )
        return changed == 1


class Comment(models.Model):
    statement = models.ForeignKey(Statement, models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField(_("commentaire"), max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(_("résolu le"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("commentaire")
        verbose_name_plural = _("commentaires")
        ordering = ["statement", "created_at"]

    def __str__(self):
        return self.text[:60]


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("En file d'attente")
    RUNNING = "running", _("En cours")
    DONE = "done", _("Prêt")
    FAILED = "failed", _("Échec")


class ExportFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    DOCX = "docx", "Word (DOCX)"
    MD = "md", "Markdown"
    CSV = "csv", _("CSV (données ouvertes)")
    JSON = "json", _("JSON (données ouvertes)")
    # With the source notes' texts: working material, coordinators only
    # (synthesis/permissions.py: COORDINATION_FORMATS).
    ANALYSIS_CSV = "analyse-csv", _("CSV d'analyse, avec les notes sources")


class BackgroundJob(models.Model):
    """What every background job row records (exports, drafts): who asked and
    when, the worker's task and attempts, and why it failed. Claimed and sent
    by the helpers of jobs.py."""

    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    error = models.TextField(_("erreur"), blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def in_progress(self):
        return self.status in ("pending", "running")


class Export(BackgroundJob):
    """One file per revision and format, made in the background. The row is the
    job: its status says where it is, and a worker claims it atomically."""

    synthesis = models.ForeignKey(Synthesis, models.CASCADE, related_name="exports")
    format = models.CharField(_("format"), max_length=12, choices=ExportFormat.choices)
    status = models.CharField(
        _("état"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    file = models.FileField(_("fichier"), upload_to="exports/", max_length=300, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["synthesis", "format"]
        constraints = [
            models.UniqueConstraint(fields=["synthesis", "format"], name="export_unique_format"),
        ]
        indexes = [models.Index(fields=["status", "started_at"])]

    def __str__(self):
        return f"{self.synthesis} — {self.get_format_display()}"


class FollowUpStatus(models.TextChoices):
    PLANNED = "planned", _("À faire")
    DOING = "doing", _("En cours")
    DONE = "done", _("Fait")
    DROPPED = "dropped", _("Abandonné")


class FollowUp(models.Model):
    """One step in the follow-up of a commitment ("ce qu'on va faire"); the
    latest row is its current status, the earlier ones its history."""

    statement = models.ForeignKey(Statement, models.CASCADE, related_name="follow_ups")
    status = models.CharField(_("suivi"), max_length=10, choices=FollowUpStatus.choices)
    note = models.CharField(_("précision"), max_length=300, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("suivi d'engagement")
        verbose_name_plural = _("suivis d'engagement")
        ordering = ["statement", "at", "pk"]

    def __str__(self):
        return f"{self.statement} : {self.get_status_display()}"


class TextEmbedding(models.Model):
    """The vector of one note text under one model, computed once per distinct
    text (keyed by its SHA-256), so a draft reads vectors instead of running
    the model. Stored as little-endian float16 bytes: no pgvector here, and a
    draft only needs cosines to three decimals."""

    model = models.CharField(max_length=40)
    digest = models.CharField(max_length=64)
    vector = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["model", "digest"], name="textembedding_unique"),
        ]

    def __str__(self):
        return f"{self.model} {self.digest[:12]}"


class DraftJobStatus(models.TextChoices):
    PENDING = "pending", _("En attente")
    RUNNING = "running", _("En cours")
    DONE = "done", _("Terminé")
    FAILED = "failed", _("Échec")


class DraftJob(BackgroundJob):
    """One run of the draft over a workshop's notes, done by a worker with its
    progress counted in questions. At most one job per workshop is pending or
    running: a double click finds the first one."""

    workshop = models.ForeignKey(Workshop, models.CASCADE, related_name="draft_jobs")
    status = models.CharField(
        _("état"), max_length=10, choices=DraftJobStatus.choices, default=DraftJobStatus.PENDING
    )
    # -2 (fewer statements) … +2 (more statements); 0 is the measured default.
    granularity = models.SmallIntegerField(_("finesse"), default=0)
    # Re-draft the statements nobody touched at this granularity (the
    # "moins / plus d'énoncés" control), not only the new notes.
    redraft = models.BooleanField(default=False)
    # "embed" while vectors are computed (counted in notes), then "questions".
    stage = models.CharField(max_length=10, blank=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    summary = models.TextField(_("résumé"), blank=True)

    class Meta:
        verbose_name = _("génération de brouillon")
        verbose_name_plural = _("générations de brouillon")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["workshop"],
                condition=Q(status__in=["pending", "running"]),
                name="draftjob_one_active_per_workshop",
            ),
        ]

    def __str__(self):
        return f"{self.workshop} : {self.get_status_display()}"


class DismissedSuggestion(models.Model):
    """A suggested merge the coordination said no to. Kept by the two
    statements' source notes (their smallest note id each, lower first), so
    the pair stays dismissed in later revisions, which copy the statements."""

    workshop = models.ForeignKey(Workshop, models.CASCADE, related_name="dismissed_suggestions")
    first_note = models.ForeignKey(Contribution, models.CASCADE, related_name="+")
    second_note = models.ForeignKey(Contribution, models.CASCADE, related_name="+")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workshop", "first_note", "second_note"],
                name="dismissedsuggestion_unique",
            ),
            models.CheckConstraint(
                condition=Q(first_note__lt=models.F("second_note")),
                name="dismissedsuggestion_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.workshop} : {self.first_note_id} ≠ {self.second_note_id}"


class AssistedGrouping(models.Model):
    """A coordinator's consent to send this workshop's notes (texts, group
    numbers, themes; never quotes nor names) to the deployment's language
    model, and the calls spent on it against its budget."""

    workshop = models.OneToOneField(Workshop, models.CASCADE, related_name="assisted_grouping")
    enabled = models.BooleanField(_("regroupement assisté"), default=False)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now=True)
    calls_used = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("regroupement assisté")
        verbose_name_plural = _("regroupements assistés")

    def __str__(self):
        return f"{self.workshop} : {'oui' if self.enabled else 'non'}"


class LlmGrouping(models.Model):
    """A language model's partition of one question's notes, cached by
    (prompt version, model, question, notes): the same notes are never sent
    twice."""

    key = models.CharField(max_length=64, unique=True)
    model = models.CharField(max_length=200)
    prompt_version = models.CharField(max_length=40)
    result = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.model} {self.prompt_version} {self.key[:12]}"
