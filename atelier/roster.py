"""A workshop's roster: CSV import with a preview, and CSV export.

The files French organisers really have: UTF-8 with or without BOM, or
Windows-1252 from Excel; commas or semicolons; French headers. Nothing is
written until `apply`; a person already on the roster (same e-mail, or same
name when there is no e-mail) is updated, never duplicated.
"""

import csv
import io
from dataclasses import dataclass, field
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from territories.models import Level, Territory, TerritoryAlias

from .lib import text as textlib
from .lib.http import FORMULA_STARTS, safe_cell
from .matching import ALIAS_RANK, NameIndex, actor_type_index, exact_key, fold
from .models import ActorType, Organisation, Participant, Workshop

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000

# Folded header -> field. Several spellings people use for each column.
HEADERS = {
    "nom": "last_name",
    "nom de famille": "last_name",
    "prenom": "first_name",
    "e-mail": "email",
    "email": "email",
    "courriel": "email",
    "mail": "email",
    "adresse e-mail": "email",
    "type d'acteur": "actor_type",
    "type d'acteurs": "actor_type",
    "type": "actor_type",
    "profil": "actor_type",
    "territoire": "territory",
    "commune": "territory",
    "quartier": "territory",
    "code territoire": "territory_code",
    "structure": "organisation",
    "organisation": "organisation",
    "organisme": "organisation",
}
EXPORT_HEADERS = [
    "prénom",
    "nom",
    "e-mail",
    "type d'acteur",
    "territoire",
    "code territoire",
    "structure",
]
LEVEL_PREFERENCE = [Level.QPV, Level.COMMUNE, Level.EPCI, Level.DEPARTEMENT, Level.REGION]


class RosterError(ValueError):
    """The file as a whole cannot be read (encoding, no header, too big)."""


@dataclass
class Row:
    line: int
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    actor_type: ActorType | None = None
    territory: Territory | None = None
    organisation: str = ""
    errors: list[str] = field(default_factory=list)
    existing: Participant | None = None
    # What the line says, when it is not how the matched name is stored.
    actor_type_typed: str = ""
    territory_typed: str = ""
    # Matched through an alias the coordination added ("DDP"), or unknown.
    actor_type_alias: bool = False
    territory_alias: bool = False
    unknown_actor_type: str = ""
    unknown_territory: str = ""

    @property
    def name(self):
        return f"{self.first_name} {self.last_name}".strip()


@dataclass
class Preview:
    rows: list[Row]

    @property
    def valid(self):
        return [row for row in self.rows if not row.errors]

    @property
    def invalid(self):
        return [row for row in self.rows if row.errors]

    @property
    def new(self):
        return [row for row in self.valid if row.existing is None]

    @property
    def updated(self):
        return [row for row in self.valid if row.existing is not None]

    @property
    def unknown_actor_types(self):
        """Each unknown actor type once, as first typed: names to make aliases of."""
        return list(dict.fromkeys(r.unknown_actor_type for r in self.rows if r.unknown_actor_type))

    @property
    def unknown_territories(self):
        return list(dict.fromkeys(r.unknown_territory for r in self.rows if r.unknown_territory))


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252 (atelier/lib/text.py)."""
    if len(data) > MAX_BYTES:
        raise RosterError(_("Le fichier dépasse 2 Mo."))
    try:
        return textlib.decode(data)
    except textlib.UndecodableText as err:
        raise RosterError(
            _("Encodage non reconnu à la ligne %(line)s : enregistrez le fichier en UTF-8.")
            % {"line": err.line}
        ) from err


def parse(text: str, workshop: Workshop) -> Preview:
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise RosterError(_("Le fichier est vide."))
    delimiter = max(";,\t", key=lines[0].count)
    # newline="": csv itself splits the lines, so old Mac files (CR only) and
    # a bare CR in a cell read as line breaks instead of raising csv.Error.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        typed_header = next(reader)
    except csv.Error as err:
        raise RosterError(_unreadable(1)) from err
    header = [HEADERS.get(fold(cell).strip(" *:")) for cell in typed_header]
    if not {"last_name", "first_name"} & set(header):
        raise RosterError(
            _(
                "Ligne 1 : colonnes « nom » ou « prénom » introuvables. En-têtes "
                "attendus : nom, prénom, e-mail, type d'acteur, territoire, "
                "structure."
            )
        )
    matcher = _Matcher(workshop)
    rows = []
    for cells in _records(reader):
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise RosterError(_("Le fichier dépasse %(n)s lignes.") % {"n": MAX_ROWS})
        values = {
            name: _unquote(cell.strip()) for name, cell in zip(header, cells, strict=False) if name
        }
        refused = _control_characters(typed_header, header, cells)
        # Matched without them (NUL would reach PostgreSQL), refused with them.
        values = {name: textlib.strip_control_characters(v) for name, v in values.items()}
        row = matcher.row(reader.line_num, values)
        row.errors.extend(refused)
        rows.append(row)
    return Preview(rows)


def _records(reader):
    """The reader's records; a line csv cannot read stops the import with its number."""
    try:
        yield from reader
    except csv.Error as err:  # a cell past csv's size limit, a stray quote
        raise RosterError(_unreadable(reader.line_num)) from err


def _unreadable(line: int) -> str:
    return _(
        "Ligne %(line)s illisible : vérifiez ses guillemets et ses séparateurs, ou "
        "enregistrez le fichier en CSV depuis votre tableur."
    ) % {"line": line}


def _control_characters(typed_header, header, cells) -> list[str]:
    """A reason per cell holding control characters (ESC, NUL…), named by its
    column. U+FFFD too: a damaged file, or a NUL the preview page carried back
    (browsers turn it into U+FFFD), so the confirmation refuses the same lines."""
    reasons = []
    for typed, name, cell in zip(typed_header, header, cells, strict=False):
        column = textlib.strip_control_characters(typed.strip())
        if name and textlib.control_characters(cell):
            message = textlib.control_characters_message(cell)
            reasons.append(_("%(column)s : %(message)s") % {"column": column, "message": message})
        elif name and "\ufffd" in cell:
            reasons.append(
                _("%(column)s : caractère illisible (U+FFFD), réenregistrez le fichier en UTF-8")
                % {"column": column}
            )
    return reasons


class _Matcher:
    """Turns the cells of one line into a Row, remembering what it has seen."""

    def __init__(self, workshop):
        self.actor_types = actor_type_index(ActorType.objects.all())
        self.existing = {
            _person_key(p.email, p.first_name, p.last_name): p for p in workshop.participants.all()
        }
        self.seen: dict[str, int] = {}
        self.territories = TerritoryFinder()

    def row(self, line, values) -> Row:
        row = Row(
            line=line,
            first_name=values.get("first_name", ""),
            last_name=values.get("last_name", ""),
            email=values.get("email", ""),
            organisation=values.get("organisation", ""),
        )
        if not row.name:
            row.errors.append(_("nom et prénom manquants"))
        for attr, limit in (("first_name", 100), ("last_name", 100), ("organisation", 200)):
            if len(getattr(row, attr)) > limit:
                row.errors.append(_("texte trop long (%(n)s caractères au plus)") % {"n": limit})
        self._email(row)
        self._actor_type(row, values.get("actor_type", ""))
        self._territory(row, values.get("territory_code", "") or values.get("territory", ""))
        key = _person_key(row.email, row.first_name, row.last_name)
        if key in self.seen:
            row.errors.append(_("doublon de la ligne %(line)s") % {"line": self.seen[key]})
        elif row.name:
            self.seen[key] = line
        row.existing = self.existing.get(key)
        return row

    def _email(self, row):
        if not row.email:
            return
        try:
            validate_email(row.email)
        except ValidationError:
            row.errors.append(_("e-mail invalide : « %(value)s »") % {"value": row.email})

    def _actor_type(self, row, label):
        if not label:
            return
        found, rank = self.actor_types.find_ranked(label)
        if len(found) > 1:
            names = ", ".join(a.name for a in found)
            message = _("type d'acteur ambigu : « %(value)s » (%(names)s)")
            row.errors.append(message % {"value": label, "names": names})
        elif not found:
            row.errors.append(_("type d'acteur inconnu : « %(value)s »") % {"value": label})
            row.unknown_actor_type = label
        else:
            row.actor_type = found[0]
            row.actor_type_typed = _typed(label, row.actor_type.name)
            row.actor_type_alias = rank == ALIAS_RANK

    def _territory(self, row, label):
        if not label:
            return
        found = self.territories.find(label)
        if len(found) > 1:
            names = ", ".join(f"{t.name} ({t.code})" for t in found)
            message = _("territoire ambigu : « %(value)s » (%(names)s)")
            row.errors.append(message % {"value": label, "names": names})
        elif not found:
            row.errors.append(_("territoire inconnu : « %(value)s »") % {"value": label})
            row.unknown_territory = label
        else:
            row.territory = found[0]
            row.territory_typed = _typed(label, row.territory.name)
            row.territory_alias = label in self.territories.aliased


def _typed(label: str, stored: str) -> str:
    """The label as typed, when it differs from the stored name it matched."""
    return "" if exact_key(label) == exact_key(stored) else label


def _person_key(email, first_name, last_name):
    if email:
        return "@" + email.strip().lower()
    return fold(f"{first_name} {last_name}").strip()


def find_territory(label: str) -> Territory | None:
    """By official code, else by name as people type it, most specific first;
    None when unknown or when the name could be two different places."""
    found = TerritoryFinder().find(label)
    return found[0] if len(found) == 1 else None


class _Place(NamedTuple):
    pk: int
    name: str
    level: str


class TerritoryFinder:
    """Territories by official code, else by name (atelier/matching.py: accents,
    case, hyphens, gender and number aside). Every name is read once, and only
    when a label is neither a code nor spelled exactly as stored."""

    def __init__(self) -> None:
        self._index: NameIndex[_Place] | None = None
        self._found: dict[str, list[Territory]] = {}
        self.aliased: set[str] = set()  # labels found through an alias ("CD59")

    def find(self, label: str) -> list[Territory]:
        """[the territory], [] when unknown, or the different places it may name."""
        if label not in self._found:
            self._found[label] = self._lookup(label)
        return self._found[label]

    def _lookup(self, label: str) -> list[Territory]:
        territories = list(Territory.objects.filter(code__iexact=label)) or list(
            Territory.objects.filter(name__iexact=label)
        )
        if not territories:
            places, rank = self._places().find_ranked(label)
            if places and rank:
                self.aliased.add(label)
            territories = list(Territory.objects.filter(pk__in=[p.pk for p in places]))
            if len({exact_key(t.name) for t in territories}) > 1:  # "Mont", "Monts"
                return sorted(territories, key=lambda t: (t.name, t.code))
        # Most specific first: "Martinique" is both a région and a département.
        territories.sort(key=lambda t: LEVEL_PREFERENCE.index(t.level))
        return territories[:1]

    def _places(self) -> NameIndex[_Place]:
        if self._index is None:
            self._index = NameIndex()
            for place in Territory.objects.values_list("pk", "name", "level"):
                self._index.add(place[1], _Place(*place))
            aliases = TerritoryAlias.objects.values_list(
                "name", "territory_id", "territory__name", "territory__level"
            )
            for name, *place in aliases:  # after the names: rank 1
                self._index.add(name, _Place(*place), rank=1)
        return self._index


@transaction.atomic
def apply(preview: Preview, workshop: Workshop) -> tuple[int, int]:
    """Write the valid rows: create new people, update known ones."""
    organisations = {}
    created = updated = 0
    for row in preview.valid:
        fields = {
            "first_name": row.first_name,
            "last_name": row.last_name,
            "email": row.email,
            "actor_type": row.actor_type,
            "territory": row.territory,
            "organisation": _organisation(row.organisation, organisations),
        }
        if row.existing is None:
            Participant.objects.create(workshop=workshop, **fields)
            created += 1
        else:
            Participant.objects.filter(pk=row.existing.pk).update(**fields)
            updated += 1
    return created, updated


def _organisation(name, cache):
    if not name:
        return None
    if name not in cache:
        cache[name] = (
            Organisation.objects.filter(name__iexact=name).first()
            or Organisation.objects.filter(acronym__iexact=name).first()
            or Organisation.objects.create(name=name)
        )
    return cache[name]


def _unquote(cell: str) -> str:
    """Undo `safe_cell`, so that an exported roster imports back as it was."""
    return cell[1:] if cell[:1] == "'" and cell[1:2] in FORMULA_STARTS else cell


def export(workshop: Workshop) -> str:
    out = io.StringIO()
    out.write("\ufeff")  # Excel needs the BOM to read UTF-8
    writer = csv.writer(out, delimiter=";")
    writer.writerow(EXPORT_HEADERS)
    people = workshop.participants.select_related("actor_type", "territory", "organisation")
    for person in people:
        writer.writerow(
            [
                safe_cell(v)
                for v in (
                    person.first_name,
                    person.last_name,
                    person.email,
                    person.actor_type.name if person.actor_type else "",
                    person.territory.name if person.territory else "",
                    person.territory.code if person.territory else "",
                    person.organisation.name if person.organisation else "",
                )
            ]
        )
    return out.getvalue()
