"""Import the official list of QPV (quartiers prioritaires de la politique de la ville).

Why one module past ~400 lines: parse, check and write of one file format,
whose rules are read together.

Two steps, as for the synthesis import: `parse` turns the CSV text into plain
`Row`s without touching the database and raises `ImportProblems` listing every
bad line; `load` writes the rows in one transaction and returns a `Summary`.
`read` decodes a file (UTF-8 with or without BOM, else Windows-1252).

The columns (headers matched without case nor accents, `;` or `,` separated) are
described in docs/territories.md: code, nom, communes, departement, region, and
optionally libelle_commune, debut, fin (plus departement_nom / region_nom).

Régions, départements and communes missing from the database are created
(named from the file when it names them, else after their code); an existing
territory keeps its name. Each commune hangs under its département (or stays
under its EPCI when that EPCI belongs to the same département). A QPV hangs
under its first commune and lists all its communes.
"""

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from atelier.lib import text as textlib
from atelier.lib.text import fold

from .models import Level, Territory

# Field lengths of Territory: checked while parsing, so the error names the line.
MAX_CODE = 20
MAX_NAME = 200

# Validity of each QPV generation when the file gives no date.
GENERATIONS: dict[str, tuple[date, date | None]] = {
    "QP": (date(2015, 1, 1), date(2023, 12, 31)),  # contrats de ville 2015-2023
    "QN": (date(2024, 1, 1), None),  # contrats de ville « Engagements quartiers 2030 »
}

# Canonical column -> accepted headers, once folded (lowercase, no accents,
# runs of other characters turned into "_").
COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("code", "code_qpv", "code_qp", "code_quartier"),
    "nom": ("nom", "nom_qpv", "nom_qp", "nom_quartier", "libelle", "libelle_qpv"),
    "communes": ("communes", "commune", "code_commune", "codes_communes", "insee_com"),
    "departement": ("departement", "code_departement", "dep", "insee_dep"),
    "region": ("region", "code_region", "reg", "insee_reg"),
    "communes_noms": (
        "communes_noms",
        "libelle_commune",
        "libelle_communes",
        "noms_communes",
        "nom_commune",
        "nom_communes",
    ),
    "departement_nom": ("departement_nom", "nom_departement", "libelle_departement"),
    "region_nom": ("region_nom", "nom_region", "libelle_region"),
    "debut": ("debut", "date_debut"),
    "fin": ("fin", "date_fin"),
}
REQUIRED = ("code", "nom", "communes", "departement", "region")

_QPV_CODE = re.compile(r"^Q[PN][0-9A-Z]{4,18}$")
_COMMUNE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
# 01-19, 21-95, Corsica 2A/2B (20 is gone since 1976), overseas 971-978.
_DEPARTEMENT = re.compile(r"^(?:0[1-9]|1\d|2[1-9AB]|[3-8]\d|9[0-5]|97[1-8])$")
_REGION = re.compile(r"^\d{2}$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_FR_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_CODE_SEPARATORS = re.compile(r"[\s,|;]+")
_NAME_SEPARATORS = re.compile(r"\s*[|;]\s*")


class Problem(NamedTuple):
    line: int
    reason: str

    def __str__(self) -> str:
        return _("ligne %(line)s : %(reason)s") % {"line": self.line, "reason": self.reason}


class _BadRow(Exception):
    """Every reason one line is bad ("; "-joined)."""


class ImportProblems(Exception):
    """Every bad line of the file; nothing was written."""

    def __init__(self, problems: Iterable[tuple[int, str]]) -> None:
        self.problems = sorted(Problem(line, reason) for line, reason in problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Row:
    """One QPV of the file, codes normalised, validity dates resolved."""

    line: int
    code: str
    name: str
    communes: tuple[str, ...]
    commune_names: tuple[str, ...]  # empty, or one per commune
    departement: str
    region: str
    valid_from: date | None
    valid_until: date | None
    departement_name: str = ""
    region_name: str = ""

    @property
    def generation(self) -> str:
        return self.code[:2]


@dataclass
class Summary:
    qpv_created: int = 0
    qpv_updated: int = 0
    communes: int = 0
    departements: int = 0
    regions: int = 0
    communes_created: int = 0
    departements_created: int = 0
    regions_created: int = 0
    moved: list[str] = field(default_factory=list)  # "Roubaix (Commune)" re-attached

    @property
    def qpvs(self) -> int:
        return self.qpv_created + self.qpv_updated

    def __str__(self) -> str:
        qpv = ngettext("%(n)s QPV", "%(n)s QPV", self.qpvs) % {"n": self.qpvs}
        created = ngettext("%(n)s créé", "%(n)s créés", self.qpv_created) % {"n": self.qpv_created}
        updated = ngettext("%(n)s mis à jour", "%(n)s mis à jour", self.qpv_updated) % {
            "n": self.qpv_updated
        }
        return f"{qpv} ({created}, {updated}), {self._territories(created=False)}"

    def details(self) -> str:
        """What the import added or moved besides the QPV ("" when nothing)."""
        lines = []
        if self.communes_created or self.departements_created or self.regions_created:
            lines.append(_("Territoires créés : %s") % self._territories(created=True))
        if self.moved:
            lines.append(_("Rattachés à un autre parent : %s") % ", ".join(self.moved))
        return "\n".join(lines)

    def _territories(self, *, created: bool) -> str:
        communes = self.communes_created if created else self.communes
        departements = self.departements_created if created else self.departements
        regions = self.regions_created if created else self.regions
        parts = [
            ngettext("%(n)s commune", "%(n)s communes", communes) % {"n": communes},
            ngettext("%(n)s département", "%(n)s départements", departements) % {"n": departements},
            ngettext("%(n)s région", "%(n)s régions", regions) % {"n": regions},
        ]
        if created:  # only what was created
            parts = [p for p, n in zip(parts, (communes, departements, regions), strict=True) if n]
        return ", ".join(parts)


# --- Reading -----------------------------------------------------------------


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252 (atelier/lib/text.py)."""
    try:
        return textlib.decode(data)
    except textlib.UndecodableText as err:
        reason = _("encodage non reconnu (ni UTF-8 ni Windows-1252)")
        raise ImportProblems([(err.line, reason)]) from err


def read(path: Path) -> str:
    return decode(Path(path).read_bytes())


# --- Parsing -----------------------------------------------------------------


def parse(text: str) -> list[Row]:
    """The rows of the file, or `ImportProblems` naming every bad line."""
    text = text.removeprefix("\ufeff")
    header = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if header.count(";") >= header.count(",") else ","
    # csv keeps quoted fields spanning lines together; line numbers stay physical.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for record in reader:
            records.append((start, record))
            start = reader.line_num + 1
    except csv.Error as err:
        raise ImportProblems([(start, _("ligne CSV illisible (%s)") % err)]) from err
    records = [(n, r) for n, r in records if any(cell.strip() for cell in r)]
    if not records:
        raise ImportProblems([(1, _("le fichier est vide"))])
    (header_line, header), body = records[0], records[1:]
    columns = _columns(header, header_line)
    problems: list[Problem] = []
    rows: list[Row] = []
    for line, record in body:
        values = {
            name: (record[index].strip() if index < len(record) else "")
            for name, index in columns.items()
        }
        try:
            rows.append(_row(line, values))
        except _BadRow as err:
            problems.append(Problem(line, str(err)))
    problems += _inconsistencies(rows)
    if problems:
        raise ImportProblems(problems)
    if not rows:
        raise ImportProblems([(header_line, _("le fichier ne contient aucun QPV"))])
    return rows


def _header_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", fold(text)).strip("_")


def _columns(header: list[str], line: int) -> dict[str, int]:
    aliases = {alias: name for name, accepted in COLUMNS.items() for alias in accepted}
    columns: dict[str, int] = {}
    problems = []
    for index, cell in enumerate(header):
        name = aliases.get(_header_key(cell))
        if name is None:
            continue  # other columns of the official file are ignored
        if name in columns:
            problems.append(
                (line, _("la colonne « %(name)s » apparaît deux fois") % {"name": name})
            )
        columns[name] = index
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        problems.append(
            (
                line,
                _("colonnes obligatoires absentes : %(missing)s (en-têtes lus : %(read)s)")
                % {"missing": ", ".join(missing), "read": " | ".join(header)},
            )
        )
    if problems:
        raise ImportProblems(problems)
    return columns


def _row(line: int, values: dict[str, str]) -> Row:
    """One Row, or _BadRow with every reason this line is bad."""
    reasons: list[str] = []
    for column, value in values.items():  # NUL would reach PostgreSQL: a 500
        if message := textlib.control_characters_message(value):
            reasons.append(
                _("colonne « %(column)s » : %(message)s") % {"column": column, "message": message}
            )
            values[column] = textlib.strip_control_characters(value)
    code = values["code"].upper().replace(" ", "")
    name = " ".join(values["nom"].split())
    if not code:
        reasons.append(_("code du QPV manquant"))
    elif not code.startswith(tuple(GENERATIONS)):
        reasons.append(
            _(
                "code « %(code)s » : niveau inconnu, un code de QPV commence par QP "
                "(génération 2015) ou QN (génération 2024)"
            )
            % {"code": code}
        )
    elif len(code) > MAX_CODE or not _QPV_CODE.match(code):
        reasons.append(_("code de QPV mal formé : « %(code)s »") % {"code": code})
    if not name:
        reasons.append(_("nom du QPV manquant"))
    elif len(name) > MAX_NAME:
        reasons.append(_("nom du QPV trop long (%(n)s caractères au plus)") % {"n": MAX_NAME})

    departement = _pad(values["departement"].upper(), 2)
    if not departement:
        reasons.append(_("code de département manquant"))
    elif not _DEPARTEMENT.match(departement):
        reasons.append(_("code de département mal formé : « %(code)s »") % {"code": departement})
        departement = ""
    region = _pad(values["region"], 2)
    if not region:
        reasons.append(_("code de région manquant"))
    elif not _REGION.match(region):
        reasons.append(_("code de région mal formé : « %(code)s »") % {"code": region})

    communes = tuple(
        _pad(c.upper(), 5) for c in _CODE_SEPARATORS.split(values["communes"]) if c.strip()
    )
    if not communes:
        reasons.append(_("aucune commune (code INSEE) indiquée"))
    for commune in communes:
        if not _COMMUNE.match(commune):
            reasons.append(_("code INSEE de commune mal formé : « %(code)s »") % {"code": commune})
        elif departement and commune[: len(departement)] != departement:
            reasons.append(
                _("la commune %(commune)s n'est pas dans le département %(dept)s")
                % {"commune": commune, "dept": departement}
            )
    if len(set(communes)) != len(communes):
        reasons.append(_("une commune est indiquée deux fois"))

    commune_names = _names(values.get("communes_noms", ""))
    if commune_names and len(commune_names) != len(communes):
        reasons.append(
            _("%(names)s noms de communes pour %(codes)s codes INSEE")
            % {"names": len(commune_names), "codes": len(communes)}
        )
    for commune_name in commune_names:
        if len(commune_name) > MAX_NAME:
            reasons.append(_("nom de commune trop long : « %(name)s »") % {"name": commune_name})

    valid_from = _date(values.get("debut", ""), _("début"), reasons)
    valid_until = _date(values.get("fin", ""), _("fin"), reasons)
    default_from, default_until = GENERATIONS.get(code[:2], (None, None))
    if not values.get("debut"):
        valid_from = default_from
    if not values.get("fin"):
        valid_until = default_until
    if valid_from and valid_until and valid_until < valid_from:
        reasons.append(
            _("la fin de validité (%(end)s) précède le début (%(start)s)")
            % {"end": valid_until.isoformat(), "start": valid_from.isoformat()}
        )

    if reasons:
        raise _BadRow(" ; ".join(reasons))
    return Row(
        line=line,
        code=code,
        name=name,
        communes=communes,
        commune_names=commune_names,
        departement=departement,
        region=region,
        valid_from=valid_from,
        valid_until=valid_until,
        departement_name=" ".join(values.get("departement_nom", "").split()),
        region_name=" ".join(values.get("region_nom", "").split()),
    )


def _pad(code: str, width: int) -> str:
    """Spreadsheets drop leading zeros: "7019" -> "07019", "2" -> "02"."""
    code = code.strip()
    return code.zfill(width) if code.isdigit() else code


def _names(text: str) -> tuple[str, ...]:
    # "|" or ";" when present (names may hold commas? none do, but spaces do),
    # else ",".
    parts = _NAME_SEPARATORS.split(text) if re.search(r"[|;]", text) else text.split(",")
    return tuple(" ".join(p.split()) for p in parts if p.strip())


def _date(text: str, label: str, reasons: list[str]) -> date | None:
    text = text.strip()
    if not text:
        return None
    if match := _ISO_DATE.match(text):
        year, month, day = match.groups()
    elif match := _FR_DATE.match(text):
        day, month, year = match.groups()
    else:
        year = month = day = ""
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        reasons.append(
            _("date de %(label)s mal formée : « %(text)s » (attendu AAAA-MM-JJ ou JJ/MM/AAAA)")
            % {"label": label, "text": text}
        )
        return None


def _inconsistencies(rows: Sequence[Row]) -> list[Problem]:
    """What two lines say differently: a QPV twice, a commune with two names,
    a département in two régions."""
    problems = []
    qpvs: dict[str, int] = {}
    commune_names: dict[str, tuple[str, int]] = {}
    departements: dict[str, tuple[str, int]] = {}
    names: dict[tuple[str, str], tuple[str, int]] = {}

    def clash(table: dict[Any, tuple[str, int]], key: Any, value: str, line: int) -> int | None:
        seen = table.setdefault(key, (value, line))
        return seen[1] if seen[0] != value else None

    for row in rows:
        if row.code in qpvs:
            problems.append(
                Problem(
                    row.line,
                    _("le QPV %(code)s figure déjà ligne %(other)s")
                    % {"code": row.code, "other": qpvs[row.code]},
                )
            )
            continue
        qpvs[row.code] = row.line
        other = clash(departements, row.departement, row.region, row.line)
        if other:
            problems.append(
                Problem(
                    row.line,
                    _("le département %(dept)s est dans la région %(region)s ligne %(other)s")
                    % {
                        "dept": row.departement,
                        "region": departements[row.departement][0],
                        "other": other,
                    },
                )
            )
        for commune, name in zip(row.communes, row.commune_names, strict=False):
            other = clash(commune_names, commune, name, row.line)
            if other:
                problems.append(
                    Problem(
                        row.line,
                        _("la commune %(code)s s'appelle « %(name)s » ligne %(other)s")
                        % {"code": commune, "name": commune_names[commune][0], "other": other},
                    )
                )
        for level, code, name, label in (
            (Level.DEPARTEMENT, row.departement, row.departement_name, _("le département")),
            (Level.REGION, row.region, row.region_name, _("la région")),
        ):
            if name and (other := clash(names, (level, code), name, row.line)):
                problems.append(
                    Problem(
                        row.line,
                        _("%(label)s %(code)s s'appelle « %(name)s » ligne %(other)s")
                        % {
                            "label": label,
                            "code": code,
                            "name": names[(level, code)][0],
                            "other": other,
                        },
                    )
                )
    return problems


# --- Loading -----------------------------------------------------------------


@transaction.atomic
def load(rows: Sequence[Row]) -> Summary:
    """Create or update the territories of `rows`, all or nothing."""
    summary = Summary()
    region_names: dict[str, str] = {}
    departement_info: dict[str, tuple[str, str]] = {}  # code: (région, name)
    commune_info: dict[str, tuple[str, str]] = {}  # code: (département, name)
    for row in rows:
        region_names.setdefault(row.region, row.region_name)
        if row.region_name and not region_names[row.region]:
            region_names[row.region] = row.region_name
        departement_info.setdefault(row.departement, (row.region, row.departement_name))
        if row.departement_name and not departement_info[row.departement][1]:
            departement_info[row.departement] = (row.region, row.departement_name)
        names = row.commune_names or ("",) * len(row.communes)
        for code, name in zip(row.communes, names, strict=True):
            if not commune_info.get(code, ("", ""))[1]:
                commune_info[code] = (row.departement, name)

    regions = _existing(Level.REGION, region_names)
    for code, name in region_names.items():
        if code not in regions:
            regions[code] = Territory.objects.create(
                level=Level.REGION, code=code, name=name or code
            )
            summary.regions_created += 1

    departements = _existing(Level.DEPARTEMENT, departement_info)
    for code, (region, name) in departement_info.items():
        parent = regions[region]
        if code not in departements:
            departements[code] = Territory.objects.create(
                level=Level.DEPARTEMENT, code=code, name=name or code, parent=parent
            )
            summary.departements_created += 1
        elif departements[code].parent_id != parent.pk:
            _move(departements[code], parent, summary)

    communes = _existing(Level.COMMUNE, commune_info)
    for code, (departement_code, name) in commune_info.items():
        departement = departements[departement_code]
        if code not in communes:
            communes[code] = Territory.objects.create(
                level=Level.COMMUNE, code=code, name=name or code, parent=departement
            )
            summary.communes_created += 1
        elif not _belongs(communes[code], departement):
            _move(communes[code], departement, summary)

    qpvs = _existing(Level.QPV, [row.code for row in rows])
    for row in rows:
        own = [communes[code] for code in row.communes]
        values = {
            "name": row.name,
            "parent": own[0],
            "valid_from": row.valid_from,
            "valid_until": row.valid_until,
        }
        qpv = qpvs.get(row.code)
        if qpv is None:
            qpv = Territory.objects.create(level=Level.QPV, code=row.code, **values)
            summary.qpv_created += 1
        else:
            if any(getattr(qpv, key) != value for key, value in values.items()):
                for key, value in values.items():
                    setattr(qpv, key, value)
                qpv.save()
            summary.qpv_updated += 1
        qpv.communes.set(own)

    summary.regions = len(region_names)
    summary.departements = len(departement_info)
    summary.communes = len(commune_info)
    return summary


def _existing(level: Level, codes: Iterable[str]) -> dict[str, Territory]:
    found = Territory.objects.filter(level=level, code__in=list(codes)).select_related("parent")
    return {t.code: t for t in found}


def _belongs(commune: Territory, departement: Territory) -> bool:
    """Under its département, directly or through one of its EPCI."""
    parent = commune.parent
    if parent is None:
        return False
    if parent.pk == departement.pk:
        return True
    return parent.level == Level.EPCI and parent.parent_id == departement.pk


def _move(territory: Territory, parent: Territory, summary: Summary) -> None:
    territory.parent = parent
    territory.save()  # moves its subtree (path) too
    summary.moved.append(str(territory))
