"""Assisted grouping: a language model behind an OpenAI-compatible

Why one module past ~400 lines: the client, its validation and the joining of
a long question's parts form one protocol, tested as one (tests/test_llm.py).

chat-completions endpoint proposes how one question's notes group (issue 19).

An option, never a requirement: with LLM_BASE_URL and LLM_MODEL unset it does
not exist, and the offline clustering (drafting.py) stays the default and the
fallback the caller takes when `partition` raises LlmError. What is sent: the
question, and each note's id, text, group number and themes — never names nor
participants; quotes are left out by the caller.

The prompt is one versioned file, prompts/grouping.toml. Partitions are cached
in LlmGrouping by (prompt version, model, question, notes): the same notes are
never sent twice. A question with more than LLM_MAX_NOTES notes is asked in
parts, whose groups are then joined with the offline similarity.
"""

import hashlib
import json
import logging
import math
import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Template
from time import sleep

import httpx
import numpy as np
from django.conf import settings

from atelier.markup import plain

from .models import LlmGrouping

log = logging.getLogger(__name__)

PROMPT = Path(__file__).with_name("prompts") / "grouping.toml"
ATTEMPTS = 3  # per request, on 429, 5xx, timeouts and lost connections
RETRY_AFTER_CAP = 30.0  # seconds: a longer Retry-After is not waited in full
LABEL_MAX = 120

BUDGET = "Le budget d'appels au modèle de cet atelier est épuisé."
TIMEOUT = "Le modèle n'a pas répondu dans les temps."
UNREACHABLE = "Le serveur du modèle est injoignable."
BUSY = "Le serveur du modèle est saturé (trop de requêtes)."
SERVER_ERROR = "Le serveur du modèle est en erreur (HTTP {status})."
REFUSED = "Le serveur du modèle a refusé la requête (HTTP {status})."
INVALID = "La réponse du modèle était invalide deux fois de suite."

# The answer's shape, for servers that constrain their output to a schema.
# Strict mode wants every property required: a missing label is null.
SCHEMA = {
    "type": "object",
    "properties": {
        "groups": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "ids": {"type": "array", "items": {"type": "integer"}},
                    "label": {"type": ["string", "null"]},
                },
                "required": ["ids", "label"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["groups"],
    "additionalProperties": False,
}
RESPONSE_FORMAT = {
    "type": "json_schema",
    "json_schema": {"name": "partition", "strict": True, "schema": SCHEMA},
}


@dataclass(frozen=True)
class Note:
    id: int
    text: str
    group: int  # the working group's number
    themes: tuple[str, ...] = ()


@dataclass
class Partition:
    groups: list[list[int]]  # note ids, each exactly once, in the order of the notes given
    labels: list[str | None]  # the model's label of each group, if any
    model: str
    prompt_version: str
    cached: bool
    calls: int  # requests sent for it (retries included); 0 from the cache


class LlmError(Exception):
    """No usable partition; the message says why, in French, for the coordinator."""


class _Invalid(ValueError):
    """An answer that is not a partition of the notes sent; says why, to the model."""


def configured() -> bool:
    return bool(settings.LLM_BASE_URL and settings.LLM_MODEL)


def label() -> str:
    """'modèle mistral-small', as the editor names who proposed a grouping."""
    return f"modèle {settings.LLM_MODEL}" if settings.LLM_MODEL else ""


@cache
def prompt() -> dict[str, str]:
    """The prompt file: version, system, user, correction."""
    with PROMPT.open("rb") as file:
        data = tomllib.load(file)
    return {key: data[key].strip() for key in ("version", "system", "user", "correction")}


def cache_key(question: str, notes: Sequence[Note]) -> str:
    parts = [
        prompt()["version"],
        settings.LLM_MODEL,
        question,
        [[n.id, n.text, n.group, list(n.themes)] for n in sorted(notes, key=lambda n: n.id)],
    ]
    encoded = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


def partition(
    question: str,
    notes: Sequence[Note],
    *,
    spend: Callable[[], bool] | None = None,
    similarities: Callable[[], np.ndarray] | None = None,
) -> Partition:
    """The model's partition of `notes`, every id exactly once, from the
    cache when these notes were grouped before. `spend()` is called before
    each request and stops the work when it returns False (the workshop's
    budget). `similarities()`, the notes' similarity.matrix in the given
    order, is called only when the notes needed several requests; by default
    it is computed with the configured backend."""
    notes = list(notes)
    if len({n.id for n in notes}) != len(notes):
        raise ValueError("note ids must be unique")
    model, version = settings.LLM_MODEL, prompt()["version"]
    if len(notes) < 2:  # nothing to ask
        return Partition([[n.id] for n in notes], [None] * len(notes), model, version, False, 0)
    key = cache_key(question, notes)
    hit = LlmGrouping.objects.filter(key=key).first()
    if hit is not None:
        groups, labels = _ordered(notes, hit.result["groups"], hit.result["labels"])
        return Partition(groups, labels, model, version, cached=True, calls=0)
    with _Client(spend) as client:
        parts = [_ask(client, question, chunk) for chunk in _chunks(notes)]
    if len(parts) == 1:
        groups, labels = parts[0]
    else:
        sims = similarities() if similarities else _similarities(question, notes)
        groups, labels = _merge(notes, parts, sims)
    groups, labels = _ordered(notes, groups, labels)
    LlmGrouping.objects.update_or_create(
        key=key,
        defaults={
            "model": model,
            "prompt_version": version,
            "result": {"groups": groups, "labels": labels},
        },
    )
    return Partition(groups, labels, model, version, cached=False, calls=client.calls)


# --- One request -------------------------------------------------------------------


Groups = tuple[list[list[int]], list[str | None]]


def _ask(client: "_Client", question: str, notes: list[Note]) -> Groups:
    """The model's groups of these notes; an invalid answer is asked again
    once, with what was wrong, then given up."""
    messages = _messages(question, notes)
    ids = {n.id for n in notes}
    answer = client.complete(messages)
    try:
        return _parse(answer, ids)
    except _Invalid as error:
        log.info("Invalid partition from the model (%s): asking again", error)
        correction = Template(prompt()["correction"]).substitute(error=error)
        messages += [
            {"role": "assistant", "content": answer},
            {"role": "user", "content": correction},
        ]
    try:
        return _parse(client.complete(messages), ids)
    except _Invalid as error:
        log.warning("Invalid partition from the model twice (%s)", error)
        raise LlmError(INVALID) from error


def _messages(question: str, notes: list[Note]) -> list[dict[str, str]]:
    """System and user messages. Each note is a line of JSON with its id, text,
    group and themes: nothing else about it is ever sent."""
    lines = []
    for note in notes:
        sent: dict[str, object] = {"id": note.id, "text": plain(note.text), "group": note.group}
        if note.themes:
            sent["themes"] = list(note.themes)
        lines.append(json.dumps(sent, ensure_ascii=False, separators=(",", ":")))
    user = Template(prompt()["user"]).substitute(
        question=plain(question), count=len(notes), notes="\n".join(lines)
    )
    return [{"role": "system", "content": prompt()["system"]}, {"role": "user", "content": user}]


class _Client:
    """Chat-completions requests with retries and the budget, over one connection."""

    def __init__(self, spend: Callable[[], bool] | None):
        self.spend = spend
        self.calls = 0
        self.structured = True  # until the server says it knows no response_format
        self.url = settings.LLM_BASE_URL.rstrip("/") + "/chat/completions"
        headers = {"Authorization": f"Bearer {settings.LLM_API_KEY}"}
        self.http = httpx.Client(
            timeout=settings.LLM_TIMEOUT, headers=headers if settings.LLM_API_KEY else {}
        )

    def __enter__(self) -> "_Client":
        return self

    def __exit__(self, *exc) -> None:
        self.http.close()

    def complete(self, messages: list[dict[str, str]]) -> str:
        """The answer's text; "" when the server's reply holds none."""
        body: dict[str, object] = {
            "model": settings.LLM_MODEL,
            "messages": messages,
            "temperature": 0,
        }
        if self.structured:
            body["response_format"] = RESPONSE_FORMAT
        response = self._post(body)
        if response.status_code in (400, 422) and self.structured and _about_format(response):
            # Older servers know no json_schema: the prompt states the shape.
            log.info("The model's server refuses response_format: asking without it")
            self.structured = False
            del body["response_format"]
            response = self._post(body)
        if response.status_code != 200:
            log.warning("The model's server answered HTTP %s", response.status_code)
            raise LlmError(REFUSED.format(status=response.status_code))
        try:
            return response.json()["choices"][0]["message"]["content"] or ""
        except (ValueError, KeyError, IndexError, TypeError):
            return ""

    def _post(self, body: dict[str, object]) -> httpx.Response:
        """One request, sent again on a transient failure: after RETRY_BASE,
        then twice that, or the server's Retry-After (up to 30 s)."""
        for attempt in range(ATTEMPTS):
            if self.spend is not None and not self.spend():
                raise LlmError(BUDGET)
            self.calls += 1
            wait = None
            try:
                response = self.http.post(self.url, json=body)
            except httpx.TimeoutException:
                failure = TIMEOUT
            except httpx.TransportError:
                failure = UNREACHABLE
            else:
                if response.status_code != 429 and response.status_code < 500:
                    return response
                failure = (
                    BUSY
                    if response.status_code == 429
                    else SERVER_ERROR.format(status=response.status_code)
                )
                wait = _retry_after(response)
            log.info("Model request failed (%s), attempt %d of %d", failure, attempt + 1, ATTEMPTS)
            if attempt + 1 < ATTEMPTS:
                sleep(wait if wait is not None else settings.LLM_RETRY_BASE * 2**attempt)
        raise LlmError(failure)


def _about_format(response: httpx.Response) -> bool:
    text = response.text.lower()
    return "response_format" in text or "json_schema" in text


def _retry_after(response: httpx.Response) -> float | None:
    """The Retry-After header in seconds (its date form is not honoured)."""
    try:
        seconds = float(response.headers.get("retry-after", ""))
    except ValueError:
        return None
    return min(max(seconds, 0.0), RETRY_AFTER_CAP)


# --- Validation --------------------------------------------------------------------


_FENCE = re.compile(r"```(?:json)?\s*(.*?)\s*```", re.DOTALL | re.IGNORECASE)


def _parse(answer: str, ids: set[int]) -> Groups:
    """The groups of an answer, checked: the schema, and every id sent exactly
    once. Ids left out are not added back: the answer is wrong."""
    data = _json(answer)
    if not isinstance(data, dict) or not isinstance(data.get("groups"), list):
        raise _Invalid('il faut un objet JSON {"groups": [...]}')
    groups, labels, seen, repeated, unknown = [], [], set(), set(), set()
    for item in data["groups"]:
        if not isinstance(item, dict) or not isinstance(item.get("ids"), list):
            raise _Invalid('chaque groupe doit être un objet avec une liste "ids"')
        members = [_id(value) for value in item["ids"]]
        unknown.update(i for i in members if i not in ids)
        repeated.update(i for i in members if i in seen or members.count(i) > 1)
        seen.update(members)
        if members:
            groups.append(list(dict.fromkeys(members)))
            labels.append(_label(item.get("label")))
    problems = [
        f"{what} : {', '.join(map(str, sorted(found)))}"
        for what, found in (
            ("identifiants inconnus", unknown),
            ("identifiants répétés", repeated),
            ("identifiants absents", ids - seen),
        )
        if found
    ]
    if problems:
        raise _Invalid(" ; ".join(problems))
    return groups, labels


def _json(answer: str) -> object:
    """The answer's JSON, also inside a ```json fence or amid a sentence."""
    text = answer.strip()
    fenced = _FENCE.search(text)
    if fenced:
        text = fenced.group(1)
    start, end = text.find("{"), text.rfind("}")
    for candidate in [text] + ([text[start : end + 1]] if 0 <= start < end else []):
        try:
            return json.loads(candidate)
        except ValueError:
            continue
    raise _Invalid("la réponse n'est pas du JSON valide")


def _id(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise _Invalid(f"{json.dumps(value, ensure_ascii=False)[:40]} n'est pas un identifiant")


def _label(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    if len(value) > LABEL_MAX:
        value = value[: LABEL_MAX - 1].rsplit(" ", 1)[0] + "…"
    return value or None


# --- Long questions ----------------------------------------------------------------


def _chunks(notes: list[Note]) -> list[list[Note]]:
    """Parts of at most LLM_MAX_NOTES notes, each with its share of every
    working group's notes: dealt like cards, group after group, so no part
    is left with a few groups whose notes never go together."""
    count = math.ceil(len(notes) / max(settings.LLM_MAX_NOTES, 2))
    if count <= 1:
        return [notes]
    position = {n.id: p for p, n in enumerate(notes)}
    dealt = sorted(notes, key=lambda n: (n.group, position[n.id]))
    return [sorted(dealt[k::count], key=lambda n: position[n.id]) for k in range(count)]


def _similarities(question: str, notes: list[Note]) -> np.ndarray:
    from . import similarity

    return similarity.matrix([n.text for n in notes], context=question)


def _merge(notes: list[Note], parts: list[Groups], sims: np.ndarray) -> Groups:
    """The parts' groups joined across parts, best pair first, while their
    notes average a score of drafting.THRESHOLD (the offline draft's cut).
    Two groups of one part stay apart (the model saw both), and a join never
    puts two notes of one working group together. The larger group's label
    stays."""
    from .drafting import THRESHOLD

    index = {n.id: i for i, n in enumerate(notes)}
    members, labels, part_of = [], [], []
    for p, (groups, group_labels) in enumerate(parts):
        members += [[index[i] for i in group] for group in groups]
        labels += group_labels
        part_of += [p] * len(groups)
    m = len(members)
    owners = np.zeros((len(notes), m))
    for g, indices in enumerate(members):
        owners[indices, g] = 1.0
    sums = owners.T @ np.asarray(sims, dtype=np.float64) @ owners
    sizes = owners.sum(axis=0)
    in_part = np.eye(len(parts), dtype=bool)[part_of].astype(np.float64)
    working = sorted({n.group for n in notes})
    column = {g: k for k, g in enumerate(working)}
    in_group = np.zeros((m, len(working)))
    for g, indices in enumerate(members):
        in_group[g, [column[notes[i].group] for i in indices]] = 1.0
    # Average scores of the pairs of groups that may join; -inf for the others
    # (one part, a working group in common, or already joined).
    scores = sums / np.outer(sizes, sizes)
    scores[(in_part @ in_part.T > 0) | (in_group @ in_group.T > 0)] = -np.inf
    alive = np.ones(m, dtype=bool)
    while True:
        i, j = divmod(int(np.argmax(scores)), m)
        if scores[i, j] < THRESHOLD:
            break
        i, j = min(i, j), max(i, j)
        if sizes[j] > sizes[i] or labels[i] is None:
            labels[i] = labels[j] or labels[i]
        sums[i, :] += sums[j, :]
        sums[:, i] += sums[:, j]
        sizes[i] += sizes[j]
        in_part[i] = np.maximum(in_part[i], in_part[j])
        in_group[i] = np.maximum(in_group[i], in_group[j])
        members[i] += members[j]
        alive[j] = False
        row = sums[i] / (sizes * sizes[i])
        row[(in_part @ in_part[i] > 0) | (in_group @ in_group[i] > 0) | ~alive] = -np.inf
        scores[i, :] = scores[:, i] = row
        scores[j, :] = scores[:, j] = -np.inf
    kept = np.flatnonzero(alive)
    return [[notes[k].id for k in members[g]] for g in kept], [labels[g] for g in kept]


def _ordered(notes: list[Note], groups: list[list[int]], labels: list[str | None]) -> Groups:
    """Groups in the order of their first note, ids in the order of the notes."""
    position = {n.id: p for p, n in enumerate(notes)}
    pairs = sorted(
        (
            (sorted(group, key=position.__getitem__), label)
            for group, label in zip(groups, labels, strict=True)
        ),
        key=lambda pair: position[pair[0][0]],
    )
    return [group for group, _ in pairs], [label for _, label in pairs]
