"""Every URL pattern of the project against every role.

Each row names a URL pattern, how to request it in the shared world, and for
each role the status code plus what the answer must and must not contain.
`test_matrix_covers_every_url_pattern` fails as soon as a pattern has no row:
a new view cannot ship without saying who may see it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

ROLES = [
    "anonymous",
    "animator",
    "other_animator",
    "animator_elsewhere",
    "coordinator",
    "delegate_a",
    "delegate_b",
    "deactivated",
    "superuser",
]
OUTSIDERS = ["anonymous", "animator_elsewhere", "delegate_b", "deactivated"]


@dataclass
class Expect:
    status: int
    contains: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()


@dataclass
class Row:
    url: Callable  # world -> path
    expect: dict[str, Expect]
    method: str = "get"
    data: dict | Callable = field(default_factory=dict)  # or world -> dict
    htmx: bool = False
    effect: Callable | None = None  # (world, role) -> None, asserts on the database


def everyone(status, **kwargs):
    return {role: Expect(status, **kwargs) for role in ROLES}


def login_redirect():
    return Expect(302)


SECRET_B = ("Atelier B", "Énoncé secret B", "Note secrète B")
WRITERS = ["animator", "coordinator", "superuser"]
WORKSHOP_ANIMATORS = ["animator", "other_animator"]
STRANGERS = ["animator_elsewhere", "delegate_a", "delegate_b"]
LOGGED_OUT = ["anonymous", "deactivated"]


def group_rights(*, writer, reader=None, stranger=None, logged_out=None):
    """The usual rows of a group's board: writers, the other animator of the
    workshop (reads only), strangers (404) and logged-out people (to login)."""
    expect = dict.fromkeys(WRITERS, writer)
    expect["other_animator"] = reader or Expect(403, excludes=("Note secrète A1",))
    for role in STRANGERS:
        expect[role] = stranger or Expect(404, excludes=("Note secrète A1",))
    for role in LOGGED_OUT:
        expect[role] = logged_out or Expect(302, excludes=("Note secrète A1",))
    return expect


def setup_rights(coordinator):
    """Setting a workshop up: coordinators only. Those who see the workshop A
    get 403, the others 404, logged-out people go to the login page."""
    return {
        "coordinator": coordinator,
        "superuser": coordinator,
        **{
            role: Expect(403, excludes=("Personne A",))
            for role in ["animator", "other_animator", "delegate_a"]
        },
        **{
            role: Expect(404, excludes=("Personne A",))
            for role in ["animator_elsewhere", "delegate_b"]
        },
        **{role: Expect(302, excludes=("Personne A",)) for role in LOGGED_OUT},
    }


def _propose_label(w):
    """The statement as the draft writes a label the model proposed (no data posted)."""
    statements = type(w.a.draft_statement).objects.filter(pk=w.a.draft_statement.pk)
    statements.update(drafted=True, label_proposed=True)
    return {}


def _assisted(w):
    from synthesis.models import AssistedGrouping

    return AssistedGrouping.objects.filter(workshop=w.a.workshop, enabled=True).exists()


def coordinators_only(check):
    def effect(w, role):
        assert check(w) == (role in ["coordinator", "superuser"]), role

    return effect


READERS_A = ["animator", "other_animator", "coordinator", "delegate_a", "superuser"]
OUTSIDERS_A = ["animator_elsewhere", "delegate_b", "deactivated", "anonymous"]


def readers_of_a(expect, outsider_status=404):
    return {
        **dict.fromkeys(READERS_A, expect),
        **{role: Expect(outsider_status, excludes=("Énoncé secret A",)) for role in OUTSIDERS_A},
    }


def done_export(w):
    from django.core.files.base import ContentFile

    from synthesis.models import Export

    export = Export.objects.create(synthesis=w.a.synthesis, format="md", status="done")
    export.file.save("synthese-a.md", ContentFile("Énoncé secret A".encode()))
    return export


def export_requested_by_readers(w, role):
    from synthesis.models import Export

    made = Export.objects.filter(synthesis=w.a.synthesis, format="md").exists()
    assert made == (role in READERS_A), role


def made_export(fmt):
    """A finished export of workshop A's published revision, rendered for real."""

    def make(w):
        from django.core.files.base import ContentFile

        from synthesis import exports
        from synthesis.models import Export

        export = Export.objects.create(synthesis=w.a.synthesis, format=fmt, status="done")
        content = ContentFile(exports.render(w.a.synthesis, fmt))
        export.file.save(exports.filename(w.a.synthesis, fmt), content)
        return export

    return make


def regenerate_md(w):
    done_export(w)
    return {"format": "md", "again": "1"}


def export_queued(fmt):
    def check(w):
        from synthesis.models import Export

        return Export.objects.filter(synthesis=w.a.synthesis, format=fmt, status="pending").exists()

    return check


def running_draft(w):
    from synthesis.models import DraftJob

    DraftJob.objects.create(
        workshop=w.a.workshop, status="running", stage="questions", done=1, total=3
    )
    return f"/ateliers/{w.a.workshop.slug}/synthese/brouillon/progression/"


def coordinators_see(expect):
    """setup_rights, where nobody else gets any of what coordinators see."""
    return {
        role: rights
        if role in ("coordinator", "superuser")
        else Expect(rights.status, excludes=expect.contains)
        for role, rights in setup_rights(expect).items()
    }


def suggested_pair(w):
    """Two statements of workshop A's draft, from its two groups, that say the
    same thing (and two that do not): the merge the panel suggests. Kept on
    the world as `w.pair`; returns the accept/dismiss form's fields."""
    from atelier.models import Contribution
    from synthesis.models import Statement

    texts = [
        "Pas de bus le soir pour rentrer après les ateliers",
        "Le manque de transports en commun pour venir au centre social",
        "Les financements sont annuels, on ne peut rien prévoir",
        "La barrière de la langue avec certaines familles",
    ]
    made = []
    for order, text in enumerate(texts, start=2):
        note = Contribution.objects.create(
            group=w.a.groups[order % 2], question=w.a.question, kind="obstacle", text=text
        )
        statement = Statement.objects.create(
            section=w.a.draft_section, order=order, text=text, kind="obstacle"
        )
        statement.sources.set([note])
        made.append(statement)
    w.pair = made[:2]
    return {
        "first": made[0].pk,
        "first_version": 1,
        "second": made[1].pk,
        "second_version": 1,
        "position": 0,
    }


def suggestions_url(w, tail=""):
    return f"/ateliers/{w.a.workshop.slug}/synthese/rapprochements/{tail}"


def merged_only_by_coordinators(w, role):
    from synthesis.models import Statement

    merged = not Statement.objects.filter(pk=w.pair[1].pk).exists()
    assert merged == (role in ["coordinator", "superuser"]), role
    assert w.pair[0].sources.count() == (2 if merged else 1), role


def dismissed_only_by_coordinators(w, role):
    from synthesis.models import DismissedSuggestion

    dismissed = DismissedSuggestion.objects.filter(workshop=w.a.workshop).exists()
    assert dismissed == (role in ["coordinator", "superuser"]), role


def dashboard_rights(expect):
    return {
        "coordinator": expect,
        "superuser": expect,
        "delegate_a": expect,
        **{
            role: Expect(404, excludes=("Atelier A",))
            for role in ["animator", "other_animator", "animator_elsewhere", "delegate_b"]
        },
        **{role: Expect(302) for role in LOGGED_OUT},
    }


def commitment_a(w):
    from synthesis.models import Statement

    return Statement.objects.create(
        section=w.a.statement.section, kind="commitment", text="Engagement A", order=5
    )


def followed_only_by_coordinators(w, role):
    from synthesis.models import FollowUp

    assert FollowUp.objects.exists() == (role in ["coordinator", "superuser"]), role


def _workshop_a(w):
    return type(w.a.workshop).objects.get(pk=w.a.workshop.pk)


def _second_round(w):
    """An empty second round in workshop A (kept as `w.extra_round`)."""
    w.extra_round = w.a.workshop.add_round(title="Temps vide")
    return {"direction": "down"}


def _second_question(w):
    """An unanswered second question in workshop A (kept as `w.extra_question`)."""
    w.extra_question = w.a.round.add_question(title="Consigne sans note")
    return {"direction": "down"}


def _exists(model_name, **lookups):
    def check(w):
        from django.apps import apps

        return apps.get_model("atelier", model_name).objects.filter(**lookups).exists()

    return check


def _territory_alias(w):
    from territories.models import TerritoryAlias

    return TerritoryAlias.objects.create(territory=w.territories.dept_a, name="CD59")


def _exists_in(app, model_name, **lookups):
    def check(w):
        from django.apps import apps

        return apps.get_model(app, model_name).objects.filter(**lookups).exists()

    return check


def creators(coordinator):
    """Creating a workshop: coordinators only, 403 for every other account."""
    others = ["animator", "other_animator", "animator_elsewhere", "delegate_a", "delegate_b"]
    return {
        "coordinator": coordinator,
        "superuser": coordinator,
        **{role: Expect(403) for role in others},
        **{role: Expect(302) for role in LOGGED_OUT},
    }


def NOTE_HIT(suffix):  # noqa: N802 — reads as a constant in the table
    return f"secrète</mark> {suffix}"


def STMT_HIT(suffix):  # noqa: N802
    return f"secret</mark> {suffix}"


def tagged_by_coordinators(w, role):
    assert w.a.notes[0].themes.filter(pk=w.theme.pk).exists() == (
        role in ["coordinator", "superuser"]
    ), role


def tagged(w, url):
    """Tag note A2 with the world's theme, then give the URL to request."""
    w.a.notes[1].themes.add(w.theme)
    return url


def note_a1(w):
    return w.a.notes[0]


def created_only_by_writers(w, role):
    from atelier.models import Contribution

    created = Contribution.objects.filter(text="Note de la matrice").exists()
    assert created == (role in WRITERS)


def deleted_only_by_writers(w, role):
    note_a1(w).refresh_from_db()
    assert (note_a1(w).deleted_at is not None) == (role in WRITERS)


def themed_only_by_writers(w, role):
    assert note_a1(w).themes.filter(pk=w.theme.pk).exists() == (role in WRITERS)


def round_switched_only_by_coordinators(w, role):
    w.a.workshop.refresh_from_db()
    switched = w.a.workshop.current_round_id == w.a.round.pk
    assert switched == (role in ["coordinator", "superuser"])


API_NEVER = ("Note secrète", "Personne A", "brouillon")


def api_rights(text_a, text_b):
    """An API list: what each role reads on the site (public N for all, A
    for its readers, B for its own), never a note or a draft."""
    readers_b = ["animator_elsewhere", "coordinator", "delegate_b", "superuser"]
    return {
        role: Expect(
            200,
            contains=tuple(
                t for t, readers in ((text_a, READERS_A), (text_b, readers_b)) if role in readers
            ),
            excludes=API_NEVER
            + tuple(
                t
                for t, readers in ((text_a, READERS_A), (text_b, readers_b))
                if role not in readers
            ),
        )
        for role in ROLES
    }


def coordinator_token(w):
    from api.models import Token

    w.token, _secret = Token.issue(w.users.coordinator, "Matrice")
    return w.token


def revoked_only_by_its_owner(w, role):
    w.token.refresh_from_db()
    assert (w.token.revoked_at is not None) == (role == "coordinator"), role


MATRIX = {
    "home": Row(
        lambda w: "/",
        {
            **everyone(200, excludes=SECRET_B),
            "animator": Expect(200, contains=("Mes groupes", "Atelier A"), excludes=SECRET_B),
            "other_animator": Expect(200, contains=("Atelier A",), excludes=SECRET_B),
            "animator_elsewhere": Expect(200, contains=("Atelier B",), excludes=("Atelier A",)),
            "coordinator": Expect(200, contains=("Atelier A", "Atelier B", "Atelier N")),
            "superuser": Expect(200, contains=("Atelier A", "Atelier B")),
            "delegate_a": Expect(200, contains=("Hauts-de-France", "Atelier A"), excludes=SECRET_B),
            "delegate_b": Expect(
                200, contains=("Gard", "Atelier B"), excludes=("Atelier A", "Roubaix")
            ),
            "anonymous": Expect(
                200, contains=("Se connecter", "Atelier N"), excludes=("Atelier A", *SECRET_B)
            ),
            "deactivated": Expect(
                200, contains=("Se connecter",), excludes=("Atelier A", "Atelier B")
            ),
        },
    ),
    "login": Row(lambda w: "/connexion/", everyone(200, contains=("Connexion",))),
    "logout": Row(lambda w: "/deconnexion/", everyone(302), method="post"),
    "set_language": Row(
        lambda w: "/i18n/setlang/",
        everyone(302),
        method="post",
        data={"language": "en", "next": "/"},
    ),
    "health": Row(lambda w: "/health/", everyone(200, contains=("ok",))),
    "logo": Row(lambda w: "/media/logos/absent.png", everyone(404)),
    "workshop": Row(
        lambda w: f"/ateliers/{w.a.workshop.slug}/",
        {
            **{role: Expect(404, excludes=("Atelier A", "Consigne A")) for role in OUTSIDERS},
            "animator": Expect(200, contains=("Atelier A", "Consigne A", "mon groupe")),
            "other_animator": Expect(200, contains=("Atelier A", "Consigne A")),
            "coordinator": Expect(200, contains=("Atelier A", "Consigne A")),
            "superuser": Expect(200, contains=("Atelier A",)),
            "delegate_a": Expect(200, contains=("Atelier A", "Consigne A"), excludes=SECRET_B),
        },
    ),
    "synthesis": Row(
        lambda w: f"/ateliers/{w.a.workshop.slug}/synthese/",
        {
            **{role: Expect(404, excludes=("Énoncé secret A",)) for role in OUTSIDERS},
            **{
                role: Expect(200, contains=("Énoncé secret A", "Rubrique A"), excludes=SECRET_B)
                for role in ["animator", "other_animator", "coordinator", "delegate_a", "superuser"]
            },
        },
    ),
    "board": Row(
        lambda w: f"/groupes/{w.a.groups[0].pk}/",
        group_rights(
            writer=Expect(200, contains=("Note secrète A1", "Nouvelle note"), excludes=SECRET_B),
            reader=Expect(
                200,
                contains=("Note secrète A1", "Lecture seule"),
                excludes=("Nouvelle note", "Supprimer"),
            ),
        ),
    ),
    "note_create": Row(
        lambda w: f"/groupes/{w.a.groups[0].pk}/notes/",
        group_rights(writer=Expect(201, contains=("Note de la matrice",))),
        method="post",
        htmx=True,
        effect=created_only_by_writers,
        data=lambda w: {
            "client_uuid": "6f1c1d3e-8a6b-4d84-9a3c-2b2a7d9b0c11",
            "question": w.a.question.pk,
            "kind": "obstacle",
            "text": "Note de la matrice",
        },
    ),
    "board_changes": Row(
        lambda w: f"/groupes/{w.a.groups[0].pk}/changements/?since=2000-01-01T00:00:00",
        group_rights(
            writer=Expect(200, contains=("Note secrète A1",), excludes=SECRET_B),
            reader=Expect(200, contains=("Note secrète A1",), excludes=SECRET_B),
        ),
    ),
    "note_detail": Row(
        lambda w: f"/notes/{note_a1(w).pk}/",
        group_rights(writer=Expect(200, contains=("Note secrète A1",))),
        htmx=True,
    ),
    "note_edit": Row(
        lambda w: f"/notes/{note_a1(w).pk}/modifier/",
        group_rights(writer=Expect(200, contains=("Note secrète A1", "Texte de la note"))),
    ),
    "note_delete": Row(
        lambda w: f"/notes/{note_a1(w).pk}/supprimer/",
        group_rights(writer=Expect(200, contains=("Note supprimée", "Annuler la suppression"))),
        method="post",
        htmx=True,
        effect=deleted_only_by_writers,
    ),
    "note_restore": Row(
        lambda w: f"/notes/{note_a1(w).pk}/retablir/",
        group_rights(writer=Expect(200, contains=("Note secrète A1",))),
        method="post",
        htmx=True,
    ),
    "note_move": Row(
        lambda w: f"/notes/{note_a1(w).pk}/deplacer/",
        group_rights(writer=Expect(200, contains=("Note secrète A1",))),
        method="post",
        htmx=True,
        data={"direction": "down"},
    ),
    "note_theme_add": Row(
        lambda w: f"/notes/{note_a1(w).pk}/themes/",
        group_rights(writer=Expect(200, contains=("Thème matrice",))),
        method="post",
        htmx=True,
        data={"theme": "Thème matrice"},
        effect=themed_only_by_writers,
    ),
    "note_theme_remove": Row(
        lambda w: f"/notes/{note_a1(w).pk}/themes/{w.theme.pk}/retirer/",
        group_rights(writer=Expect(200, contains=("aucun",))),
        method="post",
        htmx=True,
    ),
    "markup_preview": Row(
        lambda w: "/apercu/",
        {
            **everyone(200, contains=("<strong>gras</strong>",)),
            "anonymous": Expect(302),
            "deactivated": Expect(302),
        },
        method="post",
        data={"text": "**gras**"},
    ),
    "overview": Row(
        lambda w: f"/ateliers/{w.a.workshop.slug}/direct/",
        {
            **{
                role: Expect(
                    200, contains=("en direct", "Note secrète A1", "Groupe 2"), excludes=SECRET_B
                )
                for role in [*WORKSHOP_ANIMATORS, "coordinator", "superuser"]
            },
            **{role: Expect(404, excludes=("Note secrète A1",)) for role in STRANGERS},
            **{role: Expect(302) for role in LOGGED_OUT},
        },
    ),
    "overview_round": Row(
        lambda w: f"/ateliers/{w.a.workshop.slug}/direct/temps/",
        {
            "coordinator": Expect(302),
            "superuser": Expect(302),
            **{role: Expect(403) for role in WORKSHOP_ANIMATORS},
            **{role: Expect(404) for role in STRANGERS},
            **{role: Expect(302) for role in LOGGED_OUT},
        },
        method="post",
        data=lambda w: {"round": w.a.round.pk},
        effect=round_switched_only_by_coordinators,
    ),
    "roster": Row(
        lambda w: f"/ateliers/{w.a.workshop.slug}/participants/",
        setup_rights(
            Expect(200, contains=("Personne A", "Ajouter une personne"), excludes=("Personne B",))
        ),
    ),
    "workshop_create": Row(
        lambda w: "/ateliers/nouveau/",
        creators(Expect(302)),
        method="post",
        data=lambda w: {
            "title": "Atelier matrice",
            "date": "2021-05-04",
            "format": "online",
            "copy_from": w.a.workshop.pk,
        },
        effect=coordinators_only(
            _exists("Workshop", title="Atelier matrice", rounds__questions__title="Consigne A")
        ),
    ),
    "workshop_settings": Row(
        lambda w: f"/ateliers/{w.a.workshop.slug}/reglages/",
        setup_rights(
            Expect(200, contains=("Consigne A", 'value="Atelier A"'), excludes=("Consigne B",))
        ),
    ),
    "workshop_archive": Row(
        lambda w: f"/ateliers/{w.a.workshop.slug}/reglages/archive/",
        setup_rights(Expect(302)),
        method="post",
        data={"archived": "1"},
        effect=coordinators_only(lambda w: _workshop_a(w).archived_at is not None),
    ),
    "round_add": Row(
        lambda w: f"/ateliers/{w.a.workshop.slug}/reglages/temps/",
        setup_rights(Expect(302)),
        method="post",
        data={"new-round-title": "Temps matrice", "new-round-grouping_mode": "peer"},
        effect=coordinators_only(_exists("Round", title="Temps matrice", order=2)),
    ),
    "round_edit": Row(
        lambda w: f"/temps/{w.a.round.pk}/reglages/",
        setup_rights(Expect(302)),
        method="post",
        data=lambda w: {
            f"round-{w.a.round.pk}-title": "Temps renommé",
            f"round-{w.a.round.pk}-grouping_mode": "manual",
        },
        effect=coordinators_only(_exists("Round", title="Temps renommé", grouping_mode="manual")),
    ),
    "round_move": Row(
        lambda w: f"/temps/{w.a.round.pk}/reglages/deplacer/",
        setup_rights(Expect(302)),
        method="post",
        data=_second_round,
        effect=coordinators_only(lambda w: _exists("Round", pk=w.a.round.pk, order=2)(w)),
    ),
    "round_remove": Row(
        lambda w: f"/temps/{w.extra_round.pk}/reglages/retirer/",
        setup_rights(Expect(302)),
        method="post",
        data=_second_round,
        effect=coordinators_only(lambda w: not _exists("Round", pk=w.extra_round.pk)(w)),
    ),
    "question_add": Row(
        lambda w: f"/temps/{w.a.round.pk}/consignes/",
        setup_rights(Expect(302)),
        method="post",
        data=lambda w: {
            f"new-question-{w.a.round.pk}-title": "Consigne matrice",
            f"new-question-{w.a.round.pk}-default_kind": "lesson",
        },
        effect=coordinators_only(_exists("Question", title="Consigne matrice", order=2)),
    ),
    "question_edit": Row(
        lambda w: f"/consignes/{w.a.question.pk}/",
        setup_rights(Expect(302)),
        method="post",
        data=lambda w: {
            f"question-{w.a.question.pk}-title": "Consigne renommée",
            f"question-{w.a.question.pk}-default_kind": "obstacle",
        },
        effect=coordinators_only(_exists("Question", title="Consigne renommée")),
    ),
    "question_move": Row(
        lambda w: f"/consignes/{w.a.question.pk}/deplacer/",
        setup_rights(Expect(302)),
        method="post",
        data=_second_question,
        effect=coordinators_only(lambda w: _exists("Question", pk=w.a.question.pk, order=2)(w)),
    ),
    "question_remove": Row(
        lambda w: f"/consignes/{w.extra_question.pk}/retirer/",
        setup_rights(Expect(302)),
        method="post",
        data=_second_question,
        effect=coordinators_only(lambda w: not _exists("Question", pk=w.extra_question.pk)(w)),
    ),
    "roster_import": Row(
        lambda w: f"/ateliers/{w.a.workshop.slug}/participants/import/",
        setup_rights(Expect(200, contains=("Fichier CSV",))),
    ),
    "roster_export": Row(
        lambda w: f"/ateliers/{w.a.workshop.slug}/participants.csv",
        setup_rights(Expect(200, contains=("Personne;A",), excludes=("Personne;B",))),
    ),
    "name_aliases": Row(
        lambda w: f"/ateliers/{w.a.workshop.slug}/participants/autres-noms/",
        setup_rights(Expect(200, contains=("Autre nom d'un territoire",))),
    ),
    "name_alias_delete": Row(
        lambda w: f"/ateliers/{w.a.workshop.slug}/participants/autres-noms/retirer/",
        setup_rights(Expect(302)),
        method="post",
        data=lambda w: {"kind": "territory", "alias": _territory_alias(w).pk},
        effect=coordinators_only(
            lambda w: not _exists_in("territories", "TerritoryAlias", name="CD59")(w)
        ),
    ),
    "participant_edit": Row(
        lambda w: f"/participants/{w.a.person.pk}/modifier/",
        setup_rights(Expect(200, contains=('value="Personne"', "Enregistrer"))),
    ),
    "participant_delete": Row(
        lambda w: f"/participants/{w.a.person.pk}/retirer/",
        setup_rights(Expect(302)),
        method="post",
        effect=coordinators_only(
            lambda w: not type(w.a.person).objects.filter(pk=w.a.person.pk).exists()
        ),
    ),
    "round_groups": Row(
        lambda w: f"/temps/{w.a.round.pk}/groupes/",
        setup_rights(
            Expect(200, contains=("Personne A", "Former les groupes"), excludes=("Personne B",))
        ),
    ),
    "animator_invite": Row(
        lambda w: f"/temps/{w.a.round.pk}/groupes/inviter/",
        setup_rights(Expect(302)),
        method="post",
        data={"first_name": "Camille", "last_name": "Roux", "email": "camille@example.org"},
        effect=coordinators_only(_exists("User", email="camille@example.org")),
    ),
    # Choosing a password: public pages, the same for everyone.
    "password_reset": Row(
        lambda w: "/mot-de-passe/oublie/", everyone(200, contains=("Mot de passe oublié",))
    ),
    "password_reset_done": Row(
        lambda w: "/mot-de-passe/envoye/", everyone(200, contains=("Lien envoyé",))
    ),
    "password_reset_confirm": Row(
        lambda w: "/mot-de-passe/MQ/jeton-invalide/",
        everyone(200, contains=("plus valable",), excludes=("new_password1",)),
    ),
    "password_reset_complete": Row(
        lambda w: "/mot-de-passe/fait/", everyone(200, contains=("Mot de passe enregistré",))
    ),
    "group_move": Row(
        lambda w: f"/temps/{w.a.round.pk}/groupes/deplacer/",
        setup_rights(Expect(302)),
        method="post",
        data=lambda w: {"participant": w.a.person.pk, "group": w.a.groups[1].pk},
        effect=coordinators_only(lambda w: w.a.groups[1].members.filter(pk=w.a.person.pk).exists()),
    ),
    "groups_export": Row(
        lambda w: f"/temps/{w.a.round.pk}/groupes.csv",
        setup_rights(Expect(200, contains=("Personne;A",), excludes=("Personne;B",))),
    ),
    "group_lock": Row(
        lambda w: f"/groupes/{w.a.groups[0].pk}/verrou/",
        setup_rights(Expect(302)),
        method="post",
        effect=coordinators_only(
            lambda w: type(w.a.groups[0]).objects.get(pk=w.a.groups[0].pk).locked
        ),
    ),
    "group_animators": Row(
        lambda w: f"/groupes/{w.a.groups[0].pk}/animation/",
        setup_rights(Expect(302)),
        method="post",
        data=lambda w: {"animators": [w.users.other_animator.pk]},
        effect=coordinators_only(
            lambda w: list(w.a.groups[0].animators.all()) == [w.users.other_animator]
        ),
    ),
    "synthesis_editor": Row(
        lambda w: f"/ateliers/{w.a.workshop.slug}/synthese/edition/",
        setup_rights(
            Expect(
                200,
                contains=("Énoncé brouillon A", "soulevé par 2 groupes sur 2"),
                excludes=SECRET_B,
            )
        ),
    ),
    "synthesis_draft": Row(
        lambda w: f"/ateliers/{w.a.workshop.slug}/synthese/brouillon/",
        setup_rights(Expect(302)),
        method="post",
        effect=coordinators_only(lambda w: w.a.workshop.draft_jobs.exists()),
    ),
    "synthesis_draft_job": Row(
        running_draft,
        coordinators_see(Expect(200, contains=("1 question sur 3…", 'hx-trigger="every 2s"'))),
        htmx=True,
    ),
    "synthesis_draft_granularity": Row(
        lambda w: f"/ateliers/{w.a.workshop.slug}/synthese/brouillon/finesse/",
        coordinators_see(
            Expect(200, contains=("Réglage actuel (1)", "Beaucoup plus d&#x27;énoncés (1)"))
        ),
        htmx=True,
    ),
    "synthesis_assisted_grouping": Row(
        lambda w: f"/ateliers/{w.a.workshop.slug}/synthese/regroupement-assiste/",
        setup_rights(Expect(302)),
        method="post",
        data={"enabled": "1"},
        effect=coordinators_only(_assisted),
    ),
    "synthesis_new_revision": Row(
        lambda w: f"/ateliers/{w.a.workshop.slug}/synthese/revision/",
        setup_rights(Expect(302)),
        method="post",
    ),
    "synthesis_status": Row(
        lambda w: f"/ateliers/{w.a.workshop.slug}/synthese/etat/",
        setup_rights(Expect(302)),
        method="post",
        data={"status": "in_review"},
        effect=coordinators_only(
            lambda w: type(w.a.draft).objects.get(pk=w.a.draft.pk).status == "in_review"
        ),
    ),
    "synthesis_publish": Row(
        lambda w: f"/ateliers/{w.a.workshop.slug}/synthese/publier/",
        coordinators_see(Expect(200, contains=("Publier la révision 2 ?", "Vérifier le chiffre"))),
    ),
    "synthesis_section_action": Row(
        lambda w: f"/ateliers/{w.a.workshop.slug}/synthese/selection/",
        setup_rights(Expect(302)),
        method="post",
        data=lambda w: {
            "action": "move",
            "statements": [w.a.draft_statement.pk],
            "section": w.a.draft_section.pk,
        },
    ),
    "synthesis_attach": Row(
        lambda w: f"/ateliers/{w.a.workshop.slug}/synthese/rattacher/",
        setup_rights(Expect(302)),
        method="post",
        data=lambda w: {"statement": w.a.draft_statement.pk, "notes": [w.a.notes[0].pk]},
    ),
    "synthesis_history": Row(
        lambda w: f"/ateliers/{w.a.workshop.slug}/synthese/historique/",
        setup_rights(Expect(200, contains=("r2", "r1"))),
    ),
    "synthesis_suggestions": Row(
        lambda w: suggested_pair(w) and suggestions_url(w),
        coordinators_see(
            Expect(
                200,
                contains=(
                    "Rapprochements suggérés",
                    "Pas de bus le soir pour rentrer",
                    "Le manque de transports en commun",
                ),
            )
        ),
        htmx=True,
    ),
    "synthesis_suggestion_accept": Row(
        lambda w: suggestions_url(w, "fusionner/"),
        coordinators_see(
            Expect(200, contains=("Énoncés fusionnés", "<li>Le manque de transports"))
        ),
        method="post",
        data=suggested_pair,
        htmx=True,
        effect=merged_only_by_coordinators,
    ),
    "synthesis_suggestion_dismiss": Row(
        lambda w: suggestions_url(w, "ecarter/"),
        coordinators_see(Expect(200, contains=("Rapprochement écarté",))),
        method="post",
        data=suggested_pair,
        htmx=True,
        effect=dismissed_only_by_coordinators,
    ),
    "statement_detail": Row(
        lambda w: f"/enonces/{w.a.draft_statement.pk}/",
        setup_rights(Expect(200, contains=("Énoncé brouillon A",))),
        htmx=True,
    ),
    "statement_edit": Row(
        lambda w: f"/enonces/{w.a.draft_statement.pk}/modifier/",
        setup_rights(Expect(200, contains=("Énoncé revu",))),
        method="post",
        htmx=True,
        data=lambda w: {"text": "Énoncé revu", "version": 1},
        effect=coordinators_only(
            lambda w: (
                type(w.a.draft_statement).objects.get(pk=w.a.draft_statement.pk).text
                == "Énoncé revu"
            )
        ),
    ),
    "statement_sources": Row(
        lambda w: f"/enonces/{w.a.draft_statement.pk}/sources/",
        setup_rights(Expect(200, contains=("Note secrète A1",))),
        htmx=True,
    ),
    "statement_reorder": Row(
        lambda w: f"/enonces/{w.a.draft_statement.pk}/ordre/",
        setup_rights(Expect(302)),
        method="post",
        data={"direction": "up"},
    ),
    "statement_split": Row(
        lambda w: f"/enonces/{w.a.draft_statement.pk}/scinder/",
        setup_rights(Expect(200, contains=("Note secrète A1",))),
    ),
    "statement_remove": Row(
        lambda w: f"/enonces/{w.a.draft_statement.pk}/retirer/",
        setup_rights(Expect(302)),
        method="post",
        effect=coordinators_only(
            lambda w: (
                not type(w.a.draft_statement).objects.filter(pk=w.a.draft_statement.pk).exists()
            )
        ),
    ),
    "statement_accept_label": Row(
        lambda w: f"/enonces/{w.a.draft_statement.pk}/intitule/",
        setup_rights(Expect(302)),
        method="post",
        data=lambda w: _propose_label(w),
        effect=coordinators_only(
            lambda w: (
                not type(w.a.draft_statement).objects.get(pk=w.a.draft_statement.pk).label_proposed
            )
        ),
    ),
    "statement_comments": Row(
        lambda w: f"/enonces/{w.a.draft_statement.pk}/commentaires/",
        setup_rights(Expect(200, contains=("Vérifier le chiffre",))),
        htmx=True,
    ),
    "statement_comment": Row(
        lambda w: f"/enonces/{w.a.draft_statement.pk}/commenter/",
        setup_rights(Expect(302)),
        method="post",
        data={"text": "À reformuler"},
        effect=coordinators_only(
            lambda w: w.a.draft_statement.comments.filter(text="À reformuler").exists()
        ),
    ),
    "comment_resolve": Row(
        lambda w: f"/commentaires/{w.a.comment.pk}/resoudre/",
        setup_rights(Expect(302)),
        method="post",
        effect=coordinators_only(
            lambda w: type(w.a.comment).objects.get(pk=w.a.comment.pk).resolved_at is not None
        ),
    ),
    "export_panel": Row(
        lambda w: f"/syntheses/{w.a.synthesis.pk}/exports/",
        readers_of_a(Expect(200, contains=("Markdown", "Préparer"))),
    ),
    "export_request": Row(
        lambda w: f"/syntheses/{w.a.synthesis.pk}/exports/demander/",
        {**readers_of_a(Expect(302)), "anonymous": Expect(302), "deactivated": Expect(302)},
        method="post",
        data={"format": "md"},
        effect=export_requested_by_readers,
    ),
    "export_download": Row(
        lambda w: f"/exports/{done_export(w).pk}/",
        readers_of_a(Expect(200, contains=("Énoncé secret A",))),
    ),
    # Issue 16: the open data carries no note text; the analysis export (with
    # the notes) and regenerating a file are the coordination's.
    "export_download (CSV ouvert)": Row(
        lambda w: f"/exports/{made_export('csv')(w).pk}/",
        readers_of_a(Expect(200, contains=("Énoncé secret A",), excludes=("Note secrète A",))),
    ),
    "export_download (JSON ouvert)": Row(
        lambda w: f"/exports/{made_export('json')(w).pk}/",
        readers_of_a(Expect(200, contains=("Énoncé secret A",), excludes=("Note secrète A",))),
    ),
    "export_download (analyse)": Row(
        lambda w: f"/exports/{made_export('analyse-csv')(w).pk}/",
        {
            **readers_of_a(Expect(403, excludes=("Note secrète A",))),
            "coordinator": Expect(200, contains=("Énoncé secret A", "Note secrète A1")),
            "superuser": Expect(200, contains=("Énoncé secret A", "Note secrète A1")),
        },
    ),
    "export_request (analyse)": Row(
        lambda w: f"/syntheses/{w.a.synthesis.pk}/exports/demander/",
        {
            **readers_of_a(Expect(403)),
            "coordinator": Expect(302),
            "superuser": Expect(302),
            "anonymous": Expect(302),
            "deactivated": Expect(302),
        },
        method="post",
        data={"format": "analyse-csv"},
        effect=coordinators_only(export_queued("analyse-csv")),
    ),
    "export_request (régénérer)": Row(
        lambda w: f"/syntheses/{w.a.synthesis.pk}/exports/demander/",
        {
            **readers_of_a(Expect(403)),
            "coordinator": Expect(302),
            "superuser": Expect(302),
            "anonymous": Expect(302),
            "deactivated": Expect(302),
        },
        method="post",
        data=regenerate_md,
        effect=coordinators_only(export_queued("md")),
    ),
    "territory": Row(
        lambda w: f"/territoires/{w.territories.region_a.pk}/",
        dashboard_rights(Expect(200, contains=("Hauts-de-France", "Atelier A"), excludes=SECRET_B)),
    ),
    "territory_csv": Row(
        lambda w: f"/territoires/{w.territories.region_a.pk}/donnees.csv",
        dashboard_rights(Expect(200, contains=("Atelier A",), excludes=SECRET_B)),
    ),
    "follow_up": Row(
        lambda w: f"/engagements/{commitment_a(w).pk}/suivi/",
        {
            "coordinator": Expect(302),
            "superuser": Expect(302),
            **{role: Expect(403) for role in [*WORKSHOP_ANIMATORS, *STRANGERS]},
            **{role: Expect(302) for role in LOGGED_OUT},
        },
        method="post",
        data={"status": "doing"},
        effect=followed_only_by_coordinators,
    ),
    # Matches come back highlighted: "Note <mark>secrète</mark> A1".
    "search": Row(
        lambda w: "/recherche/?q=secret",
        {
            "anonymous": Expect(
                200,
                contains=(STMT_HIT("N"),),
                excludes=(NOTE_HIT(""), STMT_HIT("A"), STMT_HIT("B")),
            ),
            "deactivated": Expect(200, excludes=(NOTE_HIT(""), STMT_HIT("A"), STMT_HIT("B"))),
            "animator": Expect(
                200,
                contains=(NOTE_HIT("A1"), STMT_HIT("A")),
                excludes=(NOTE_HIT("B"), STMT_HIT("B")),
            ),
            "other_animator": Expect(
                200, contains=(NOTE_HIT("A1"),), excludes=(NOTE_HIT("B"), STMT_HIT("B"))
            ),
            "animator_elsewhere": Expect(
                200, contains=(NOTE_HIT("B1"),), excludes=(NOTE_HIT("A"), STMT_HIT("A"))
            ),
            "coordinator": Expect(200, contains=(NOTE_HIT("A1"), NOTE_HIT("B1"))),
            "superuser": Expect(200, contains=(NOTE_HIT("A1"), NOTE_HIT("B1"))),
            "delegate_a": Expect(
                200, contains=(STMT_HIT("A"),), excludes=(NOTE_HIT(""), STMT_HIT("B"))
            ),
            "delegate_b": Expect(
                200, contains=(STMT_HIT("B"),), excludes=(NOTE_HIT(""), STMT_HIT("A"))
            ),
        },
    ),
    "trends": Row(
        lambda w: tagged(w, "/tendances/"),
        {
            "coordinator": Expect(200, contains=("Tendances nationales", "Thème matrice")),
            "superuser": Expect(200, contains=("Thème matrice",)),
            **{
                role: Expect(403, excludes=("Thème matrice",))
                for role in [*WORKSHOP_ANIMATORS, *STRANGERS]
            },
            **{role: Expect(302) for role in LOGGED_OUT},
        },
    ),
    "search_tag": Row(
        lambda w: "/recherche/classer/",
        {
            "coordinator": Expect(302),
            "superuser": Expect(302),
            **{role: Expect(403) for role in [*WORKSHOP_ANIMATORS, *STRANGERS]},
            **{role: Expect(302) for role in LOGGED_OUT},
        },
        method="post",
        data=lambda w: {"theme": w.theme.pk, "notes": [w.a.notes[0].pk]},
        effect=tagged_by_coordinators,
    ),
    # Issue 18: the open-data API sees what the same user sees on the site
    # (the session here; tokens in tests/test_api.py). Never a note's text.
    **{
        name: Row(lambda w: "/api/v1/", everyone(200, contains=("openapi.json", "syntheses")))
        for name in ("api-v1:index", "api-v1:api-root")
    },
    "api-v1:openapi-json": Row(
        lambda w: "/api/v1/openapi.json", everyone(200, contains=('"openapi": "3.1.0"',))
    ),
    "api-v1:syntheses": Row(lambda w: "/api/v1/syntheses/", api_rights("atelier-a", "atelier-b")),
    "api-v1:workshops": Row(lambda w: "/api/v1/workshops/", api_rights("atelier-a", "atelier-b")),
    "api-v1:statements": Row(
        lambda w: "/api/v1/statements/", api_rights("Énoncé secret A", "Énoncé secret B")
    ),
    "api-v1:synthesis": Row(
        lambda w: "/api/v1/syntheses/atelier-a/",
        readers_of_a(Expect(200, contains=("Énoncé secret A",), excludes=API_NEVER)),
    ),
    "api-v1:workshop": Row(
        lambda w: "/api/v1/workshops/atelier-a/",
        readers_of_a(Expect(200, contains=("Atelier A",), excludes=API_NEVER)),
    ),
    "api-v1:territories": Row(
        lambda w: "/api/v1/territories/", everyone(200, contains=("Roubaix", "Gard"))
    ),
    "api-v1:territory": Row(
        lambda w: f"/api/v1/territories/{w.territories.commune_a.pk}/",
        everyone(200, contains=("59512",)),
    ),
    "api-v1:territory_figures": Row(
        lambda w: f"/api/v1/territories/{w.territories.region_a.pk}/figures/",
        {
            **everyone(404, excludes=("success_factor",)),
            **{
                role: Expect(200, contains=('"workshop_count": 1', "success_factor"))
                for role in ["coordinator", "superuser", "delegate_a"]
            },
        },
    ),
    "api-v1:themes": Row(lambda w: "/api/v1/themes/", everyone(200, contains=("theme-matrice",))),
    "api_docs": Row(lambda w: "/api/", everyone(200, contains=("Qui voit quoi",))),
    "api_tokens": Row(
        lambda w: "/compte/jetons/",
        {
            **everyone(200, contains=("Créer le jeton",)),
            **{role: Expect(302) for role in LOGGED_OUT},
        },
    ),
    "api_token_revoke": Row(
        lambda w: f"/compte/jetons/{coordinator_token(w).pk}/revoquer/",
        {
            **everyone(404),
            "coordinator": Expect(302),
            **{role: Expect(302) for role in LOGGED_OUT},
        },
        method="post",
        effect=revoked_only_by_its_owner,
    ),
    # HEAD: the zip itself is checked in tests/test_open_data_package.py.
    "open_data_package": Row(
        lambda w: "/donnees-ouvertes.zip", creators(Expect(200)), method="head"
    ),
    "service_worker": Row(lambda w: "/sw.js", everyone(200, contains=("atelier-pages",))),
    # The admin is one row: its dozens of patterns share one gate, the admin site's
    # has_permission, which lets coordinators and superusers in and nobody else.
    "admin:*": Row(
        lambda w: "/admin/atelier/contribution/",
        {
            **{role: Expect(302, excludes=("Note secrète",)) for role in ROLES},
            "coordinator": Expect(200, contains=("Note secrète A1", "Note secrète B1")),
            "superuser": Expect(200, contains=("Note secrète A1", "Note secrète B1")),
        },
    ),
}


def pattern_names(resolver=None, namespace=""):
    """Every named URL pattern; the admin's collapse into 'admin:*'."""
    resolver = resolver or get_resolver()
    names = set()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            if ns == "admin":
                names.add("admin:*")
                continue
            names |= pattern_names(entry, f"{namespace}{ns}:" if ns else namespace)
        elif isinstance(entry, URLPattern):
            names.add(f"{namespace}{entry.name}" if entry.name else repr(entry.pattern))
    return names


def missing_rows(resolver=None):
    return sorted(pattern_names(resolver) - set(MATRIX))


def test_matrix_covers_every_url_pattern():
    assert missing_rows() == []


def test_matrix_check_fails_for_an_unlisted_pattern():
    from django.urls import path

    from atelier import urls

    extra = [*urls.urlpatterns, path("nouveau/", lambda r: None, name="unlisted_view")]
    resolver = URLResolver(r"^/", type("Conf", (), {"urlpatterns": extra}))
    assert missing_rows(resolver) == ["unlisted_view"]


CASES = [(name, role) for name in MATRIX for role in ROLES]


@pytest.fixture(autouse=True)
def _language_model_configured(settings):
    """A deployment with a model endpoint, so that its option is in every page
    (nothing is sent: no row turns it on and drafts in the same test)."""
    settings.LLM_BASE_URL = "http://127.0.0.1:9/v1"
    settings.LLM_MODEL = "modele-de-test"


@pytest.mark.parametrize(("name", "role"), CASES, ids=[f"{n}-{r}" for n, r in CASES])
def test_role_against_view(world, as_user, name, role):
    row = MATRIX[name]
    expect = row.expect[role]
    user = None if role == "anonymous" else getattr(world.users, role)
    client = as_user(user)
    data = row.data(world) if callable(row.data) else row.data
    headers = {"HX-Request": "true"} if row.htmx else {}
    response = getattr(client, row.method)(row.url(world), data, headers=headers)
    assert response.status_code == expect.status, (name, role)
    body = b"".join(response).decode() if response.streaming else response.content.decode()
    for text in expect.contains:
        assert text in body, (name, role, text)
    for text in expect.excludes:
        assert text not in body, (name, role, text)
    if row.effect is not None:
        row.effect(world, role)


def test_every_row_lists_every_role():
    for name, row in MATRIX.items():
        assert set(row.expect) == set(ROLES), name
