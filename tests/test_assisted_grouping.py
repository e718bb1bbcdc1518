"""The draft grouped by the deployment's language model, when a coordinator
turned it on for the workshop: through the draft job, against a fake
OpenAI-compatible server on loopback (tests/llm_server.py)."""

import pytest

from atelier.models import Contribution, Kind
from synthesis import drafting, drafting_jobs, similarity
from synthesis.models import AssistedGrouping, DraftJobStatus, Statement, Synthesis

from . import factories as f
from .llm_server import FakeLlm, partition, status

pytestmark = pytest.mark.django_db

QUESTION = "Quels freins pour mobiliser les habitants ?"
NOTES = [  # (text, group number)
    ("Les flyers dans les boîtes aux lettres ne marchent pas", 1),
    ("Rien ne remplace l'invitation en face à face", 2),
    ("Pas de bus le soir pour revenir des réunions", 3),
    ("Le dernier bus passe à 19h", 4),
]
QUOTE = "« On ne nous demande jamais notre avis »"


@pytest.fixture(autouse=True)
def _offline_is_lexical(settings):
    settings.DRAFTING_BACKEND = "lexical"
    similarity.get_backend.cache_clear()
    yield
    similarity.get_backend.cache_clear()


@pytest.fixture
def server(settings, monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    fake = FakeLlm().start()
    settings.LLM_BASE_URL = fake.url
    settings.LLM_MODEL = "modele-test"
    settings.LLM_TIMEOUT = 2.0
    settings.LLM_RETRY_BASE = 0.01
    yield fake
    fake.stop()


@pytest.fixture
def workshop(world):
    workshop = f.WorkshopFactory(title="Atelier assisté", slug="atelier-assiste")
    round_ = f.RoundFactory(workshop=workshop, order=1)
    question = f.QuestionFactory(round=round_, order=1, title=QUESTION, default_kind=Kind.OBSTACLE)
    groups = {n: f.WorkingGroupFactory(round=round_, number=n) for n in range(1, 5)}
    workshop.notes = [
        Contribution.objects.create(
            group=groups[g], question=question, kind=Kind.OBSTACLE, text=text
        )
        for text, g in NOTES
    ]
    workshop.quote = Contribution.objects.create(
        group=groups[1], question=question, kind=Kind.QUOTE, text=QUOTE
    )
    return workshop


def consent(workshop, enabled=True):
    return AssistedGrouping.objects.create(workshop=workshop, enabled=enabled)


def ids(workshop, *indices):
    return [workshop.notes[i].pk for i in indices]


def statements(workshop):
    """Each statement as (text, sorted note texts, label proposed)."""
    return {
        s.text: (sorted(n.text for n in s.sources.all()), s.label_proposed)
        for s in Statement.objects.filter(section__synthesis__workshop=workshop)
        .exclude(kind=Kind.QUOTE)
        .prefetch_related("sources")
    }


def test_the_models_groups_and_labels_become_statements(workshop, server):
    consent(workshop)
    server.reply(partition([ids(workshop, 0, 1), ids(workshop, 2, 3)], ["Le contact direct", None]))
    job = drafting_jobs.request(workshop)
    drafting_jobs.run(job.pk)
    job.refresh_from_db()
    assert job.status == DraftJobStatus.DONE, job.error
    drafted = statements(workshop)
    assert drafted["Le contact direct"] == (sorted(t for t, _ in NOTES[:2]), True)
    bus = next(v for k, v in drafted.items() if k != "Le contact direct")
    assert bus == (sorted(t for t, _ in NOTES[2:]), False)  # no label: a note's words
    synthesis = Synthesis.objects.get(workshop=workshop)
    assert synthesis.grouped_by_model == "modele-test" and synthesis.grouped_at
    assert "Regroupement proposé par le modèle modele-test." in job.summary


def test_only_note_texts_groups_and_themes_are_sent_never_quotes(workshop, server):
    consent(workshop)
    server.reply(partition([ids(workshop, 0, 1), ids(workshop, 2, 3)]))
    drafting.draft(workshop)
    (request,) = server.requests
    sent = request.notes
    assert {n["id"] for n in sent} == set(ids(workshop, 0, 1, 2, 3))
    assert all(set(n) <= {"id", "text", "group", "themes"} for n in sent)
    assert QUOTE not in str(request.body) and "Atelier assisté" not in str(request.body)


def test_nothing_is_sent_without_the_coordinators_consent(workshop, server):
    consent(workshop, enabled=False)
    drafting.draft(workshop)
    assert server.requests == []
    assert not Synthesis.objects.get(workshop=workshop).grouped_by_model


def test_a_failing_model_leaves_the_offline_grouping_and_says_so(workshop, server):
    consent(workshop)
    server.reply(status(500), status(500), status(500))
    result = drafting.draft(workshop)
    assert sorted(sum((v[0] for v in statements(workshop).values()), [])) == sorted(
        t for t, _ in NOTES
    )
    assert "Le modèle n'a pas pu regrouper 1 question" in result.summary()
    assert "le regroupement hors ligne a été utilisé" in result.summary()
    assert not any(proposed for _, proposed in statements(workshop).values())


def test_the_budget_of_calls_stops_the_requests(workshop, server, settings):
    settings.LLM_CALLS_PER_WORKSHOP = 0
    consent(workshop)
    result = drafting.draft(workshop)
    assert server.requests == []
    assert "budget" in result.summary()
    assert AssistedGrouping.objects.get(workshop=workshop).calls_used == 0


def test_the_same_notes_are_never_sent_twice(workshop, server):
    consent(workshop)
    server.reply(partition([ids(workshop, 0, 1), ids(workshop, 2, 3)]))
    drafting.draft(workshop)
    Statement.objects.filter(section__synthesis__workshop=workshop).delete()
    drafting.draft(workshop)
    assert len(server.requests) == 1
    assert AssistedGrouping.objects.get(workshop=workshop).calls_used == 1


def test_the_editor_offers_the_option_and_says_who_grouped(workshop, server, as_user, world):
    client = as_user(world.users.coordinator)
    url = f"/ateliers/{workshop.slug}/synthese/edition/"
    body = client.get(url).content.decode()
    assert "Activer le regroupement assisté pour cet atelier" in body
    client.post(f"/ateliers/{workshop.slug}/synthese/regroupement-assiste/", {"enabled": "1"})
    assert AssistedGrouping.objects.get(workshop=workshop).enabled
    server.reply(partition([ids(workshop, 0, 1), ids(workshop, 2, 3)], ["Le contact direct", None]))
    drafting.draft(workshop)
    body = client.get(url).content.decode()
    assert "Regroupement proposé par le modèle modele-test le " in body
    assert "Intitulé proposé par le modèle de langage" in body
    proposed = Statement.objects.get(text="Le contact direct")
    client.post(f"/enonces/{proposed.pk}/intitule/")
    proposed.refresh_from_db()
    assert not proposed.label_proposed and not proposed.drafted


def test_without_an_endpoint_the_option_does_not_exist(workshop, as_user, world, settings):
    settings.LLM_BASE_URL = settings.LLM_MODEL = ""
    client = as_user(world.users.coordinator)
    body = client.get(f"/ateliers/{workshop.slug}/synthese/edition/").content.decode()
    assert "regroupement assisté" not in body.lower()
    client.post(f"/ateliers/{workshop.slug}/synthese/regroupement-assiste/", {"enabled": "1"})
    assert not AssistedGrouping.objects.exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_the_browser_the_option_is_turned_on_by_keyboard(
    page, live_server, workshop, world, settings
):
    from .browser import assert_accessible, log_in

    settings.LLM_BASE_URL, settings.LLM_MODEL = "http://127.0.0.1:9/v1", "modele-test"
    log_in(page.context, live_server, world.users.coordinator)
    page.goto(f"/ateliers/{workshop.slug}/synthese/edition/")
    button = page.get_by_role("button", name="Activer le regroupement assisté pour cet atelier")
    button.focus()
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Désactiver le regroupement assisté").wait_for()
    assert AssistedGrouping.objects.get(workshop=workshop).enabled
    assert_accessible(page)


def test_a_board_save_never_calls_the_model(
    world, server, as_user, django_capture_on_commit_callbacks
):
    import uuid

    AssistedGrouping.objects.create(workshop=world.a.workshop, enabled=True)
    client = as_user(world.users.animator)
    data = {
        "client_uuid": str(uuid.uuid4()),
        "question": world.a.question.pk,
        "kind": Kind.OBSTACLE,
        "text": "Le manque de temps des bénévoles",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/groupes/{world.a.groups[0].pk}/notes/", data, headers={"HX-Request": "true"}
        )
    assert response.status_code == 201
    assert server.requests == []


def test_editing_a_proposed_label_makes_it_the_coordinations_text(workshop, server):
    consent(workshop)
    server.reply(partition([ids(workshop, 0, 1), ids(workshop, 2, 3)], ["Le contact direct", None]))
    drafting.draft(workshop)
    proposed = Statement.objects.get(text="Le contact direct")
    assert proposed.label_proposed
    assert proposed.edit(version=proposed.version, text="Aller au contact des habitants")
    proposed.refresh_from_db()
    assert not proposed.label_proposed and not proposed.drafted
