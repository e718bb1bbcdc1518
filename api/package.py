"""The open-data package: CSV files (UTF-8, comma-separated) and a
Frictionless `datapackage.json` that describes every column, ready for an
open-data portal. `manage.py export_open_data DIR` writes it; coordinators
download it as a zip from the site.

It holds what anybody may read (what the API answers an anonymous caller):
public workshops and their published syntheses, the territories, the theme
codebook, and figures counted over the public workshops only, so that a small
territory's numbers never reveal a workshop that is not public."""

import csv
import io
import json
import zipfile
from datetime import UTC
from pathlib import Path

from django.contrib.auth.models import AnonymousUser
from django.db.models import Sum
from django.utils import timezone

from atelier.lib.http import safe_cell
from atelier.models import Theme
from synthesis.models import Statement
from territories.models import NoteCount, Territory, ThemeCount

from . import data
from .access import readable_syntheses, readable_workshops

LICENSE = {
    "name": "etalab-2.0",
    "title": "Licence Ouverte / Open Licence 2.0",
    "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
}
TEXT_NOTE = (
    " Un texte qui commence par =, +, - ou @ est précédé d'une apostrophe, pour qu'aucun "
    "tableur ne l'exécute comme une formule."
)

# (name, type, description) of every column of every file.
TERRITORY_REF = [
    ("territory_id", "integer", "Identifiant du territoire de l'atelier (vide : national)."),
    ("territory_code", "string", "Code officiel de ce territoire."),
    ("territory_level", "string", "Niveau de ce territoire."),
]
SCHEMAS: dict[str, dict] = {
    "territories": {
        "title": "Territoires",
        "description": "Le référentiel des territoires : régions > départements > EPCI > "
        "communes, et les quartiers prioritaires (QPV) sous leur commune principale.",
        "fields": [
            ("id", "integer", "Identifiant du territoire dans Atelier."),
            ("level", "string", "Niveau : region, departement, epci, commune ou qpv."),
            ("code", "string", "Code officiel : INSEE, SIREN de l'EPCI ou code QPV."),
            ("name", "string", "Nom officiel."),
            ("parent_id", "integer", "Territoire parent (vide pour une région)."),
        ],
        "primaryKey": ["id"],
        "foreignKeys": [{"fields": ["parent_id"], "reference": {"resource": "", "fields": ["id"]}}],
    },
    "themes": {
        "title": "Thèmes",
        "description": "Le référentiel des thèmes avec lesquels les notes sont classées.",
        "fields": [
            ("slug", "string", "Identifiant stable du thème."),
            ("name", "string", "Nom du thème."),
            ("description", "string", "Ce que le thème recouvre."),
        ],
        "primaryKey": ["slug"],
    },
    "workshops": {
        "title": "Ateliers",
        "description": "Les ateliers publics.",
        "fields": [
            ("slug", "string", "Identifiant stable de l'atelier."),
            ("title", "string", "Titre."),
            ("date", "date", "Date de l'atelier."),
            ("format", "string", "online (en ligne), in_person (présentiel) ou hybrid."),
            *TERRITORY_REF,
            ("archived", "boolean", "Atelier archivé."),
            ("carriers", "string", "Structures porteuses, séparées par « | »."),
            ("supporters", "string", "Structures qui soutiennent, séparées par « | »."),
        ],
        "primaryKey": ["slug"],
        "foreignKeys": [
            {
                "fields": ["territory_id"],
                "reference": {"resource": "territories", "fields": ["id"]},
            }
        ],
    },
    "syntheses": {
        "title": "Synthèses publiées",
        "description": "La révision publiée la plus récente de la synthèse de chaque "
        "atelier public.",
        "fields": [
            ("workshop", "string", "Slug de l'atelier."),
            ("title", "string", "Titre de l'atelier."),
            ("date", "date", "Date de l'atelier."),
            *TERRITORY_REF,
            ("revision", "integer", "Numéro de la révision publiée."),
            ("published_at", "datetime", "Date et heure de publication (UTC)."),
            ("statement_count", "integer", "Nombre d'énoncés."),
            ("url", "string", "Adresse de la synthèse sur le site (chemin)."),
        ],
        "primaryKey": ["workshop"],
        "foreignKeys": [
            {"fields": ["workshop"], "reference": {"resource": "workshops", "fields": ["slug"]}}
        ],
    },
    "statements": {
        "title": "Énoncés",
        "description": "Les énoncés des synthèses publiées, avec leur soutien. Aucune note "
        "de groupe : le soutien est compté à partir des notes sources (groupes, types "
        "d'acteur, thèmes), sans leur texte." + TEXT_NOTE,
        "fields": [
            ("statement_id", "integer", "Identifiant de l'énoncé."),
            ("workshop", "string", "Slug de l'atelier."),
            ("revision", "integer", "Révision de la synthèse."),
            ("round", "integer", "Numéro du temps de l'atelier."),
            ("section_order", "integer", "Rang de la rubrique dans la synthèse."),
            ("section_title", "string", "Titre de la rubrique."),
            ("statement_order", "integer", "Rang de l'énoncé dans sa rubrique."),
            ("kind", "string", "success_factor, obstacle, lesson, commitment, quote ou other."),
            ("kind_label", "string", "Le type en français."),
            ("text", "string", "Texte avec son balisage (**gras**, *italique*)."),
            ("plain_text", "string", "Le même texte sans balisage."),
            ("speaker_actor_type", "string", "Pour une parole : le type d'acteur qui parle."),
            ("groups_count", "integer", "Groupes dont une note a nourri l'énoncé (k)."),
            ("groups_total", "integer", "Groupes du temps (n)."),
            ("support", "string", "« k groupes sur n »."),
            ("actor_types", "string", "Types d'acteur des groupes sources, séparés par « | »."),
            ("themes", "string", "Slugs des thèmes des notes sources, séparés par « | »."),
        ],
        "primaryKey": ["statement_id"],
        "foreignKeys": [
            {"fields": ["workshop"], "reference": {"resource": "workshops", "fields": ["slug"]}}
        ],
    },
    "figures": {
        "title": "Chiffres par territoire",
        "description": "Notes des groupes des ateliers publics (jamais leur texte), par "
        "territoire (lui et tout ce qu'il contient), trimestre, type et thème. Une ligne "
        "sans territoire compte tous les ateliers publics ; une ligne sans thème, toutes "
        "les notes du type (une note peut porter plusieurs thèmes).",
        "fields": [
            ("territory_id", "integer", "Territoire (vide : tous les ateliers publics)."),
            ("territory_code", "string", "Code officiel du territoire."),
            ("territory_level", "string", "Niveau du territoire."),
            ("quarter", "string", "Trimestre de la date de l'atelier, ex. 2021-T1."),
            ("kind", "string", "Type de note."),
            ("theme", "string", "Slug du thème (vide : toutes les notes du type)."),
            ("workshops", "integer", "Ateliers comptés."),
            ("notes", "integer", "Nombre de notes."),
        ],
        "foreignKeys": [
            {
                "fields": ["territory_id"],
                "reference": {"resource": "territories", "fields": ["id"]},
            }
        ],
    },
}


def _territory_ref(territory) -> dict:
    return {
        "territory_id": territory["id"] if territory else None,
        "territory_code": territory["code"] if territory else None,
        "territory_level": territory["level"] if territory else None,
    }


def tables() -> dict[str, list[dict]]:
    """Every file's rows, read as an anonymous visitor would."""
    anonymous = AnonymousUser()
    workshops = readable_workshops(anonymous).order_by("-date", "slug")
    syntheses = readable_syntheses(anonymous).order_by("-workshop__date", "workshop__slug")
    statements = Statement.objects.filter(section__synthesis__in=syntheses.values("pk")).order_by(
        "-section__synthesis__workshop__date",
        "section__synthesis__workshop__slug",
        "section__order",
        "order",
        "pk",
    )
    return {
        "territories": [data.territory_row(t) for t in Territory.objects.order_by("path")],
        "themes": [data.theme_row(t) for t in Theme.objects.order_by("name")],
        "workshops": [_workshop(row) for row in data.workshop_rows(workshops)],
        "syntheses": [_synthesis(row) for row in data.synthesis_rows(syntheses)],
        "statements": [_statement(row) for row in data.statement_rows(statements)],
        "figures": _figures(workshops),
    }


def _workshop(row: dict) -> dict:
    return {
        **row,
        **_territory_ref(row["territory"]),
        "carriers": " | ".join(row["carriers"]),
        "supporters": " | ".join(row["supporters"]),
    }


def _synthesis(row: dict) -> dict:
    return {
        **row,
        **_territory_ref(row["territory"]),
        "published_at": row["published_at"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _statement(row: dict) -> dict:
    return {
        **row,
        "statement_id": row["id"],
        "section_order": row["section"]["order"],
        "section_title": row["section"]["title"],
        "statement_order": row["order"],
        "groups_count": row["support"]["groups"],
        "groups_total": row["support"]["groups_total"],
        "support": row["support"]["label"],
        "actor_types": " | ".join(row["actor_types"]),
        "themes": " | ".join(t["slug"] for t in row["themes"]),
    }


def _figures(workshops) -> list[dict]:
    """Counts of live notes rolled up the territory tree: a workshop counts in
    its territory, each of its ancestors, and the national rows."""
    places = {w.pk: w for w in workshops.select_related("territory")}
    by_key = {(t.level, t.code): t for t in Territory.objects.all()}

    def covering(workshop):
        path = workshop.territory.path if workshop.territory else ""
        found = [by_key.get(tuple(part.split("-", 1))) for part in path.split("/") if part]
        return [None, *(t for t in found if t is not None)]

    notes = NoteCount.objects.filter(workshop__in=places, n__gt=0).values_list(
        "workshop", "kind", "n"
    )
    tagged = (
        ThemeCount.objects.filter(workshop__in=places, n__gt=0)
        .values_list("workshop", "kind", "theme__slug")
        .annotate(total=Sum("n"))
        .order_by()
    )
    totals: dict[tuple, list] = {}
    rows = [(w, kind, "", n) for w, kind, n in notes] + list(tagged)
    for workshop_id, kind, theme, n in rows:
        workshop = places[workshop_id]
        quarter = data.quarter_label(workshop.date)
        for territory in covering(workshop):
            key = (territory.pk if territory else None, quarter, kind, theme)
            entry = totals.setdefault(key, [territory, set(), 0])
            entry[1].add(workshop_id)
            entry[2] += n
    result = []
    for (_, quarter, kind, theme), (territory, ids, n) in sorted(
        totals.items(), key=lambda item: (item[0][0] or 0, *item[0][1:])
    ):
        result.append(
            {
                **_territory_ref(data.territory_row(territory)),
                "quarter": quarter,
                "kind": kind,
                "theme": theme,
                "workshops": len(ids),
                "notes": n,
            }
        )
    return result


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return safe_cell(value)
    return str(value)


def csv_bytes(name: str, rows: list[dict]) -> bytes:
    columns = [field for field, _, _ in SCHEMAS[name]["fields"]]
    out = io.StringIO()
    writer = csv.writer(out)  # the CSV of RFC 4180: commas, quotes, CRLF
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row[column]) for column in columns])
    return out.getvalue().encode("utf-8")


def descriptor() -> dict:
    resources = []
    for name, spec in SCHEMAS.items():
        schema = {
            "fields": [
                {"name": field, "type": kind, "description": text}
                for field, kind, text in spec["fields"]
            ],
            "missingValues": [""],
        }
        for key in ("primaryKey", "foreignKeys"):
            if key in spec:
                schema[key] = spec[key]
        resources.append(
            {
                "name": name,
                "path": f"{name}.csv",
                "title": spec["title"],
                "description": spec["description"],
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": schema,
            }
        )
    return {
        "profile": "tabular-data-package",
        "name": "atelier-donnees-ouvertes",
        "title": "Atelier : synthèses publiées des ateliers participatifs",
        "description": "Les synthèses publiées des ateliers publics, leurs énoncés avec leur "
        "soutien (k groupes sur n, types d'acteur, thèmes), les ateliers, les territoires, "
        "le référentiel des thèmes et les chiffres par territoire. Aucune note de groupe ni "
        "donnée personnelle.",
        "licenses": [LICENSE],
        "created": timezone.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "resources": resources,
    }


def files() -> dict[str, bytes]:
    """{file name: content} of the whole package."""
    contents = {f"{name}.csv": csv_bytes(name, rows) for name, rows in tables().items()}
    contents["datapackage.json"] = json.dumps(descriptor(), ensure_ascii=False, indent=2).encode()
    return contents


def write(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in files().items():
        path = directory / name
        path.write_bytes(content)
        written.append(path)
    return written


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files().items():
            archive.writestr(name, content)
    return out.getvalue()
