"""Draft a synthesis from the group notes.

Why one module past ~400 lines: the clustering core and the workflow share
their constants (the cut, the penalties) and are measured together
(docs/drafting.md); the similarity, vectors, jobs and suggestions have modules
of their own.

Two layers. A pure clustering core (texts in, clusters of indices out, no ORM):
the configured backend's similarities (`similarity.py`: sentence encoders, or
TF-IDF as the fallback) as standard scores within the question, then
average-linkage agglomerative clustering, two notes of one group kept apart.
And `draft()`, the workflow that turns each question's notes into the
statements of its section, without ever touching what a coordinator wrote.

A statement whose sources all come from one group is a weak signal ("signal
faible") when none of its notes had a note of another group close to it
(`Statement.isolated`, set by the draft).
"""

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from django.db import transaction
from django.db.models import F, Prefetch
from django.utils.translation import gettext_lazy as _
from sklearn.cluster import AgglomerativeClustering

from atelier.markup import plain
from atelier.models import Contribution, Kind, Question, User, Workshop

from . import similarity
from .models import Section, Statement, Status, Synthesis, SynthesisEvent

# Similarities are standard scores within a question (similarity.matrix): 0 is
# an average pair of its notes, 2 a pair among its closest few percent.
# Notes share a statement when their clusters' average score reaches THRESHOLD;
# docs/drafting.md has the measurements behind each number.
THRESHOLD = 0.7
# Each step of the "moins / plus d'énoncés" control moves the cut this much.
GRANULARITY_STEP = 0.3
GRANULARITIES = (-2, -1, 0, 1, 2)
# Subtracted from the score of two notes of one group: a group says the same
# thing twice in 2 of the 365 same-idea pairs of the dev set, so two notes of
# one group never share a statement, unless one is a near-copy of the other.
SAME_GROUP_PENALTY = 100.0
# A note with no note of another group at least this close is a weak signal.
WEAK_LIMIT = 1.5
# A suggested merge: two statements whose notes average at least this score.
SUGGEST_LIMIT = 0.4
VERY_CLOSE = 1.5


# --- Clustering core -----------------------------------------------------------------


def cluster_sims(
    sims: np.ndarray,
    groups: Sequence[int],
    *,
    threshold: float = THRESHOLD,
    copies: np.ndarray | None = None,
) -> list[list[int]]:
    """Average-linkage clusters of a similarity matrix: each index exactly
    once, in order of first index. `copies` marks near-copies, which may share
    a statement even within a group."""
    n = len(groups)
    if n < 2:
        return [[i] for i in range(n)]
    scores = _penalised(sims, groups, copies)
    top = scores.max()
    distances = top - scores
    np.fill_diagonal(distances, 0.0)
    model = AgglomerativeClustering(
        metric="precomputed",
        linkage="average",
        distance_threshold=max(top - threshold, 1e-9),
        n_clusters=None,
    )
    by_label: dict[int, list[int]] = {}
    for index, label in enumerate(model.fit_predict(distances).tolist()):
        by_label.setdefault(label, []).append(index)
    return sorted(by_label.values(), key=lambda c: c[0])


def _penalised(
    sims: np.ndarray, groups: Sequence[int], copies: np.ndarray | None = None
) -> np.ndarray:
    same = np.asarray(groups)[:, None] == np.asarray(groups)[None, :]
    if copies is not None:
        same &= ~copies
    scores = sims - SAME_GROUP_PENALTY * same
    np.fill_diagonal(scores, sims.max() if sims.size else 0.0)
    return scores


def cluster(
    texts: list[str],
    groups: list[int],
    *,
    themes: Sequence[Sequence[str]] | None = None,
    vectors: np.ndarray | None = None,
    granularity: int = 0,
) -> list[list[int]]:
    """Gather the notes that say the same thing: clusters of indices into `texts`
    (`groups[i]` is the working group of note i, `themes[i]` the names of its
    themes), every index exactly once, with the configured backend."""
    sims = similarity.matrix(texts, vectors=vectors, themes=themes)
    copies = similarity.near_copies(texts)
    return cluster_sims(sims, groups, threshold=cut(granularity), copies=copies)


def cut(granularity: int = 0) -> float:
    """The threshold of a granularity: above 0, more (smaller) statements."""
    return THRESHOLD + GRANULARITY_STEP * granularity


def representative(indices: Sequence[int], sims: np.ndarray, texts: Sequence[str]) -> int:
    """The note closest on average to the others of its cluster; on a tie the
    longest, then the earliest."""
    block = sims[np.ix_(indices, indices)]
    scores = (block.sum(axis=1) - np.diag(block)) / max(len(indices) - 1, 1)
    best = max(
        range(len(indices)),
        key=lambda k: (round(float(scores[k]), 6), len(texts[indices[k]]), -indices[k]),
    )
    return indices[best]


def isolated(sims: np.ndarray, groups: Sequence[int]) -> list[bool]:
    """For each note: no note of another group comes within WEAK_LIMIT of it.
    Such a note, alone in its statement, is a weak signal."""
    g = np.asarray(groups)
    other = g[:, None] != g[None, :]
    masked = np.where(other, sims, -np.inf)
    return (masked.max(axis=1, initial=-np.inf) < WEAK_LIMIT).tolist()


@dataclass(frozen=True)
class Suggestion:
    first: int  # indices into the clusters (statements) given
    second: int
    score: float


def suggest(
    sims: np.ndarray, members: Sequence[Sequence[int]], groups: Sequence[int], *, limit: int = 10
) -> list[Suggestion]:
    """Pairs of statements (lists of note indices) that probably say the same
    thing, best first: the average score of their notes across groups, as the
    clustering measures it. Pairs whose notes all share a group are skipped.

    Two matrix products instead of a loop over pairs: with A the notes ×
    statements indicator and D "the two notes are of different groups", the
    sums of cross-group scores are Aᵀ(S∘D)A and their counts AᵀDA (a section
    of 2,000 notes and 400 statements: 80,000 pairs in a fraction of a second)."""
    k, n = len(members), len(groups)
    if k < 2 or n == 0:
        return []
    g = np.asarray(groups)
    other = (g[:, None] != g[None, :]).astype(np.float32)
    owners = np.zeros((n, k), np.float32)
    for s, notes in enumerate(members):
        owners[list(notes), s] = 1.0
    sums = owners.T @ (sims.astype(np.float32) * other) @ owners
    counts = owners.T @ other @ owners
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = np.where(counts > 0, sums / np.maximum(counts, 1), -np.inf)
    first, second = np.triu_indices(k, 1)
    values = scores[first, second]
    keep = np.flatnonzero(values >= SUGGEST_LIMIT)
    found = [Suggestion(int(first[i]), int(second[i]), round(float(values[i]), 3)) for i in keep]
    found.sort(key=lambda s: (-s.score, s.first, s.second))
    return found[:limit]


def closeness(score: float) -> str:
    """A suggestion's score in words, for the coordinator."""
    return str(_("très proches") if score >= VERY_CLOSE else _("proches"))


# --- Workflow ------------------------------------------------------------------------


@dataclass
class DraftResult:
    synthesis: Synthesis
    sections_created: int = 0
    statements_created: int = 0
    notes_attached: int = 0  # to statements that existed before this draft
    notes_in_new_statements: int = 0
    sections: int = 0  # sections of the revision once drafted
    notices: list[str] = field(default_factory=list)  # what the coordination should know

    def summary(self) -> str:
        """'Révision 2 : 5 rubriques, 43 énoncés créés, 12 notes rattachées à des
        énoncés existants.' In French whatever the active language, like the
        synthesis it describes."""
        return " ".join(
            [
                f"Révision {self.synthesis.revision} : {_count(self.sections, 'rubrique')}, "
                f"{_count(self.statements_created, 'énoncé', 'créé')}, "
                f"{_count(self.notes_attached, 'note', 'rattachée')} à des énoncés existants.",
                *self.notices,
            ]
        )


def _count(n: int, *words: str) -> str:
    """'0 énoncé créé', '1 note', '12 notes rattachées': French plural from 2 on."""
    plural = "s" if n > 1 else ""
    return " ".join([str(n), *(word + plural for word in words)])


@dataclass
class _SectionWork:
    """One section being drafted: its question, its statements, the next free order."""

    question: Question
    section: Section
    statements: list[Statement]
    next_order: int = 0
    dissolved: set[int] = field(default_factory=set)  # notes of statements redrafted

    def new_statement(self, **fields: object) -> Statement:
        self.next_order += 1
        return Statement(section=self.section, order=self.next_order, **fields)


@dataclass
class _Plan:
    """What the draft writes, in two bulk inserts at the end."""

    result: DraftResult
    assisted: "_Assisted | None" = None
    statements: list[Statement] = field(default_factory=list)
    links: list[tuple[Statement, int]] = field(default_factory=list)

    def create(self, statement: Statement, notes: list[Contribution]) -> None:
        self.statements.append(statement)
        self.result.statements_created += 1
        for note in notes:
            self.link(statement, note)

    def link(self, statement: Statement, note: Contribution) -> None:
        self.links.append((statement, note.pk))
        if statement.pk is None:
            self.result.notes_in_new_statements += 1
        else:
            self.result.notes_attached += 1


# progress(stage, done, total): stage "embed" counts notes, "questions" questions.
Progress = Callable[[str, int, int], None]


def draft(
    workshop: Workshop,
    *,
    by: User | None = None,
    granularity: int | None = None,
    redraft: bool = False,
    progress: Progress | None = None,
) -> DraftResult:
    """Turn the notes no statement holds yet into statements of the editable
    revision: attached to a matching statement, else gathered into new ones.
    Existing statements keep their text, order and sources; running it again
    with no new note creates nothing. With `redraft`, the statements the draft
    wrote and nobody touched since are first dissolved and their notes drafted
    again, at `granularity` (which becomes the revision's setting).

    Vectors are computed first, outside any transaction (the slow part); then
    each question is drafted and committed on its own, so that progress shows
    and a run killed half-way resumes where it stopped: the notes already in
    a statement are not drafted twice."""
    with transaction.atomic():
        synthesis = _target(workshop, by=by)
        if granularity is not None and granularity != synthesis.granularity:
            Synthesis.objects.filter(pk=synthesis.pk).update(granularity=granularity)
            synthesis.granularity = granularity
    threshold = cut(synthesis.granularity)
    vectors = _Vectors.of_workshop(workshop, progress)
    questions = list(
        Question.objects.filter(round__workshop=workshop)
        .select_related("round")
        .order_by("round__order", "order", "pk")
    )
    result = DraftResult(synthesis=synthesis)
    assisted = _Assisted.for_workshop(workshop)
    for done, question in enumerate(questions, start=1):
        if assisted:  # the model is asked outside any transaction (a board never waits)
            _ask_model(assisted, synthesis, question, vectors, threshold, redraft=redraft)
        with transaction.atomic():
            Workshop.objects.select_for_update().only("pk").get(pk=workshop.pk)
            work = _work(synthesis, question, result, redraft=redraft)
            plan = _Plan(result, assisted=assisted.from_cache() if assisted else None)
            _draft_section(work, _candidates(synthesis, question), plan, vectors, threshold)
            _write(plan)
        if progress:
            progress("questions", done, len(questions))
    result.sections = synthesis.sections.count()
    if assisted:
        assisted.record(result)
    return result


def granularity_preview(synthesis: Synthesis) -> dict[int, int]:
    """How many statements the revision would hold at each granularity if the
    statements nobody touched were drafted again (nothing is written)."""
    vectors = _Vectors.of_workshop(synthesis.workshop, None)
    counts = dict.fromkeys(GRANULARITIES, 0)
    kept = (
        Statement.objects.filter(section__synthesis=synthesis)
        .exclude(drafted=True, kind__in=_DRAFTABLE_KINDS)
        .count()
    )
    for question in Question.objects.filter(round__workshop=synthesis.workshop):
        work = _work(synthesis, question, DraftResult(synthesis), redraft=True, dry=True)
        notes = [n for n in _candidates(synthesis, question, work) if n.kind != Kind.QUOTE]
        inputs = _SectionInputs.build(work, notes, vectors) if notes else None
        for granularity in GRANULARITIES:
            plan = _Plan(DraftResult(synthesis))
            if inputs:
                _plan_notes(inputs, plan, cut(granularity))
            counts[granularity] += len(plan.statements)
    return {g: counts[g] + kept for g in GRANULARITIES}


_DRAFTABLE_KINDS = [k for k in Kind.values if k != Kind.QUOTE]


def _target(workshop: Workshop, *, by: User | None) -> Synthesis:
    # Two drafts at once would both copy the published revision, or both draft
    # the same notes: the second waits here (PostgreSQL; SQLite's IMMEDIATE
    # transactions already serialise writers), then sees the first one's work.
    Workshop.objects.select_for_update().only("pk").get(pk=workshop.pk)
    latest = workshop.syntheses.order_by("-revision").first()
    if latest is None:
        latest = Synthesis.objects.create(workshop=workshop, revision=1)
        SynthesisEvent.objects.create(synthesis=latest, before="", after=Status.DRAFT, by=by)
    return latest.editable(by=by)


def _work(
    synthesis: Synthesis,
    question: Question,
    result: DraftResult,
    *,
    redraft: bool,
    dry: bool = False,
) -> "_SectionWork":
    """The question's section (created at the end if missing) and its
    statements; with `redraft`, less the untouched drafted ones, which are
    deleted (or, `dry`, only left out)."""
    section = synthesis.sections.filter(question=question).first()
    if section is None:
        last = synthesis.sections.order_by("-order").values_list("order", flat=True).first()
        section = Section(
            synthesis=synthesis,
            question=question,
            round=question.round,
            title=question.title,
            order=(last or 0) + 1,
        )
        if not dry:
            section.save()
            result.sections_created += 1
        return _SectionWork(question, section, [], 0, dissolved=set())
    statements = section.statements.prefetch_related(
        Prefetch(
            "sources",
            queryset=Contribution.objects.only(
                "pk", "text", "group_id", "deleted_at", "kind"
            ).prefetch_related("themes"),
        )
    )
    statements = list(statements)
    dissolved = set()
    if redraft:
        untouched = [s for s in statements if s.drafted and s.kind != Kind.QUOTE]
        dissolved = {n.pk for s in untouched for n in s.sources.all()}
        statements = [s for s in statements if s not in untouched]
        if untouched and not dry:
            Statement.objects.filter(pk__in=[s.pk for s in untouched]).delete()
    return _SectionWork(question, section, statements, _last_order(statements), dissolved)


def _last_order(statements: list[Statement]) -> int:
    return max((s.order for s in statements), default=0)


def _candidates(
    synthesis: Synthesis, question: Question, work: "_SectionWork | None" = None
) -> list[Contribution]:
    """The question's notes to draft, in board order: alive, of a group of the
    question's round, neither in a statement of the revision nor set aside by
    the coordination (with `work` given, dry: its dissolved notes count as free)."""
    links = Statement.sources.through.objects.filter(
        statement__section__synthesis=synthesis, contribution__question=question
    ).values_list("contribution_id", "statement_id")
    kept = {s.pk for s in work.statements} if work is not None else None
    taken = {
        note
        for note, statement in links
        if kept is None or statement in kept or note not in work.dissolved
    }
    skip = taken | set(synthesis.set_aside.filter(question=question).values_list("pk", flat=True))
    notes = (
        Contribution.objects.alive()
        .filter(question=question, group__round=question.round_id)
        .only("pk", "question_id", "group_id", "kind", "text", "speaker_actor_type_id")
        .prefetch_related("themes")
        .order_by("group__number", F("position").asc(nulls_last=True), "created_at", "pk")
    )
    return [n for n in notes if n.pk not in skip]


class _Vectors:
    """The stored vectors of every note of the workshop, each read as the
    answer to its question, fetched in one pass; those not embedded yet are
    embedded now and stored."""

    def __init__(self, by_text: dict[str, np.ndarray]):
        self.by_text = by_text

    @classmethod
    def of_workshop(cls, workshop: Workshop, progress: Progress | None) -> "_Vectors":
        from . import embeddings

        rows = (
            Contribution.objects.alive()
            .filter(question__round__workshop=workshop)
            .exclude(kind=Kind.QUOTE)
            .order_by("pk")
            .values_list("question__title", "text")
        )
        texts = list(dict.fromkeys(similarity.in_context(q, t) for q, t in rows))
        on_batch = (lambda done, total: progress("embed", done, total)) if progress else None
        found = embeddings.vectors_for(texts, on_batch=on_batch)
        return cls({} if found is None else dict(zip(texts, found, strict=True)))

    def of(self, texts: list[str], context: str) -> np.ndarray | None:
        if not self.by_text or not texts:
            return None
        keys = [similarity.in_context(context, t) for t in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self.by_text))
        if missing:  # a note typed or edited since the vectors were read
            from . import embeddings

            self.by_text.update(zip(missing, embeddings.vectors_for(missing), strict=True))
        return np.vstack([self.by_text[k] for k in keys])


def _draft_section(
    work: "_SectionWork",
    notes: list[Contribution],
    plan: _Plan,
    vectors: _Vectors,
    threshold: float,
) -> None:
    quotes = [n for n in notes if n.kind == Kind.QUOTE]
    others = [n for n in notes if n.kind != Kind.QUOTE]
    if others:
        _plan_notes(_SectionInputs.build(work, others, vectors), plan, threshold)
    _draft_quotes(work, quotes, plan)  # last: the reference layout ends sections with quotes


@dataclass
class _SectionInputs:
    """New notes and the existing statements' sources of one section, with one
    similarity matrix over them all: existing statements never change the
    scores between new notes, and the preview reuses it at every cut."""

    work: "_SectionWork"
    notes: list[Contribution]
    targets: list[Statement]
    spans: list[list[int]]
    sims: np.ndarray
    scores: np.ndarray
    copies: np.ndarray

    @classmethod
    def build(cls, work, notes, vectors: _Vectors) -> "_SectionInputs":
        targets = [s for s in work.statements if s.kind != Kind.QUOTE]
        sources = [[n for n in s.sources.all() if n.deleted_at is None] for s in targets]
        everyone = notes + [n for owned in sources for n in owned]
        texts, groups = [n.text for n in everyone], [n.group_id for n in everyone]
        context = work.question.title
        sims = similarity.matrix(
            texts, vectors=vectors.of(texts, context), themes=_themes(everyone), context=context
        )
        spans, offset = [], len(notes)
        for owned in sources:
            spans.append(list(range(offset, offset + len(owned))))
            offset += len(owned)
        copies = similarity.near_copies(texts)
        return cls(work, notes, targets, spans, sims, _penalised(sims, groups, copies), copies)


def _plan_notes(inputs: _SectionInputs, plan: _Plan, threshold: float) -> None:
    """Attach each note to the existing statement it matches best, when it
    would have joined that statement's cluster (average score to its sources
    at least the cut); gather the others into new statements."""
    rest, attached = _unattached(inputs, threshold)
    for i, k in attached:
        plan.link(inputs.targets[k], inputs.notes[i])
    if rest:
        pick = np.ix_(rest, rest)
        notes = [inputs.notes[i] for i in rest]
        _draft_clusters(inputs.work, notes, inputs.sims[pick], inputs.copies[pick], plan, threshold)


def _unattached(
    inputs: _SectionInputs, threshold: float
) -> tuple[list[int], list[tuple[int, int]]]:
    """(notes left for new statements, (note, existing statement) pairs)."""
    rest, attached = [], []
    for i in range(len(inputs.notes)):
        best, best_score = None, threshold
        for k, span in enumerate(inputs.spans):
            if span and (score := float(inputs.scores[i, span].mean())) >= best_score:
                best, best_score = k, score
        if best is None:
            rest.append(i)
        else:
            attached.append((i, best))
    return rest, attached


def _themes(notes: list[Contribution]) -> list[list[str]]:
    return [[t.name for t in n.themes.all()] for n in notes]


def _draft_clusters(
    work: "_SectionWork",
    notes: list[Contribution],
    sims: np.ndarray,
    copies: np.ndarray,
    plan: _Plan,
    threshold: float,
) -> None:
    """One new statement per cluster, worded as its most representative note;
    clusters raised by more groups come first."""
    groups = [n.group_id for n in notes]
    proposed = plan.assisted.partition(work.question, notes, sims) if plan.assisted else None
    if proposed is None:
        clusters = cluster_sims(sims, groups, threshold=threshold, copies=copies)
        labels = {}
    else:
        clusters, labels = proposed
    order = sorted(
        range(len(clusters)),
        key=lambda c: (-len({groups[i] for i in clusters[c]}), min(clusters[c])),
    )
    alone = isolated(sims, groups)
    texts = [n.text for n in notes]
    for c in order:
        indices = clusters[c]
        members = [notes[i] for i in indices]
        label = labels.get(c) if len(indices) > 1 else None
        statement = work.new_statement(
            text=label or notes[representative(indices, sims, texts)].text,
            kind=_kind(members, work.question),
            drafted=True,
            isolated=all(alone[i] for i in indices),
            label_proposed=bool(label),
        )
        plan.create(statement, members)


class _Assisted:
    """The deployment's language model, for a workshop whose coordination
    turned it on (docs/deploy.md): it proposes each question's groups; the
    offline similarity stays the fallback. Only note texts, group numbers and
    themes are sent; never quotes, names or anything about participants."""

    def __init__(self, consent, *, live: bool = True, state: dict | None = None):
        self.consent = consent
        self.live = live
        self.state = state if state is not None else {"failures": [], "used": None}

    @classmethod
    def for_workshop(cls, workshop: Workshop) -> "_Assisted | None":
        from . import llm
        from .models import AssistedGrouping

        if not llm.configured():
            return None
        consent = AssistedGrouping.objects.filter(workshop=workshop, enabled=True).first()
        return cls(consent) if consent else None

    def from_cache(self) -> "_Assisted":
        """The same, allowed no new call: inside a transaction, only answers
        obtained just before it (a note typed meanwhile: offline, silently)."""
        return _Assisted(self.consent, live=False, state=self.state)

    def spend(self) -> bool:
        from django.conf import settings

        from .models import AssistedGrouping

        if not self.live:
            return False
        allowed = AssistedGrouping.objects.filter(
            pk=self.consent.pk, calls_used__lt=settings.LLM_CALLS_PER_WORKSHOP
        ).update(calls_used=F("calls_used") + 1)
        return allowed == 1

    def partition(
        self, question: Question, notes: list[Contribution], sims: np.ndarray
    ) -> tuple[list[list[int]], dict[int, str]] | None:
        """Clusters of indices into `notes` and their labels, or None (offline).
        `sims`, the notes' similarities, joins the parts of a long question."""
        from . import llm

        numbers = {g: k for k, g in enumerate(sorted({n.group_id for n in notes}), start=1)}
        sent = [
            llm.Note(
                id=n.pk,
                text=plain(n.text),
                group=numbers[n.group_id],
                themes=tuple(sorted(t.name for t in n.themes.all())),
            )
            for n in notes
        ]
        try:
            answer = llm.partition(
                question.title, sent, spend=self.spend, similarities=lambda: sims
            )
        except llm.LlmError as error:
            if self.live:
                self.state["failures"].append((question.title, str(error)))
            return None
        self.state["used"] = (answer.model, answer.prompt_version)
        index = {n.pk: i for i, n in enumerate(notes)}
        clusters = [[index[pk] for pk in group] for group in answer.groups]
        labels = {c: label for c, label in enumerate(answer.labels) if label}
        return clusters, labels

    def record(self, result: DraftResult) -> None:
        """Say on the revision who grouped the notes, and in the summary what
        the model could not do."""
        from django.utils import timezone

        used, failures = self.state["used"], self.state["failures"]
        if used:
            Synthesis.objects.filter(pk=result.synthesis.pk).update(
                grouped_by_model=used[0], grouping_prompt=used[1], grouped_at=timezone.now()
            )
            result.notices.append(f"Regroupement proposé par le modèle {used[0]}.")
        if failures:
            reason = failures[0][1]
            result.notices.append(
                f"Le modèle n'a pas pu regrouper {_count(len(failures), 'question')} "
                f"({reason}) : le regroupement hors ligne a été utilisé."
            )


def _ask_model(
    assisted: _Assisted,
    synthesis: Synthesis,
    question: Question,
    vectors: _Vectors,
    threshold: float,
    *,
    redraft: bool,
) -> None:
    """Before the question's transaction: find the notes the draft will group
    (those no existing statement takes) and have the model group them; the
    answer is cached, so the transaction reads it without waiting on the
    network."""
    work = _work(synthesis, question, DraftResult(synthesis), redraft=redraft, dry=True)
    notes = [n for n in _candidates(synthesis, question, work) if n.kind != Kind.QUOTE]
    if not notes:
        return
    inputs = _SectionInputs.build(work, notes, vectors)
    rest, _ = _unattached(inputs, threshold)
    if rest:
        sims = inputs.sims[np.ix_(rest, rest)]
        assisted.partition(question, [inputs.notes[i] for i in rest], sims)


def _kind(notes: list[Contribution], question: Question) -> str:
    counts = Counter(n.kind for n in notes).most_common()
    tied = [kind for kind, count in counts if count == counts[0][1]]
    if len(tied) == 1 or question.default_kind == Kind.QUOTE:
        return tied[0]  # a question that defaults to quotes: notes must not become quotes
    return question.default_kind


def _draft_quotes(work: _SectionWork, notes: list[Contribution], plan: _Plan) -> None:
    """A statement per quote, shared by quotes of the same words and speaker type."""
    known = {
        (plain(s.text), s.speaker_actor_type_id): s for s in work.statements if s.kind == Kind.QUOTE
    }
    for note in notes:
        key = (plain(note.text), note.speaker_actor_type_id)
        if key in known:
            plan.link(known[key], note)
            continue
        statement = known[key] = work.new_statement(
            text=note.text, kind=Kind.QUOTE, speaker_actor_type_id=note.speaker_actor_type_id
        )
        plan.create(statement, [note])


def _write(plan: _Plan) -> None:
    Statement.objects.bulk_create(plan.statements)
    through = Statement.sources.through
    through.objects.bulk_create(
        through(statement_id=statement.pk, contribution_id=note_id)
        for statement, note_id in plan.links
    )
