"""Score the draft's grouping against a coordinator's, on files shaped like
`shared/eval/drafting-dev.json`:

    {"questions": [{"question": "…", "kind": "obstacle",
                    "notes": [{"group": 3, "cluster": "aller-vers", "text": "…",
                               "themes": ["Jeunesse"]}, …]}, …]}

Two numbers per question: the adjusted Rand index of `drafting.cluster`
against the reference clusters, and the precision of the ten best suggested
merges between the statements it drafted (a suggestion is right when both
statements are mostly made of notes of one reference cluster). Pure: no
database, the backend's model runs on the texts directly — except with
`assisted`, where the clusters come from the language model (llm.py), whose
answers are cached in the database like the draft's.
"""

import json
import logging
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score

from . import drafting, llm, similarity

log = logging.getLogger(__name__)

TOP_SUGGESTIONS = 10


class EvaluationError(ValueError):
    """The file is not in the evaluation format; the message says where."""


@dataclass
class QuestionScore:
    question: str
    notes: int
    clusters: int  # drafted
    true_clusters: int
    ari: float
    suggestions: int
    suggestions_right: int
    baseline_ari: float

    @property
    def suggestion_precision(self) -> float | None:
        return self.suggestions_right / self.suggestions if self.suggestions else None


def load(path: str | Path) -> list[dict]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        questions = data["questions"]
        for q in questions:
            for note in q["notes"]:
                note["text"], note["group"], note["cluster"]  # noqa: B018 — shape check
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise EvaluationError(f"{path}: {error}") from error
    return questions


def score_question(
    question: dict, backend: similarity.Backend, assisted: "Assisted | None" = None
) -> QuestionScore:
    notes = question["notes"]
    texts = [n["text"] for n in notes]
    groups = [n["group"] for n in notes]
    themes = [n.get("themes") or [] for n in notes]
    truth = [n["cluster"] for n in notes]
    copies = similarity.near_copies(texts)
    context = question.get("question", "")
    sims = similarity.matrix(texts, themes=themes, context=context, backend=backend)
    if assisted:
        clusters = assisted.cluster(context, texts, groups, themes, sims, copies)
    else:
        clusters = drafting.cluster_sims(sims, groups, copies=copies)
    lexical = similarity.matrix(texts, themes=themes, backend=similarity.Lexical())
    baseline = drafting.cluster_sims(lexical, groups, copies=copies)
    suggestions = drafting.suggest(sims, clusters, groups, limit=TOP_SUGGESTIONS)
    right = sum(
        _majority(clusters[s.first], truth) == _majority(clusters[s.second], truth)
        for s in suggestions
    )
    return QuestionScore(
        question=question.get("question", ""),
        notes=len(notes),
        clusters=len(clusters),
        true_clusters=len(set(truth)),
        ari=round(adjusted_rand_score(truth, _labels(clusters, len(notes))), 4),
        suggestions=len(suggestions),
        suggestions_right=right,
        baseline_ari=round(adjusted_rand_score(truth, _labels(baseline, len(notes))), 4),
    )


def _labels(clusters: list[list[int]], n: int) -> list[int]:
    labels = [0] * n
    for label, members in enumerate(clusters):
        for i in members:
            labels[i] = label
    return labels


def _majority(members: list[int], truth: list[str]) -> str:
    return Counter(truth[i] for i in members).most_common(1)[0][0]


class Assisted:
    """Clusters proposed by the language model (note ids are the indices),
    the offline ones for a question it fails on, counted in `fallbacks`."""

    def __init__(self):
        self.fallbacks = 0

    def cluster(
        self,
        context: str,
        texts: list[str],
        groups: list[int],
        themes: list[list[str]],
        sims: np.ndarray,
        copies: np.ndarray,
    ) -> list[list[int]]:
        notes = [
            llm.Note(i, text, group, tuple(names))
            for i, (text, group, names) in enumerate(zip(texts, groups, themes, strict=True))
        ]
        try:
            return llm.partition(context, notes, similarities=lambda: sims).groups
        except llm.LlmError as error:
            log.warning("%s: offline clusters for %r", error, context[:60])
            self.fallbacks += 1
            return drafting.cluster_sims(sims, groups, copies=copies)


def evaluate(
    path: str | Path, backend: similarity.Backend | None = None, *, assisted: bool = False
) -> dict:
    """{"ari", "suggestion_precision", "baseline_ari", "backend", "questions": […]}:
    means over the questions; the precision pools every question's top ten.
    With `assisted`, the language model groups the notes and `backend` gives
    the similarities (suggestions, the parts of long questions, the fallback);
    "llm_fallbacks" counts the questions the model failed on."""
    backend = backend or similarity.get_backend()
    grouping = Assisted() if assisted else None
    scores = [score_question(q, backend, grouping) for q in load(path)]
    made = sum(s.suggestions for s in scores)
    result = {
        "backend": f"{llm.label()} ({backend.label})" if grouping else backend.label,
        "ari": _mean(s.ari for s in scores),
        "suggestion_precision": round(sum(s.suggestions_right for s in scores) / made, 4)
        if made
        else None,
        "baseline_ari": _mean(s.baseline_ari for s in scores),
        "questions": [
            {**asdict(s), "suggestion_precision": s.suggestion_precision} for s in scores
        ],
    }
    if grouping:
        result["llm_fallbacks"] = grouping.fallbacks
    return result


def _mean(values) -> float:
    values = list(values)
    return round(sum(values) / len(values), 4) if values else 0.0
