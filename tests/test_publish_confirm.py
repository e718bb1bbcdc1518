"""Publishing asks for confirmation, listing the unresolved comments and what
readers will see change; a published revision says that completing the draft
opens a new revision."""

import threading

import pytest
from django.db import connection
from django.test import Client

from synthesis.models import Comment, DraftJob, Statement, Status, Synthesis

from . import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(world, as_user):
    return as_user(world.users.coordinator)


def url(world, tail=""):
    return f"/ateliers/{world.a.workshop.slug}/synthese/{tail}"


def approved(world):
    Synthesis.objects.filter(pk=world.a.draft.pk).update(status=Status.APPROVED)
    return world.a.draft


def seen(body):
    return body.split('name="seen" value="')[1].split('"')[0]


def test_the_publish_button_leads_to_a_confirmation_not_a_publication(world, editor):
    draft = approved(world)
    body = editor.get(url(world, "edition/")).content.decode()
    assert f'href="/ateliers/{world.a.workshop.slug}/synthese/publier/">Publier…</a>' in body
    # The old form's request (a bookmarked or scripted POST) lands on the confirmation too.
    response = editor.post(url(world, "etat/"), {"status": "published"})
    assert response.status_code == 302 and response["Location"].endswith("/synthese/publier/")
    assert Synthesis.objects.get(pk=draft.pk).status == Status.APPROVED


def test_the_confirmation_lists_open_comments_and_changes_since_the_published_revision(
    world, editor
):
    approved(world)
    world.a.draft_statement.edit(version=1, text="Énoncé brouillon A revu")
    f.StatementFactory(section=world.a.draft_section, order=4, text="Un **nouveau** point")
    body = editor.get(url(world, "publier/")).content.decode()
    assert "1 commentaire non résolu" in body and "Vérifier le chiffre" in body
    assert "3 changements depuis la révision 1 publiée" in body
    assert "<ins>Un nouveau point</ins>" in body and "**" not in body.split("<main")[1]
    assert "<del>Énoncé secret A</del>" in body  # r1's statement, gone from r2
    assert 'type="submit" class="button-large">Publier la révision 2</button>' in body


def test_a_first_publication_says_everything_is_new(world, editor):
    Synthesis.objects.filter(workshop=world.b.workshop).update(status=Status.APPROVED)
    body = editor.get(f"/ateliers/{world.b.workshop.slug}/synthese/publier/").content.decode()
    assert "Première publication" in body and "1 énoncé sera publié" in body
    assert "Aucun commentaire ouvert." in body


def test_confirming_publishes_once_and_tells_so(world, editor):
    draft = approved(world)
    body = editor.get(url(world, "publier/")).content.decode()
    response = editor.post(url(world, "publier/"), {"seen": seen(body)}, follow=True)
    assert "Révision 2 publiée" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED and draft.published_by == world.users.coordinator
    # The back button, then the button again (or a double click's second
    # request, whose answer may be the one the browser shows): nothing more
    # happens, and the page still says it is published.
    again = editor.post(url(world, "publier/"), {"seen": seen(body)}, follow=True)
    assert "Révision 2 publiée" in again.content.decode()
    assert draft.events.filter(after="published").count() == 1
    # A plain visit after it says nothing of the kind.
    assert (
        "Révision 2 publiée" not in editor.get(url(world, "publier/"), follow=True).content.decode()
    )


def test_a_comment_added_after_the_page_was_shown_stops_the_publication(world, editor):
    draft = approved(world)
    shown = seen(editor.get(url(world, "publier/")).content.decode())
    Comment.objects.create(
        statement=world.a.draft_statement, author=world.users.superuser, text="Attendez !"
    )
    response = editor.post(url(world, "publier/"), {"seen": shown})
    body = response.content.decode()
    assert response.status_code == 409 and "rien n'a été publié" in body
    assert "Attendez !" in body and "2 commentaires non résolus" in body
    assert Synthesis.objects.get(pk=draft.pk).status == Status.APPROVED
    response = editor.post(url(world, "publier/"), {"seen": seen(body)})
    assert Synthesis.objects.get(pk=draft.pk).status == Status.PUBLISHED


def test_a_revision_not_yet_approved_shows_the_list_without_the_button(world, editor):
    body = editor.get(url(world, "publier/")).content.decode()
    assert "Vérifier le chiffre" in body and "doit être approuvée" in body
    assert 'name="seen"' not in body
    response = editor.post(url(world, "publier/"), {"seen": "x"}, follow=True)
    assert "pas possible" in response.content.decode()
    assert Synthesis.objects.get(pk=world.a.draft.pk).status == Status.DRAFT


@pytest.mark.django_db(transaction=True)
def test_double_clicks_on_the_confirmation_publish_once(world):
    draft = approved(world)
    client = Client()
    client.force_login(world.users.coordinator)
    shown = seen(client.get(url(world, "publier/")).content.decode())
    barrier, statuses = threading.Barrier(6, timeout=30), []

    def click():
        client = Client()
        client.force_login(world.users.coordinator)
        barrier.wait()
        statuses.append(client.post(url(world, "publier/"), {"seen": shown}).status_code)
        connection.close()

    threads = [threading.Thread(target=click) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302] * 6
    assert draft.events.filter(after="published").count() == 1
    assert Synthesis.objects.filter(workshop=world.a.workshop, status="published").count() == 2


def test_publish_page_budget_does_not_grow(world, editor, django_assert_max_num_queries):
    approved(world)
    with django_assert_max_num_queries(14):
        editor.get(url(world, "publier/"))
    for i in range(30):
        statement = f.StatementFactory(section=world.a.draft_section, order=10 + i, text=f"E{i}")
        Comment.objects.create(statement=statement, author=world.users.coordinator, text=f"C{i}")
    with django_assert_max_num_queries(14):
        body = editor.get(url(world, "publier/")).content.decode()
    assert "31 commentaires non résolus" in body and "<ins>E29</ins>" in body


# --- "Compléter le brouillon" on a published revision -------------------------------------


def test_a_published_revision_offers_to_open_a_revision_and_complete_it(world, editor):
    Synthesis.objects.filter(pk=world.a.draft.pk).delete()  # r1, published, is the newest
    body = editor.get(url(world, "edition/")).content.decode()
    assert "Ouvrir une révision et compléter le brouillon" in body
    assert "crée la révision 2, copie de celle-ci" in body
    response = editor.post(url(world, "brouillon/"), {"open_revision": "1"}, follow=True)
    copy = Synthesis.objects.get(workshop=world.a.workshop, revision=2)
    assert copy.status == Status.DRAFT
    assert "Révision 2 ouverte : la version publiée reste en ligne" in response.content.decode()
    assert DraftJob.objects.filter(workshop=world.a.workshop).exists()
    published = Synthesis.objects.get(workshop=world.a.workshop, revision=1)
    assert published.status == Status.PUBLISHED
    assert Statement.objects.get(section__synthesis=published).text == "Énoncé secret A"


def test_completing_a_published_revision_without_saying_so_opens_nothing(world, editor):
    Synthesis.objects.filter(pk=world.a.draft.pk).delete()
    response = editor.post(url(world, "brouillon/"), headers={"HX-Request": "true"})
    assert response.status_code == 409
    assert not Synthesis.objects.filter(workshop=world.a.workshop, revision=2).exists()
    assert not DraftJob.objects.filter(workshop=world.a.workshop).exists()


def test_a_second_click_opens_no_second_revision(world, editor):
    Synthesis.objects.filter(pk=world.a.draft.pk).delete()
    for _ in range(2):
        editor.post(url(world, "brouillon/"), {"open_revision": "1"})
    assert list(world.a.workshop.syntheses.values_list("revision", flat=True)) == [2, 1]
