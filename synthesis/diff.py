"""What changed between two revisions of a synthesis, statement by statement."""

import difflib
from dataclasses import dataclass, field

from atelier.markup import plain

from .models import Synthesis


@dataclass
class Change:
    kind: str  # "added", "removed", "changed"
    before: str = ""
    after: str = ""
    words: list[tuple[str, str]] = field(default_factory=list)  # (op, text) for "changed"


@dataclass
class SectionChanges:
    title: str
    changes: list[Change]


def _texts(synthesis: Synthesis) -> dict[str, list[str]]:
    sections = {}
    for section in synthesis.sections.prefetch_related("statements").order_by("order"):
        sections[section.title] = [s.text for s in section.statements.all()]
    return sections


def words(before: str, after: str) -> list[tuple[str, str]]:
    """Word-level diff: [("same"|"del"|"ins", text), ...]."""
    a, b = before.split(" "), after.split(" ")
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b).get_opcodes():
        if op == "equal":
            out.append(("same", " ".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(("del", " ".join(a[i1:i2])))
        if j2 > j1:
            out.append(("ins", " ".join(b[j1:j2])))
    return out


def _plain_change(kind: str, before: str = "", after: str = "") -> Change:
    # Stripped, not rendered: a word diff cuts **bold** spans in two.
    before, after = plain(before), plain(after)
    return Change(kind, before, after, words(before, after) if kind == "changed" else [])


def _section(old: list[str], new: list[str]) -> list[Change]:
    changes = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new).get_opcodes():
        if op == "equal":
            continue
        pairs = min(i2 - i1, j2 - j1) if op == "replace" else 0
        for k in range(pairs):
            changes.append(_plain_change("changed", old[i1 + k], new[j1 + k]))
        changes += [_plain_change("removed", before=t) for t in old[i1 + pairs : i2]]
        changes += [_plain_change("added", after=t) for t in new[j1 + pairs : j2]]
    return changes


def compare(before: Synthesis, after: Synthesis) -> list[SectionChanges]:
    old, new = _texts(before), _texts(after)
    titles = list(new) + [t for t in old if t not in new]
    result = []
    for title in titles:
        changes = _section(old.get(title, []), new.get(title, []))
        if changes:
            result.append(SectionChanges(title, changes))
    return result
