"""The demonstration world: the seed workshop with its groups, notes and users
(`load`), and local workshops on six ATC sites with their published syntheses
and followed-up commitments (`load_local`, texts in web/demo_local.py).

Why one module past ~400 lines: the demo is one script, read top to bottom.

Everything is keyed on stable values (codes, names, UUIDv5) so loading twice
changes nothing. The group notes are reconstructed from the published
statements, and the workshop is flagged `is_demo` so the UI says so.
"""

import datetime
import io
import random
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from atelier import grouping, markup
from atelier.logos import logo_file
from atelier.matching import actor_type_index, find_or_create_actor_type
from atelier.models import (
    NOTE_MAX_LENGTH,
    ActorType,
    Contribution,
    Kind,
    Organisation,
    OrganisationKind,
    Participant,
    Question,
    Role,
    Round,
    Theme,
    User,
    WorkingGroup,
    Workshop,
)
from synthesis.importing import import_synthesis
from synthesis.models import FollowUp, Section, Statement, Status, Synthesis
from territories.models import Level, Territory

from . import demo_local

SEED = Path(__file__).parent / "fixtures" / "grand-atelier-atc-2021.md"
SLUG = "grand-atelier-atc-2021"
PASSWORD = "atelier-demo"  # noqa: S105 — published demo logins, printed by load_demo
NOTES_NAMESPACE = uuid.UUID("5b0f7c9e-6a43-4a7e-9d55-1f0c2b7f0a21")
GROUPS_PER_ROUND = 8
PARTICIPANTS = 96

REGIONS = {
    "11": "Île-de-France",
    "32": "Hauts-de-France",
    "44": "Grand Est",
    "76": "Occitanie",
    "84": "Auvergne-Rhône-Alpes",
    "93": "Provence-Alpes-Côte d'Azur",
    "02": "Martinique",
}
DEPARTEMENTS = {  # code: (name, région)
    "07": ("Ardèche", "84"),
    "13": ("Bouches-du-Rhône", "93"),
    "30": ("Gard", "76"),
    "38": ("Isère", "84"),
    "57": ("Moselle", "44"),
    "59": ("Nord", "32"),
    "67": ("Bas-Rhin", "44"),
    "69": ("Rhône", "84"),
    "78": ("Yvelines", "11"),
    "84": ("Vaucluse", "93"),
    "91": ("Essonne", "11"),
    "93": ("Seine-Saint-Denis", "11"),
    "972": ("Martinique", "02"),
}
# The 15 ATC sites: commune INSEE code, name, département.
SITES = [
    ("30258", "Saint-Gilles", "30"),
    ("13055", "Marseille", "13"),
    ("84007", "Avignon", "84"),
    ("07019", "Aubenas", "07"),
    ("38185", "Grenoble", "38"),
    ("69264", "Villefranche-sur-Saône", "69"),
    ("67482", "Strasbourg", "67"),
    ("57339", "Hombourg-Haut", "57"),
    ("91286", "Grigny", "91"),
    ("78440", "Les Mureaux", "78"),
    ("93066", "Saint-Denis", "93"),
    ("59599", "Tourcoing", "59"),
    ("59512", "Roubaix", "59"),
    ("59271", "Grande-Synthe", "59"),
    ("97209", "Fort-de-France", "972"),
]
ORGANISATIONS = [  # name, acronym, kind, carrier?
    (
        "Fédération des centres sociaux et socioculturels de France",
        "FCSF",
        OrganisationKind.NETWORK,
        True,
    ),
    ("Comité national de liaison des régies de quartier", "CNLRQ", OrganisationKind.NETWORK, True),
    ("Bleu Blanc Zèbre", "BBZ", OrganisationKind.NETWORK, True),
    ("Agence nationale de la cohésion des territoires", "ANCT", OrganisationKind.STATE, False),
]
# name, label used in "Paroles de …", share of the participants
ACTOR_TYPES = [
    ("Délégué·e du préfet", "délégué.e du préfet", 12),
    ("Agent·e de collectivité", "agents", 20),
    ("Direction de structure porteuse", "directions des structures porteuses", 12),
    (
        "Acteur·rice d'instance locale de gouvernance",
        "acteurs des instances locales de gouvernance",
        16,
    ),
    ("Habitant·e", "habitants", 14),
    ("Animateur·rice territorial·e citoyen·ne", "animateurs et animatrices", 15),
    ("Chef·fe de projet politique de la ville", "chefs de projet", 7),
]
THEMES = {  # name: words that tag a demo note with it
    "COVID et contexte sanitaire": ["covid", "sanitaire"],
    "Portage politique": ["portage politique", "soutien politique", "élus"],
    "Participation des habitants": ["habitant", "conseils citoyens", "usagers"],
    "Co-formation": ["co-formation", "formation"],
    "Diagnostic partagé": ["diagnostic"],
    "Financement": ["financ", "budget", "appels à projets"],
    "Pérennisation": ["pérenn", "après 2021", "trop courte", "long terme"],
    "Coopération entre acteurs": ["coopér", "collabor", "collectif", "partenaires"],
    "Légitimité de l'animation": ["légitimité", "animateur", "animation"],
    "Vie associative": ["associati"],
}
FIRST_NAMES = [
    "Amina",
    "Bruno",
    "Camille",
    "Djamel",
    "Élise",
    "Fatou",
    "Gaëlle",
    "Hugo",
    "Inès",
    "Jules",
    "Karima",
    "Léa",
    "Mehdi",
    "Nadia",
    "Olivier",
    "Pauline",
    "Rachid",
    "Sophie",
    "Thomas",
    "Yasmine",
    "Zoé",
    "Antoine",
    "Nora",
    "Sami",
]
LAST_NAMES = [
    "Martin",
    "Benali",
    "Dubois",
    "Traoré",
    "Lefèvre",
    "Moreau",
    "Nguyen",
    "Garcia",
    "Petit",
    "Haddad",
    "Roux",
    "Fontaine",
    "Diallo",
    "Lambert",
    "Mercier",
    "Bonnet",
    "Chevalier",
    "Girard",
    "Mendy",
    "Renard",
]
USERS = [  # username, first name, last name, role
    ("animateur", "Camille", "Animatrice", Role.ANIMATOR),
    ("coordination", "Dominique", "Coordination", Role.COORDINATOR),
    ("delegue", "Karim", "Délégué", Role.DELEGATE),
]
DELEGATE_TERRITORIES = [(Level.REGION, "32"), (Level.COMMUNE, "13055")]


@dataclass
class DemoSummary:
    workshop: Workshop
    territories: int
    participants: int
    groups: int
    notes: int
    users: list[tuple[str, str]]


@transaction.atomic
def load() -> DemoSummary:
    _territories()
    carriers, supporters = _organisations()
    actor_types = _actor_types()
    themes = _themes()
    result = import_synthesis(SEED, slug=SLUG)
    workshop = result.workshop
    workshop.is_demo = True
    workshop.is_public = True
    workshop.save(update_fields=["is_demo", "is_public"])
    workshop.carriers.set(carriers)
    workshop.supporters.set(supporters)
    users = _users()
    participants = _participants(workshop, actor_types)
    groups = _groups(workshop, participants, animator=users["animateur"])
    notes = _notes(workshop, themes)
    return DemoSummary(
        workshop=workshop,
        territories=Territory.objects.count(),
        participants=len(participants),
        groups=len(groups),
        notes=notes,
        users=[(u.username, u.get_role_display()) for u in users.values()],
    )


def _territories() -> None:
    regions = {code: _territory(Level.REGION, code, name, None) for code, name in REGIONS.items()}
    departements = {
        code: _territory(Level.DEPARTEMENT, code, name, regions[region])
        for code, (name, region) in DEPARTEMENTS.items()
    }
    for code, name, dept in SITES:
        _territory(Level.COMMUNE, code, name, departements[dept])


def _territory(level, code, name, parent) -> Territory:
    territory, _ = Territory.objects.update_or_create(
        level=level, code=code, defaults={"name": name, "parent": parent}
    )
    return territory


def _organisations() -> tuple[list[Organisation], list[Organisation]]:
    carriers, supporters = [], []
    for index, (name, acronym, kind, is_carrier) in enumerate(ORGANISATIONS):
        org, _ = Organisation.objects.update_or_create(
            name=name, defaults={"acronym": acronym, "kind": kind}
        )
        _placeholder_logo(org, DEMO_LOGO_COLOURS[index % len(DEMO_LOGO_COLOURS)])
        (carriers if is_carrier else supporters).append(org)
    return carriers, supporters


# Okabe–Ito colours, dark enough for white letters.
DEMO_LOGO_COLOURS = [(0, 114, 178), (213, 94, 0), (0, 120, 90), (120, 60, 140)]
DEMO_LOGO_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def _placeholder_logo(org: Organisation, colour: tuple[int, int, int]) -> None:
    """A wordmark that is obviously not the organisation's real logo (its
    acronym on a coloured tile, "logo fictif" beneath), so that every demo
    export shows the partners' strip. Drawn once; kept across loads."""
    name = f"logos/demo-{org.acronym.lower()}.png"
    if org.logo.name == name and org.logo.storage.exists(name):
        return
    tile = Image.new("RGB", (480, 240), colour)
    draw = ImageDraw.Draw(tile)
    draw.text((240, 105), org.acronym, fill="white", font=_font(96), anchor="mm")
    draw.text((240, 200), "logo fictif", fill="white", font=_font(28), anchor="mm")
    out = io.BytesIO()
    tile.save(out, format="PNG")
    if org.logo:
        org.logo.delete(save=False)
    # Through the same re-encoding as any upload.
    org.logo.save(name.removeprefix("logos/"), logo_file(out.getvalue(), name), save=True)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(DEMO_LOGO_FONT, size)
    except OSError:  # no DejaVu: Pillow's own font, scalable since Pillow 10.1
        return ImageFont.load_default(size)


def _actor_types() -> dict[str, ActorType]:
    """The demo's actor types by demo name, found under whatever spelling they
    already have ("Délégué.e du préfet", "Agents" from a synthesis import), else created."""
    index = actor_type_index(ActorType.objects.all())
    found = {}
    for order, (name, label, _share) in enumerate(ACTOR_TYPES, start=1):
        actor_type = find_or_create_actor_type(index, name, quote_label=label, order=order)
        if actor_type.order != order:  # the demo's order, also for an imported type
            actor_type.order = order
            actor_type.save(update_fields=["order"])
        found[name] = actor_type
    return found


def _themes() -> dict[str, Theme]:
    return {name: Theme.objects.get_or_create(name=name)[0] for name in THEMES}


def _users() -> dict[str, User]:
    users = {}
    for username, first, last, role in USERS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last, "role": role}
        )
        if created:
            user.set_password(PASSWORD)
            user.save()
        users[username] = user
    delegate_territories = [
        Territory.objects.get(level=level, code=code) for level, code in DELEGATE_TERRITORIES
    ]
    users["delegue"].territories.set(delegate_territories)
    return users


def _participants(workshop: Workshop, actor_types: dict[str, ActorType]) -> list[Participant]:
    if workshop.participants.count() >= PARTICIPANTS:
        return list(workshop.participants.select_related("actor_type", "territory").order_by("pk"))
    rng = random.Random(2021)  # noqa: S311 — demo data, reproducible on purpose
    sites = list(Territory.objects.filter(level=Level.COMMUNE, code__in=[s[0] for s in SITES]))
    people = []
    for name, _label, share in ACTOR_TYPES:
        for _ in range(share):
            people.append(
                Participant(
                    workshop=workshop,
                    actor_type=actor_types[name],
                    territory=rng.choice(sites),
                    first_name=rng.choice(FIRST_NAMES),
                    last_name=rng.choice(LAST_NAMES),
                )
            )
    workshop.participants.all().delete()
    return Participant.objects.bulk_create(people)


def _groups(workshop, participants, *, animator) -> list[WorkingGroup]:
    """Round 1 mixes people; round 2 gathers peers — with the real algorithm."""
    people = [grouping.Person(p.pk, p.actor_type_id, p.territory_id) for p in participants]
    by_id = {p.pk: p for p in participants}
    rounds = list(workshop.rounds.order_by("order"))
    mixed = grouping.form_groups(people, group_count=GROUPS_PER_ROUND, mode="random", seed=2021)
    groups = _fill(rounds[0], [[by_id[i] for i in g] for g in mixed.groups])
    if len(rounds) > 1:
        peers = grouping.form_groups(
            people, group_count=GROUPS_PER_ROUND, mode="peer", history=[mixed.groups], seed=2021
        )
        groups += _fill(rounds[1], [[by_id[i] for i in g] for g in peers.groups])
    for group in groups:
        if group.number == 1:
            group.animators.add(animator)
    return groups


def _fill(round_, member_lists) -> list[WorkingGroup]:
    groups = []
    for number, members in enumerate(member_lists, start=1):
        types = {m.actor_type for m in members}
        group, _ = WorkingGroup.objects.update_or_create(
            round=round_,
            number=number,
            defaults={"actor_type": types.pop() if len(types) == 1 else None},
        )
        group.members.set(members)
        groups.append(group)
    return groups


def _notes(workshop: Workshop, themes: dict[str, Theme]) -> int:
    """Group notes that say, in each group's words, what each statement says."""
    rng = random.Random(129)  # noqa: S311
    statements = (
        Statement.objects.filter(section__synthesis__workshop=workshop)
        .select_related("section__question", "section__round", "speaker_actor_type")
        .order_by("section__order", "order", "pk")
    )
    groups = {r.pk: list(r.groups.order_by("number")) for r in workshop.rounds.all()}
    positions: dict[tuple[int, int], int] = {}
    count = 0
    for statement in statements:
        section = statement.section
        if section.question is None:
            continue
        round_groups = groups[section.round_id]
        if statement.kind == Kind.QUOTE:
            chosen = [_speaker_group(round_groups, statement.speaker_actor_type)]
            texts = [statement.text]
        else:
            k = rng.choices(range(1, 9), weights=[3, 3, 3, 2, 2, 1, 1, 1])[0]
            chosen = rng.sample(round_groups, min(k, len(round_groups)))
            texts = [_variant(statement.text, rng) for _ in chosen]
        notes = []
        for group, text in zip(chosen, texts, strict=True):
            key = (group.pk, section.question_id)
            positions[key] = positions.get(key, 0) + 1
            notes.append(_note(workshop, statement, section, group, text, positions[key]))
        statement.sources.set(notes)
        for note in notes:
            note.themes.set(_themes_of(note.text, themes))
        count += len(notes)
    return count


def _speaker_group(groups, actor_type) -> WorkingGroup:
    return next(
        (g for g in groups if g.actor_type_id == getattr(actor_type, "pk", None)), groups[0]
    )


def _note(workshop, statement, section, group, text, position) -> Contribution:
    client_uuid = uuid.uuid5(
        NOTES_NAMESPACE, f"{workshop.slug}/{section.order}/{statement.order}/{group.number}"
    )
    note, _ = Contribution.objects.update_or_create(
        client_uuid=client_uuid,
        defaults={
            "group": group,
            "question": section.question,
            "kind": statement.kind,
            "text": text[:NOTE_MAX_LENGTH],
            "speaker_actor_type": statement.speaker_actor_type,
            "position": position,
        },
    )
    return note


def _variant(text: str, rng: random.Random) -> str:
    """One group's way of noting a statement: whole, its key phrases, its first
    clause, or one of its sub-bullets."""
    lines = [line for line in text.splitlines() if line.strip()]
    bullets = [markup.plain(line) for line in lines if line.lstrip().startswith("- ")]
    first = markup.plain(lines[0]) if lines else markup.plain(text)
    key_phrases = re.findall(r"\*\*(.+?)\*\*", text)
    options = [first]
    if key_phrases:
        options.append(_sentence(", ".join(key_phrases)))
    clause = re.split(r"[,;:]\s", first, maxsplit=1)[0]
    if len(clause) > 25:
        options.append(_sentence(clause))
    if bullets:
        options.append(rng.choice(bullets))
    return rng.choice(options)


def _sentence(text: str) -> str:
    text = text.strip(" .…:;")
    return text[:1].upper() + text[1:] + "."


def _themes_of(text: str, themes: dict[str, Theme]) -> list[Theme]:
    lowered = text.lower()
    return [themes[name] for name, words in THEMES.items() if any(w in lowered for w in words)]


# --- Local workshops ---------------------------------------------------------------


@dataclass
class LocalSummary:
    workshops: list[Workshop]
    notes: int


@transaction.atomic
def load_local() -> LocalSummary:
    """The local workshops of demo_local.py, each with its rounds, groups,
    notes, themes, quotes and a published synthesis whose commitments are
    followed up. The synthesis is written once, from the ideas the notes came
    from (as a coordinator would word them); a later run leaves it alone."""
    _territories()
    actor_types = _actor_types()
    themes = _themes()
    users = _users()
    _, supporters = _organisations()
    workshops, notes = [], 0
    for spec in demo_local.WORKSHOPS:
        workshop = _local_workshop(spec, supporters)
        participants = _local_participants(workshop, spec, actor_types)
        groups = _local_groups(workshop, spec, participants)
        written = _local_notes(workshop, spec, groups, actor_types, themes)
        _local_synthesis(workshop, spec, written, by=users["coordination"])
        workshops.append(workshop)
        notes += sum(len(n) for n in written.values())
    return LocalSummary(workshops=workshops, notes=notes)


def _local_workshop(spec, supporters) -> Workshop:
    workshop, _ = Workshop.objects.update_or_create(
        slug=spec.slug,
        defaults={
            "title": spec.title,
            "date": spec.date,
            "format": spec.format,
            "territory": Territory.objects.get(level=Level.COMMUNE, code=spec.site),
            "is_demo": True,
        },
    )
    workshop.supporters.set(supporters)
    for order, (title, mode, questions) in enumerate(demo_local.ROUNDS, start=1):
        round_, _ = Round.objects.update_or_create(
            workshop=workshop, order=order, defaults={"title": title, "grouping_mode": mode}
        )
        for number, (_key, text, kind) in enumerate(questions, start=1):
            Question.objects.update_or_create(
                round=round_, order=number, defaults={"title": text, "default_kind": kind}
            )
    return workshop


def _local_participants(workshop, spec, actor_types) -> list[Participant]:
    if workshop.participants.count() == spec.participants:
        return list(workshop.participants.order_by("pk"))
    rng = random.Random(spec.slug)  # noqa: S311 — demo data, reproducible on purpose
    names = [name for name, _label, _share in ACTOR_TYPES]
    weights = [share for _name, _label, share in ACTOR_TYPES]
    site = workshop.territory
    people = [
        Participant(
            workshop=workshop,
            actor_type=actor_types[rng.choices(names, weights)[0]],
            territory=site,
            first_name=rng.choice(FIRST_NAMES),
            last_name=rng.choice(LAST_NAMES),
        )
        for _ in range(spec.participants)
    ]
    workshop.participants.all().delete()
    return Participant.objects.bulk_create(people)


def _local_groups(workshop, spec, participants) -> dict[int, list[WorkingGroup]]:
    """Round 1 mixes people, round 2 gathers peers, as on the seed."""
    people = [grouping.Person(p.pk, p.actor_type_id, p.territory_id) for p in participants]
    by_id = {p.pk: p for p in participants}
    rounds = list(workshop.rounds.order_by("order"))
    mixed = grouping.form_groups(people, group_count=spec.groups, mode="random", seed=2020)
    peers = grouping.form_groups(
        people, group_count=spec.groups, mode="peer", history=[mixed.groups], seed=2020
    )
    return {
        round_.order: _fill(round_, [[by_id[i] for i in g] for g in formed.groups])
        for round_, formed in zip(rounds, (mixed, peers), strict=True)
    }


def _local_notes(workshop, spec, groups, actor_types, themes) -> dict:
    """Each idea's notes, one per group, spread over the round's groups. The
    first note of an idea takes the idea's themes, the others only those
    their own words show: animators tag some notes, not all (about a third).
    Returns {(question key, idea index): notes}, quotes under ("quote", index)."""
    positions: dict[tuple[int, int], int] = {}
    written = {}
    start = timezone.make_aware(datetime.datetime.combine(spec.date, datetime.time(9, 30)))
    minute = 0

    def note(key, group, question, text, **fields):
        nonlocal minute
        minute += 1
        spot = (group.pk, question.pk)
        positions[spot] = positions.get(spot, 0) + 1
        return Contribution.objects.update_or_create(
            client_uuid=uuid.uuid5(NOTES_NAMESPACE, f"{spec.slug}/{key}"),
            defaults={
                "group": group,
                "question": question,
                "text": text[:NOTE_MAX_LENGTH],
                "position": positions[spot],
                "created_at": start + datetime.timedelta(minutes=minute),
                **fields,
            },
        )[0]

    questions = {}
    for order, (_title, _mode, items) in enumerate(demo_local.ROUNDS, start=1):
        for number, (key, _text, kind) in enumerate(items, start=1):
            question = Question.objects.get(
                round__workshop=workshop, round__order=order, order=number
            )
            questions[key] = question
            round_groups = groups[order]
            for i, idea in enumerate(spec.ideas.get(key, ())):
                notes = []
                for j, text in enumerate(idea.notes):
                    group = round_groups[(i + j) % len(round_groups)]
                    notes.append(note(f"{key}/{i}/{j}", group, question, text, kind=kind))
                for j, n in enumerate(notes):
                    n.themes.set(_themes_of(idea.statement if j == 0 else n.text, themes))
                written[(key, i)] = notes
    lesson, peer_groups = questions["lecon"], groups[len(demo_local.ROUNDS)]
    for i, quote in enumerate(spec.quotes):
        speaker = actor_types[quote.actor_type]
        group = next(
            (g for g in peer_groups if g.actor_type_id == speaker.pk),
            peer_groups[i % len(peer_groups)],
        )
        written[("quote", i)] = [
            note(
                f"quote/{i}",
                group,
                lesson,
                quote.text,
                kind=Kind.QUOTE,
                speaker_actor_type=speaker,
            )
        ]
    return written


def _local_synthesis(workshop, spec, written, *, by) -> None:
    if workshop.syntheses.filter(status=Status.PUBLISHED).exists():
        return
    workshop.syntheses.all().delete()  # a draft left half-way: written again
    synthesis = Synthesis.objects.create(workshop=workshop, revision=1, intro=spec.intro)
    order = 0
    for round_order, (_title, _mode, items) in enumerate(demo_local.ROUNDS, start=1):
        for number, (key, title, kind) in enumerate(items, start=1):
            order += 1
            question = Question.objects.get(
                round__workshop=workshop, round__order=round_order, order=number
            )
            section = Section.objects.create(
                synthesis=synthesis,
                round=question.round,
                question=question,
                title=title,
                order=order,
            )
            for i, idea in enumerate(spec.ideas.get(key, ())):
                notes = written[(key, i)]
                statement = Statement.objects.create(
                    section=section,
                    order=i + 1,
                    text=idea.statement,
                    kind=kind,
                    isolated=len(notes) == 1,
                )
                statement.sources.set(notes)
                _follow_ups(statement, idea.follow_ups, spec.date, by=by)
            if key == "lecon":
                for i, quote in enumerate(spec.quotes):
                    statement = Statement.objects.create(
                        section=section,
                        order=100 + i,
                        text=quote.text,
                        kind=Kind.QUOTE,
                        speaker_actor_type=written[("quote", i)][0].speaker_actor_type,
                    )
                    statement.sources.set(written[("quote", i)])
    for status in (Status.IN_REVIEW, Status.APPROVED, Status.PUBLISHED):
        synthesis.move_to(status, by=by)
    published = timezone.make_aware(
        datetime.datetime.combine(spec.date + datetime.timedelta(days=21), datetime.time(17))
    )
    Synthesis.objects.filter(pk=synthesis.pk).update(published_at=published)


def _follow_ups(statement, steps, date, *, by) -> None:
    """Each step two months after the one before, from the workshop's date."""
    for k, (status, note) in enumerate(steps, start=1):
        follow_up = FollowUp.objects.create(statement=statement, status=status, note=note, by=by)
        at = timezone.make_aware(
            datetime.datetime.combine(date + datetime.timedelta(days=60 * k), datetime.time(11))
        )
        FollowUp.objects.filter(pk=follow_up.pk).update(at=at)
