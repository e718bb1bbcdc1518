"""Other names the coordination gives actor types and territories ("DDP" for
"Délégué·e du préfet", "CD59" for "Nord"), so that the next roster import
matches them (atelier/matching.py reads them after the stored names).

An alias is refused when the name already designates something: it would
never be read (names rank first) or it would make the name ambiguous.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from atelier.lib.http import parse_int
from atelier.lib.text import control_characters_message
from territories.models import TerritoryAlias

from .matching import actor_type_index
from .models import ActorType, ActorTypeAlias
from .roster import TerritoryFinder

ACTOR_TYPE = "actor_type"
TERRITORY = "territory"
KINDS = (ACTOR_TYPE, TERRITORY)
MAX_LENGTH = {ACTOR_TYPE: 120, TERRITORY: 200}


class AliasError(ValueError):
    """Why an alias cannot be added, in French, for the coordinator."""


def add(kind: str, name: str, target: str) -> ActorTypeAlias | TerritoryAlias:
    """Give `name` to the actor type whose id is `target`, or to the territory
    `target` names (by name or official code)."""
    name = " ".join(name.split())
    if kind not in KINDS:
        raise AliasError(_("Choisissez un type d'acteur ou un territoire."))
    if not name:
        raise AliasError(_("Donnez l'autre nom."))
    if problem := control_characters_message(name + target):
        raise AliasError(problem)  # a NUL would reach the database (a 500 on PostgreSQL)
    if len(name) > MAX_LENGTH[kind]:
        raise AliasError(_("L'autre nom dépasse %(n)s caractères.") % {"n": MAX_LENGTH[kind]})
    with transaction.atomic():
        if kind == ACTOR_TYPE:
            return _add_actor_type_alias(name, target)
        return _add_territory_alias(name, target)


def _add_actor_type_alias(name: str, target: str) -> ActorTypeAlias:
    actor_type = ActorType.objects.filter(pk=parse_int(target)).first()
    if actor_type is None:
        raise AliasError(
            _("Choisissez le type d'acteur que « %(name)s » désigne.") % {"name": name}
        )
    found = actor_type_index(ActorType.objects.all()).find(name)
    if found:
        raise AliasError(
            _("« %(name)s » désigne déjà %(what)s.")
            % {"name": name, "what": ", ".join(a.name for a in found)}
        )
    return ActorTypeAlias.objects.create(actor_type=actor_type, name=name)


def _add_territory_alias(name: str, target: str) -> TerritoryAlias:
    finder = TerritoryFinder()
    targets = finder.find(target.strip()) if target.strip() else []
    if len(targets) != 1:
        raise AliasError(
            _("Territoire introuvable pour « %(name)s » : donnez un nom ou un code officiel.")
            % {"name": name}
        )
    found = finder.find(name)
    if found:
        raise AliasError(
            _("« %(name)s » désigne déjà %(what)s.")
            % {"name": name, "what": ", ".join(f"{t.name} ({t.code})" for t in found)}
        )
    return TerritoryAlias.objects.create(territory=targets[0], name=name)


def remove(kind: str, alias_id: int | None) -> None:
    model = ActorTypeAlias if kind == ACTOR_TYPE else TerritoryAlias
    model.objects.filter(pk=alias_id).delete()


def listing() -> dict:
    """Every alias, by kind, with what it names (two queries)."""
    return {
        "actor_type_aliases": ActorTypeAlias.objects.select_related("actor_type"),
        "territory_aliases": TerritoryAlias.objects.select_related("territory"),
    }
