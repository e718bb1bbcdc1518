"""The draft as a background job: one job at a time per workshop, progress
in the editor, failures in French, and a crashed run resumed by the sweep
without drafting anything twice."""

import re
from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone
from kombu.exceptions import OperationalError

from synthesis import drafting, drafting_jobs, embeddings, similarity, tasks
from synthesis.models import DraftJob, DraftJobStatus, Statement, Synthesis

from . import factories as f
from .test_embeddings import CountingBackend

pytestmark = pytest.mark.django_db(transaction=True)

HTMX = {"HX-Request": "true"}
NOTES = {
    1: [
        "Les habitants participent aux chantiers",
        "Participation des habitants aux chantiers",
        "Le manque de temps des bénévoles",
    ],
    2: [
        "Un local prêté par la mairie",
        "La mairie nous prête un local",
        "Des partenaires financiers fidèles",
    ],
}


@pytest.fixture(autouse=True)
def lexical(settings):
    """TF-IDF: fast and the same on every machine; the job is what is tested here."""
    settings.DRAFTING_BACKEND = "lexical"
    similarity.get_backend.cache_clear()
    yield
    similarity.get_backend.cache_clear()


@pytest.fixture
def workshop(world):
    """Two questions, three groups, a note of each group under each question; no synthesis."""
    ws = f.WorkshopFactory(slug="atelier-brouillon", territory=world.territories.dept_a)
    rnd = f.RoundFactory(workshop=ws, order=1)
    groups = [f.WorkingGroupFactory(round=rnd, number=n) for n in (1, 2, 3)]
    for order, texts in NOTES.items():
        question = f.QuestionFactory(round=rnd, order=order, title=f"Consigne {order}")
        for group, text in zip(groups, texts, strict=True):
            f.ContributionFactory(group=group, question=question, text=text)
    return ws


@pytest.fixture
def coordinator(world, as_user):
    return as_user(world.users.coordinator)


@pytest.fixture
def idle_worker(monkeypatch):
    """The broker takes the tasks and nobody runs them: the ids sent."""
    sent = []
    monkeypatch.setattr(tasks.run_draft, "delay", lambda pk: sent.append(pk))
    return sent


def url(workshop, tail=""):
    return f"/ateliers/{workshop.slug}/synthese/brouillon/{tail}"


def panel(client, workshop):
    return client.get(url(workshop, "progression/"), headers=HTMX).content.decode()


def sources_per_note(workshop):
    """note id -> how many statements of the workshop's newest revision hold it."""
    synthesis = workshop.syntheses.order_by("-revision").first()
    links = Statement.sources.through.objects.filter(statement__section__synthesis=synthesis)
    counts = {}
    for note_id in links.values_list("contribution_id", flat=True):
        counts[note_id] = counts.get(note_id, 0) + 1
    return counts


# --- Asking ---------------------------------------------------------------------------


def test_asking_for_a_draft_runs_it_and_shows_its_summary(workshop, coordinator, world):
    response = coordinator.post(url(workshop), headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Brouillon prêt. Révision 1 : 2 rubriques" in body
    assert "Afficher le brouillon" in body and "hx-trigger" not in body
    job = DraftJob.objects.get(workshop=workshop)
    assert (job.status, job.attempts, job.requested_by) == ("done", 1, world.users.coordinator)
    assert sorted(sources_per_note(workshop).values()) == [1] * 6  # every note, once


def test_without_javascript_the_editor_shows_the_state_after_the_redirect(workshop, coordinator):
    response = coordinator.post(url(workshop))
    assert response.status_code == 302
    assert response.url == "/ateliers/atelier-brouillon/synthese/edition/#brouillon"
    body = coordinator.get(response.url).content.decode()
    assert "Brouillon généré le " in body and "Révision 1 : 2 rubriques" in body


def test_a_double_click_starts_one_job(workshop, coordinator, idle_worker):
    first = coordinator.post(url(workshop), headers=HTMX).content.decode()
    second = coordinator.post(url(workshop), headers=HTMX).content.decode()
    job = DraftJob.objects.get(workshop=workshop)
    assert idle_worker == [job.pk]
    for body in (first, second):
        assert "Brouillon en file d'attente…" in body
        assert 'hx-trigger="every 2s"' in body


def test_two_first_clicks_at_the_same_instant_make_one_job(workshop, monkeypatch, idle_worker):
    # The other click's job is committed between our look and our insert.
    other = DraftJob.objects.create(workshop=workshop)
    real_filter, looks = DraftJob.objects.filter, []

    def first_look_misses(*args, **kwargs):
        looks.append(kwargs)
        found = real_filter(*args, **kwargs)
        return found.none() if len(looks) == 1 else found

    monkeypatch.setattr(DraftJob.objects, "filter", first_look_misses)
    assert drafting_jobs.request(workshop).pk == other.pk
    assert DraftJob.objects.count() == 1
    assert idle_worker == []  # the other click enqueued its own job


def test_a_new_job_may_start_once_the_last_one_is_over(workshop):
    first = drafting_jobs.request(workshop)
    second = drafting_jobs.request(workshop)
    assert first.pk != second.pk
    assert DraftJob.objects.filter(workshop=workshop, status="done").count() == 2


# --- Progress -------------------------------------------------------------------------


def test_progress_shows_in_the_editor_while_the_job_runs(workshop, coordinator, monkeypatch):
    monkeypatch.setattr(embeddings, "get_backend", CountingBackend)  # vectors to compute
    real_draft = drafting.draft
    seen = []

    def draft_watched(workshop, *, progress, **options):
        def watched(stage, done, total):
            progress(stage, done, total)
            seen.append(panel(coordinator, workshop))

        return real_draft(workshop, progress=watched, **options)

    monkeypatch.setattr(drafting, "draft", draft_watched)
    drafting_jobs.request(workshop)
    assert "Calcul des vecteurs : 6 notes sur 6…" in seen[0]
    assert '<progress max="6" value="6"' in seen[0]
    assert "1 question sur 2…" in seen[1] and '<progress max="2" value="1"' in seen[1]
    assert "2 questions sur 2…" in seen[2]
    assert all('hx-trigger="every 2s"' in body for body in seen)
    done = panel(coordinator, workshop)
    assert "Brouillon prêt." in done and "hx-trigger" not in done


def test_a_queued_job_says_so(workshop, coordinator, idle_worker):
    drafting_jobs.request(workshop)
    body = panel(coordinator, workshop)
    assert "Brouillon en file d'attente…" in body
    assert '<progress aria-labelledby="draft-progress-label">' in body


def test_the_progress_panel_costs_a_handful_of_queries(
    workshop, coordinator, idle_worker, django_assert_max_num_queries
):
    job = drafting_jobs.request(workshop)
    DraftJob.objects.filter(pk=job.pk).update(status="running", stage="questions", done=3, total=9)
    # Session, user, workshop, newest revision, job: polled every 2 s by every open editor.
    with django_assert_max_num_queries(5):
        body = panel(coordinator, workshop)
    assert "3 questions sur 9…" in body


def test_without_javascript_the_progress_url_leads_to_the_editor(workshop, coordinator):
    response = coordinator.get(url(workshop, "progression/"))
    assert response.status_code == 302
    assert response.url == "/ateliers/atelier-brouillon/synthese/edition/#brouillon"


# --- Failures -------------------------------------------------------------------------


def test_a_failed_draft_says_so_in_french_and_offers_to_try_again(
    workshop, coordinator, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(drafting, "draft", broken)
    body = coordinator.post(url(workshop), headers=HTMX).content.decode()
    assert "La génération du brouillon a échoué. L&#x27;équipe technique est prévenue." in body
    assert "Relancer" in body and "hx-trigger" not in body
    assert DraftJob.objects.get(workshop=workshop).status == DraftJobStatus.FAILED
    monkeypatch.undo()
    body = coordinator.post(url(workshop), headers=HTMX).content.decode()
    assert "Brouillon prêt." in body


def test_a_draft_past_its_time_limit_keeps_what_it_did_and_says_so(workshop, monkeypatch):
    real_draft = drafting.draft

    def slow(workshop, *, progress, **options):
        def stop_after_one_question(stage, done, total):
            if stage == "questions":
                raise SoftTimeLimitExceeded()

        return real_draft(workshop, progress=stop_after_one_question, **options)

    monkeypatch.setattr(drafting, "draft", slow)
    job = drafting_jobs.request(workshop)
    job.refresh_from_db()
    assert job.status == DraftJobStatus.FAILED
    assert job.error == (
        "Le brouillon a dépassé le temps de calcul autorisé. Les questions déjà "
        "traitées sont enregistrées : relancez pour terminer les autres."
    )
    assert len(sources_per_note(workshop)) == 3  # the first question's notes


def test_redis_down_the_job_waits_and_the_sweep_runs_it(workshop, coordinator, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.run_draft, "delay", down)
    response = coordinator.post(url(workshop), headers=HTMX)
    assert response.status_code == 200
    assert "Brouillon en file d'attente…" in response.content.decode()
    monkeypatch.undo()
    assert drafting_jobs.sweep() == 1
    assert DraftJob.objects.get(workshop=workshop).status == DraftJobStatus.DONE


# --- Crashes --------------------------------------------------------------------------


class WorkerKilled(Exception):
    pass


def test_a_crashed_worker_is_resumed_by_the_sweep_without_duplicates(workshop, monkeypatch):
    monkeypatch.setattr(tasks.run_draft, "delay", lambda pk: None)
    job = drafting_jobs.request(workshop)
    assert drafting_jobs.claim(job.pk, "dead-worker")

    def killed_after_one_question(stage, done, total):
        if stage == "questions":
            raise WorkerKilled

    with pytest.raises(WorkerKilled):
        drafting.draft(workshop, progress=killed_after_one_question)
    before = set(Statement.objects.values_list("pk", flat=True))
    assert len(sources_per_note(workshop)) == 3
    long_ago = timezone.now() - timedelta(hours=1)
    DraftJob.objects.filter(pk=job.pk).update(started_at=long_ago)
    monkeypatch.undo()

    assert drafting_jobs.sweep() == 1
    job.refresh_from_db()
    assert (job.status, job.attempts) == (DraftJobStatus.DONE, 2)
    assert sorted(sources_per_note(workshop).values()) == [1] * 6  # none twice
    assert before <= set(Statement.objects.values_list("pk", flat=True))  # question 1 kept
    assert Synthesis.objects.filter(workshop=workshop).count() == 1


def test_a_message_redelivered_after_a_crash_may_finish_the_job(workshop, idle_worker):
    job = drafting_jobs.request(workshop)
    assert drafting_jobs.claim(job.pk, "t-1")
    assert not drafting_jobs.claim(job.pk, "t-2")  # someone else's message: no
    assert drafting_jobs.claim(job.pk, "t-1")  # the same message, redelivered: yes


def test_a_duplicate_message_does_nothing(workshop):
    job = drafting_jobs.request(workshop)
    tasks.run_draft.apply(args=[job.pk], task_id="another-message")
    job.refresh_from_db()
    assert (job.status, job.attempts) == (DraftJobStatus.DONE, 1)


def test_the_sweep_gives_up_on_a_job_that_keeps_killing_its_worker(workshop, idle_worker):
    job = drafting_jobs.request(workshop)
    DraftJob.objects.filter(pk=job.pk).update(
        status="running",
        attempts=drafting_jobs.MAX_ATTEMPTS,
        started_at=timezone.now() - timedelta(hours=1),
    )
    assert drafting_jobs.sweep() == 0
    job.refresh_from_db()
    assert job.status == DraftJobStatus.FAILED
    assert job.error.startswith("Le brouillon a interrompu le serveur de calcul")


def test_the_sweep_runs_every_minute():
    from django.conf import settings

    schedule = settings.CELERY_BEAT_SCHEDULE["sweep-drafts"]
    assert schedule == {"task": "synthesis.sweep_drafts", "schedule": 60.0}


# --- Published revisions and granularity ----------------------------------------------


def test_a_published_revision_offers_no_draft(world, coordinator):
    body = coordinator.get("/ateliers/atelier-b/synthese/edition/").content.decode()
    assert "Ouvrir une nouvelle révision" in body
    assert "Compléter le brouillon" not in body and "Finesse du brouillon" not in body
    response = coordinator.post("/ateliers/atelier-b/synthese/brouillon/", headers=HTMX)
    assert response.status_code == 409
    assert "Cette révision est publiée" in response.content.decode()
    assert not DraftJob.objects.exists()


def test_the_editor_loads_the_granularity_counts_only_when_asked(
    workshop, coordinator, monkeypatch
):
    drafting_jobs.request(workshop)

    def too_slow_for_the_page(synthesis):
        raise AssertionError("computed with the page")

    monkeypatch.setattr(drafting, "granularity_preview", too_slow_for_the_page)
    body = coordinator.get("/ateliers/atelier-brouillon/synthese/edition/").content.decode()
    assert "Finesse du brouillon" in body
    assert 'hx-get="/ateliers/atelier-brouillon/synthese/brouillon/finesse/"' in body
    assert 'hx-trigger="toggle once"' in body


def test_the_granularity_control_counts_statements_and_redrafts_only_untouched_ones(
    workshop, coordinator, monkeypatch
):
    drafting_jobs.request(workshop)
    synthesis = workshop.syntheses.get()
    edited = Statement.objects.filter(section__synthesis=synthesis).order_by("pk").first()
    assert edited.edit(version=edited.version, text="Texte revu par la coordination")
    monkeypatch.setattr(
        drafting, "granularity_preview", lambda s: {-2: 18, -1: 24, 0: 31, 1: 38, 2: 45}
    )
    body = coordinator.get(url(workshop, "finesse/"), headers=HTMX).content.decode()
    for label in (
        "Beaucoup moins d&#x27;énoncés (18)",
        "Moins d&#x27;énoncés (24)",
        "Réglage actuel (31)",
        "Plus d&#x27;énoncés (38)",
        "Beaucoup plus d&#x27;énoncés (45)",
    ):
        assert label in body
    assert "Seuls les énoncés que personne n'a modifiés" in body

    response = coordinator.post(url(workshop), {"redraft": "1", "granularity": "2"}, headers=HTMX)
    assert "Brouillon prêt." in response.content.decode()
    job = DraftJob.objects.latest("pk")
    assert (job.redraft, job.granularity) == (True, 2)
    synthesis.refresh_from_db()
    assert synthesis.granularity == 2
    assert Statement.objects.get(pk=edited.pk).text == "Texte revu par la coordination"
    assert sorted(sources_per_note(workshop).values()) == [1] * 6
    body = coordinator.get(url(workshop, "finesse/"), headers=HTMX).content.decode()
    assert "Réglage par défaut (31)" in body and "Réglage actuel (45)" in body


def test_without_javascript_the_granularity_control_is_a_page_of_its_own(
    workshop, coordinator, monkeypatch
):
    drafting_jobs.request(workshop)
    monkeypatch.setattr(drafting, "granularity_preview", lambda s: {g: 4 + g for g in range(-2, 3)})
    response = coordinator.get(url(workshop, "finesse/"))
    body = response.content.decode()
    assert response.status_code == 200 and "<h1>Finesse du brouillon</h1>" in body
    assert 'action="/ateliers/atelier-brouillon/synthese/brouillon/"' in body
    assert "hx-post" not in body


def test_the_control_says_when_no_setting_would_change_anything(workshop, coordinator, monkeypatch):
    drafting_jobs.request(workshop)
    monkeypatch.setattr(drafting, "granularity_preview", lambda s: dict.fromkeys(range(-2, 3), 4))
    body = coordinator.get(url(workshop, "finesse/"), headers=HTMX).content.decode()
    assert "Le brouillon compte 4 énoncés, et aucun réglage n'en changerait" in body


def test_an_unknown_granularity_keeps_the_current_one(workshop, coordinator, idle_worker):
    coordinator.post(url(workshop), {"redraft": "1", "granularity": "9"})
    assert DraftJob.objects.get(workshop=workshop).granularity == 0


def test_a_workshop_never_drafted_shows_the_first_draft_button_only(workshop, coordinator):
    body = coordinator.get("/ateliers/atelier-brouillon/synthese/edition/").content.decode()
    assert "Générer le brouillon à partir des notes" in body
    assert 'hx-target="#brouillon"' in body and 'id="brouillon"' in body
    assert "Finesse du brouillon" not in body  # nothing to re-draft yet


@pytest.mark.browser
def test_in_the_browser_the_draft_reports_then_the_granularity_opens(
    page, live_server, workshop, world
):
    from .browser import assert_accessible, log_in

    log_in(page.context, live_server, world.users.coordinator)
    page.goto("/ateliers/atelier-brouillon/synthese/edition/")
    page.get_by_role("button", name="Générer le brouillon à partir des notes").click()
    page.locator("#brouillon", has_text="Brouillon prêt.").wait_for()
    page.get_by_role("link", name="Afficher le brouillon").click()
    page.get_by_text("Finesse du brouillon").click()  # loads the counts
    page.get_by_role("radio", name=re.compile(r"^Réglage actuel \(\d+\)$")).wait_for()
    assert_accessible(page)
    page.get_by_role("radio", name=re.compile(r"^Plus d'énoncés")).check()
    page.get_by_role("button", name="Appliquer ce réglage").click()
    page.locator("#brouillon", has_text="Brouillon prêt.").wait_for()
    assert DraftJob.objects.latest("pk").granularity == 1
