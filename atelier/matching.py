"""Matching what people type (in a CSV, a document) to what the database holds:
case, accents, curly apostrophes, "·" and "." of inclusive writing, plurals."""

from .lib.text import fold


def actor_key(label: str) -> str:
    """'Délégué·e du préfet', 'délégué.e du préfet' -> 'deleguee du prefet';
    'agents' -> 'agent'."""
    folded = fold(label).replace(".", "").replace("·", "")
    return " ".join(word.removesuffix("s") for word in folded.split())


def actor_type_index(actor_types) -> dict:
    """Each actor type under the keys of its name, quote label and slug."""
    index = {}
    for actor_type in actor_types:
        for text in (actor_type.name, actor_type.quote_label, actor_type.slug.replace("-", " ")):
            if text:
                index.setdefault(actor_key(text), actor_type)
    return index
