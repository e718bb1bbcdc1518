"""Draft a synthesis from the group notes.

Two layers. A pure clustering core (texts in, clusters of indices out, no ORM):
TF-IDF on stemmed French words and on character n-grams, then average-linkage
agglomerative clustering on cosine distance. And `draft()`, the workflow that
turns each question's notes into the statements of its section, without ever
touching what a coordinator already wrote.

A statement whose sources all come from one group is a weak signal ("signal
faible"): derived from the links wherever it is shown, never stored.
"""

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import snowballstemmer
from django.db import transaction
from django.db.models import F, Prefetch
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from atelier.markup import plain
from atelier.models import Contribution, Kind, Question, User, Workshop

from .models import Section, Statement, Status, Synthesis, SynthesisEvent

# Minimum average similarity (mean of word and n-gram cosines) for notes to
# share a statement. Measured on the demo workshop (165 non-quote notes from 43
# seed statements, atelier.demo): notes of different statements never exceed
# 0.30 (95th percentile 0.13), paraphrases of one statement have a median of
# 0.49. ARI / purity against the seed: 0.25 → 0.900 / 0.994 (first wrong
# merge), 0.30–0.35 → 0.858 / 1.000, 0.40 → 0.854, 0.50 → 0.804, 0.60 → 0.738.
# 0.35 keeps a 0.05 margin above the closest unrelated pair (a wrong merge
# hides a weak signal; a missed one is a click to merge) while hand-written
# paraphrases ("Pas assez de soutien politique local" / "Le manque de portage
# ou de soutien politique local.": 0.50) still join.
THRESHOLD = 0.35
# Added to the distance between two notes of one group: they then need a
# similarity of 0.75 to share a statement, i.e. a near-copy.
SAME_GROUP_PENALTY = 0.4
# Rows of the similarity matrix computed at once (float32: 8 MB per thousand
# notes): up to that many notes in a question, one matrix serves the whole draft.
CHUNK = 2000

# Folded (no accents), since texts are folded before they are split into words.
# Negations and quantities ("pas", "plus") go too: the character n-grams keep them.
FRENCH_STOP_WORDS = frozenset((
    "a", "ai", "aie", "ainsi", "alors", "as", "au", "aucun", "aussi", "autre", "autres", "aux",
    "avait", "avec", "avez", "avoir", "avons", "c", "ca", "car", "ce", "ceci", "cela", "celle",
    "celles", "celui", "ces", "cet", "cette", "ceux", "chez", "comme", "d", "dans", "de", "des",
    "deja", "donc", "dont", "du", "elle", "elles", "en", "encore", "entre", "es", "est", "et",
    "etaient", "etait", "etant", "ete", "etre", "eu", "eux", "fait", "faire", "fois", "font",
    "hors", "il", "ils", "j", "je", "jusqu", "l", "la", "le", "les", "leur", "leurs", "lors",
    "lui", "m", "ma", "mais", "me", "meme", "mes", "moi", "moins", "mon", "n", "ne", "ni", "nos",
    "notamment", "notre", "nous", "on", "ont", "ou", "par", "parce", "pas", "peu", "peut",
    "plus", "pour", "qu", "quand", "que", "quel", "quelle", "quelles", "quels", "qui", "quoi",
    "s", "sa", "sans", "se", "ses", "si", "soi", "soit", "son", "sont", "sous", "sur", "t", "ta",
    "te", "tes", "toi", "ton", "tous", "tout", "toute", "toutes", "tres", "trop", "tu", "un",
    "une", "unes", "uns", "vers", "via", "voire", "vos", "votre", "vous", "y", "etc",
))  # fmt: skip

_COMBINING = re.compile(r"[\u0300-\u036f]")  # accents, once NFKD has split them off
_WORD = re.compile(r"[a-z0-9]+")
_stemmer = snowballstemmer.stemmer("french")


# --- Clustering core -----------------------------------------------------------------


def fold(text: str) -> str:
    """Plain, lowercase, accent-free text: animators type fast, often without
    accents, and "creee" must meet "créée"."""
    text = plain(text).lower().replace("œ", "oe").replace("æ", "ae").replace("’", "'")
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text))


@lru_cache(maxsize=50_000)
def _stem(word: str) -> str:
    return _stemmer.stemWord(word)


def words(folded: str) -> list[str]:
    """The stems of the meaningful words ("habitants" and "habitant" are one)."""
    return [_stem(w) for w in _WORD.findall(folded) if w not in FRENCH_STOP_WORDS]


def _tfidf(vectorizer: TfidfVectorizer, texts: list[str]) -> sparse.csr_matrix:
    try:
        return vectorizer.fit_transform(texts)
    except ValueError:  # no vocabulary at all: only stop words, or only punctuation
        return sparse.csr_matrix((len(texts), 0), dtype=np.float32)


def vectorize(texts: Sequence[str]) -> sparse.csr_matrix:
    """One unit row per text; the dot product of two rows is the mean of their
    word cosine (meaning, plurals) and character n-gram cosine (typos, compounds
    such as "co-formation", words the stemmer misses). float32: the products
    are the cost of a draft, and halve with it."""
    folded = [fold(t) for t in texts]
    options = {"sublinear_tf": True, "dtype": np.float32}
    by_words = TfidfVectorizer(analyzer=words, **options)
    by_chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), **options)
    both = sparse.hstack([_tfidf(by_words, folded), _tfidf(by_chars, folded)]).tocsr()
    return normalize(both) if both.shape[1] else both


def _distances(matrix: sparse.csr_matrix, rows: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Cosine distances from `rows` to every row, longer between two notes of one
    group: a group rarely says the same thing twice, so only a near-copy may
    join its own group's note."""
    distances = 1.0 - (matrix[rows] @ matrix.T).toarray()
    distances[groups[rows][:, None] == groups[None, :]] += SAME_GROUP_PENALTY
    distances[np.arange(len(rows)), rows] = 0.0
    return np.clip(distances, 0.0, None)


def _components(matrix: sparse.csr_matrix, groups: np.ndarray, limit: float) -> np.ndarray:
    """Connected components of the "close enough" graph, CHUNK rows at a time.
    Average linkage never merges two clusters with no pair closer than the
    limit, so clustering each component apart gives the global result."""
    n, edges = matrix.shape[0], []
    for start in range(0, n, CHUNK):
        rows = np.arange(start, min(start + CHUNK, n))
        edges.append(sparse.csr_matrix(_distances(matrix, rows, groups) <= limit))
    return connected_components(sparse.vstack(edges), directed=False)[1]


def _agglomerate(distances: np.ndarray, limit: float) -> list[int]:
    model = AgglomerativeClustering(
        metric="precomputed", linkage="average", distance_threshold=limit, n_clusters=None
    )
    return model.fit_predict(distances).tolist()


def cluster_matrix(
    matrix: sparse.csr_matrix, groups: Sequence[int], *, threshold: float = THRESHOLD
) -> list[list[int]]:
    """Clusters of row indices, each row exactly once, in order of first row."""
    n, groups, limit = matrix.shape[0], np.asarray(groups), 1.0 - threshold
    if n < 2:
        return [[i] for i in range(n)]
    # Up to CHUNK notes (a question's worth), one matrix serves every component.
    every = _distances(matrix, np.arange(n), groups) if n <= CHUNK else None
    if every is None:
        components = _components(matrix, groups, limit)
    else:
        components = connected_components(sparse.csr_matrix(every <= limit), directed=False)[1]
    clusters = []
    for component in np.unique(components):
        members = np.flatnonzero(components == component)
        if len(members) == 1:
            clusters.append(members.tolist())
            continue
        if every is not None:
            distances = every[np.ix_(members, members)]
        else:
            distances = _distances(matrix[members], np.arange(len(members)), groups[members])
        by_label: dict[int, list[int]] = {}
        for member, label in zip(members.tolist(), _agglomerate(distances, limit), strict=True):
            by_label.setdefault(label, []).append(member)
        clusters += by_label.values()
    return sorted(clusters, key=lambda c: c[0])


def cluster(
    texts: list[str], groups: list[int], *, threshold: float = THRESHOLD
) -> list[list[int]]:
    """Gather the notes that say the same thing: clusters of indices into `texts`
    (`groups[i]` is the working group of note i), every index exactly once."""
    return cluster_matrix(vectorize(texts), groups, threshold=threshold)


def representative(
    indices: Sequence[int], matrix: sparse.csr_matrix, *, lengths: Sequence[int] | None = None
) -> int:
    """The note closest to the cluster's centroid; on a tie the longest (when
    `lengths` is given), then the earliest."""
    rows = matrix[list(indices)]
    scores = rows @ np.asarray(rows.mean(axis=0)).ravel()
    lengths = [0] * matrix.shape[0] if lengths is None else lengths
    best = max(
        range(len(indices)),
        key=lambda k: (round(float(scores[k]), 6), lengths[indices[k]], -indices[k]),
    )
    return indices[best]


# --- Workflow ------------------------------------------------------------------------


@dataclass
class DraftResult:
    synthesis: Synthesis
    sections_created: int = 0
    statements_created: int = 0
    notes_attached: int = 0  # to statements that existed before this draft
    notes_in_new_statements: int = 0
    sections: int = 0  # sections of the revision once drafted

    def summary(self) -> str:
        """'Révision 2 : 5 rubriques, 43 énoncés créés, 12 notes rattachées à des
        énoncés existants.' In French whatever the active language, like the
        synthesis it describes."""
        return (
            f"Révision {self.synthesis.revision} : {_count(self.sections, 'rubrique')}, "
            f"{_count(self.statements_created, 'énoncé', 'créé')}, "
            f"{_count(self.notes_attached, 'note', 'rattachée')} à des énoncés existants."
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

    def new_statement(self, **fields: object) -> Statement:
        self.next_order += 1
        return Statement(section=self.section, order=self.next_order, **fields)


@dataclass
class _Plan:
    """What the draft writes, in two bulk inserts at the end."""

    result: DraftResult
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


@transaction.atomic
def draft(workshop: Workshop, *, by: User | None = None) -> DraftResult:
    """Turn the notes no statement holds yet into statements of the editable
    revision: attached to a matching statement, else gathered into new ones.
    Existing statements keep their text, order and sources; running it again
    with no new note creates nothing."""
    result = DraftResult(synthesis=_target(workshop, by=by))
    plan = _Plan(result)
    works, taken = _sections(result)
    notes = _candidates(workshop, result.synthesis, taken)
    for work in works:
        _draft_section(work, notes.get(work.question.pk, []), plan)
    _write(plan)
    return result


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


def _sections(result: DraftResult) -> tuple[list[_SectionWork], set[int]]:
    """A section per question (the existing one, else a new one at the end),
    and every note a statement of this revision already holds."""
    synthesis = result.synthesis
    sources = Prefetch(
        "sources", queryset=Contribution.objects.only("pk", "text", "group_id", "deleted_at")
    )
    existing = list(
        synthesis.sections.prefetch_related(
            Prefetch("statements", queryset=Statement.objects.prefetch_related(sources))
        )
    )
    taken = {n.pk for s in existing for st in s.statements.all() for n in st.sources.all()}
    by_question: dict[int | None, Section] = {}
    for section in existing:
        by_question.setdefault(section.question_id, section)
    works = _works(synthesis, by_question, max((s.order for s in existing), default=0))
    result.sections_created = sum(1 for w in works if w.section.pk is None)
    Section.objects.bulk_create([w.section for w in works if w.section.pk is None])
    result.sections = len(existing) + result.sections_created
    return works, taken


def _works(
    synthesis: Synthesis, by_question: dict[int | None, Section], last_order: int
) -> list[_SectionWork]:
    questions = Question.objects.filter(round__workshop=synthesis.workshop).select_related("round")
    works = []
    for question in questions.order_by("round__order", "order"):
        section = by_question.get(question.pk)
        if section is None:
            last_order += 1
            section = Section(
                synthesis=synthesis,
                question=question,
                round=question.round,
                title=question.title,
                order=last_order,
            )
        statements = list(section.statements.all()) if section.pk else []
        works.append(_SectionWork(question, section, statements, _last_order(statements)))
    return works


def _last_order(statements: list[Statement]) -> int:
    return max((s.order for s in statements), default=0)


def _candidates(
    workshop: Workshop, synthesis: Synthesis, taken: set[int]
) -> dict[int, list[Contribution]]:
    """Notes to draft, per question, in board order: alive, of a group of the
    question's round, neither in a statement nor set aside by the coordination."""
    skip = taken | set(synthesis.set_aside.values_list("pk", flat=True))
    notes = (
        Contribution.objects.alive()
        .filter(question__round__workshop=workshop, group__round=F("question__round"))
        .only("pk", "question_id", "group_id", "kind", "text", "speaker_actor_type_id")
        .order_by("group__number", F("position").asc(nulls_last=True), "created_at", "pk")
    )
    by_question: dict[int, list[Contribution]] = {}
    for note in notes:
        if note.pk not in skip:
            by_question.setdefault(note.question_id, []).append(note)
    return by_question


def _draft_section(work: _SectionWork, notes: list[Contribution], plan: _Plan) -> None:
    quotes = [n for n in notes if n.kind == Kind.QUOTE]
    others = [n for n in notes if n.kind != Kind.QUOTE]
    rest = _attach(work, others, plan)
    _draft_clusters(work, rest, plan)
    _draft_quotes(work, quotes, plan)  # last: the reference layout ends sections with quotes


def _attach(work: _SectionWork, notes: list[Contribution], plan: _Plan) -> list[Contribution]:
    """Add each note to the existing statement it matches best, when it matches
    well enough; return the others. The statement's text is never changed."""
    targets = [s for s in work.statements if s.kind != Kind.QUOTE]
    if not notes or not targets:
        return notes
    scores = _statement_scores(notes, targets)
    best = scores.argmax(axis=1)
    rest = []
    for i, note in enumerate(notes):
        if scores[i, best[i]] >= THRESHOLD:
            plan.link(targets[best[i]], note)
        else:
            rest.append(note)
    return rest


def _statement_scores(notes: list[Contribution], targets: list[Statement]) -> np.ndarray:
    """notes × statements: a note's average similarity to a statement's text and
    its sources — the average-linkage criterion the clustering itself uses, so
    a note joins a statement when it would have joined its cluster."""
    texts, groups, owner = [], [], []
    for k, statement in enumerate(targets):
        sources = [s for s in statement.sources.all() if s.deleted_at is None]
        profile = [(statement.text, -1)] + [(s.text, s.group_id) for s in sources]
        texts += [text for text, _ in profile]
        groups += [group for _, group in profile]
        owner += [k] * len(profile)
    matrix = vectorize([n.text for n in notes] + texts)
    sims = (matrix[: len(notes)] @ matrix[len(notes) :].T).toarray()
    sims -= SAME_GROUP_PENALTY * (np.array([[n.group_id] for n in notes]) == np.array(groups))
    sizes = np.bincount(owner)
    weights = sparse.csr_matrix((1.0 / sizes[owner], (np.arange(len(owner)), owner)))
    return np.asarray(sims @ weights)  # each column: the mean over that statement's rows


def _draft_clusters(work: _SectionWork, notes: list[Contribution], plan: _Plan) -> None:
    """One new statement per cluster, worded as its most representative note;
    clusters raised by more groups come first."""
    matrix = vectorize([n.text for n in notes])
    clusters = cluster_matrix(matrix, [n.group_id for n in notes])
    clusters.sort(key=lambda c: (-len({notes[i].group_id for i in c}), c[0]))
    lengths = [len(n.text) for n in notes]
    for indices in clusters:
        members = [notes[i] for i in indices]
        text = notes[representative(indices, matrix, lengths=lengths)].text
        plan.create(work.new_statement(text=text, kind=_kind(members, work.question)), members)


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
