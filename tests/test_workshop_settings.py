"""A workshop's life for the coordination, without the admin: create one (from
scratch or from an earlier one's structure), set its rounds and questions,
archive it."""

import datetime
import html

import pytest

from atelier.models import GroupingMode, Kind, Question, Role, Round, Workshop

from . import factories as f


@pytest.fixture
def coordinator(db):
    return f.UserFactory(username="coord", role=Role.COORDINATOR)


@pytest.fixture
def earlier(db):
    """An earlier workshop with two rounds, questions, people, groups and a note."""
    workshop = f.WorkshopFactory(title="Atelier de Roubaix", slug="atelier-de-roubaix")
    first = f.RoundFactory(
        workshop=workshop, order=1, title="Brassage", grouping_mode=GroupingMode.RANDOM
    )
    second = f.RoundFactory(
        workshop=workshop, order=2, title="Entre pairs", grouping_mode=GroupingMode.PEER
    )
    questions = [
        f.QuestionFactory(
            round=first, order=1, title="Ce qui marche", default_kind=Kind.SUCCESS_FACTOR
        ),
        f.QuestionFactory(round=first, order=2, title="Ce qui freine", default_kind=Kind.OBSTACLE),
        f.QuestionFactory(
            round=second, order=1, title="Nos engagements", default_kind=Kind.COMMITMENT
        ),
    ]
    person = f.ParticipantFactory(workshop=workshop, first_name="Awa", last_name="Diallo")
    group = f.WorkingGroupFactory(round=first, number=1)
    group.members.add(person)
    f.ContributionFactory(
        group=group, question=questions[0], kind=Kind.SUCCESS_FACTOR, text="Une note"
    )
    workshop.first, workshop.second, workshop.questions = first, second, questions
    return workshop


@pytest.fixture
def coord_client(client, coordinator):
    client.force_login(coordinator)
    return client


def text(response):
    """The page as people read it (the apostrophes unescaped)."""
    return html.unescape(response.content.decode())


def settings_url(workshop):
    return f"/ateliers/{workshop.slug}/reglages/"


def structure(workshop):
    return [
        (
            r.order,
            r.title,
            r.grouping_mode,
            [(q.order, q.title, q.default_kind) for q in r.questions.order_by("order")],
        )
        for r in workshop.rounds.order_by("order")
    ]


NEW = {"title": "Atelier de Lens", "date": "2021-03-12", "format": "online", "territory_label": ""}


def test_a_coordinator_creates_a_workshop_from_scratch(coord_client, db):
    carrier = f.OrganisationFactory(name="Centre social du Nord")
    response = coord_client.post(
        "/ateliers/nouveau/", {**NEW, "is_public": "on", "carriers": [carrier.pk]}, follow=True
    )
    workshop = Workshop.objects.get(title="Atelier de Lens")
    assert workshop.slug == "atelier-de-lens"
    assert workshop.date == datetime.date(2021, 3, 12)
    assert workshop.is_public and workshop.territory is None
    assert list(workshop.carriers.all()) == [carrier]
    assert not workshop.rounds.exists()
    assert response.redirect_chain[-1][0] == "/ateliers/atelier-de-lens/reglages/"
    assert "L'atelier « Atelier de Lens » est créé." in text(response)


def test_a_local_workshop_names_its_territory(coord_client, db):
    nord = f.TerritoryFactory(name="Nord", code="59")
    coord_client.post("/ateliers/nouveau/", {**NEW, "territory_label": "59"})
    assert Workshop.objects.get(title="Atelier de Lens").territory == nord


def test_the_slug_is_unique_and_never_nouveau(coord_client, earlier):
    coord_client.post("/ateliers/nouveau/", {**NEW, "title": "Atelier de Roubaix"})
    coord_client.post("/ateliers/nouveau/", {**NEW, "title": "Nouveau"})
    assert Workshop.objects.filter(title="Atelier de Roubaix").count() == 2
    assert Workshop.objects.filter(slug="atelier-de-roubaix-2").exists()
    assert Workshop.objects.get(title="Nouveau").slug == "nouveau-2"


def test_a_copy_takes_rounds_modes_and_questions_and_nothing_else(coord_client, earlier):
    coord_client.post("/ateliers/nouveau/", {**NEW, "copy_from": earlier.pk})
    copy = Workshop.objects.get(title="Atelier de Lens")
    assert structure(copy) == structure(earlier)
    assert structure(copy)[1][2] == GroupingMode.PEER
    assert not copy.participants.exists()
    assert not Round.objects.filter(workshop=copy, groups__isnull=False).exists()
    assert not Question.objects.filter(round__workshop=copy, contributions__isnull=False).exists()
    # The earlier workshop keeps everything.
    assert earlier.participants.count() == 1
    assert earlier.first.groups.count() == 1


def test_the_creation_form_offers_earlier_workshops(coord_client, earlier):
    body = text(coord_client.get("/ateliers/nouveau/"))
    assert "Reprendre la structure de l'atelier" in body
    assert "Atelier de Roubaix" in body
    assert "Ajouter une structure" in body  # partners and their logos, without the admin


def test_errors_are_french_and_beside_the_field(coord_client, db):
    response = coord_client.post(
        "/ateliers/nouveau/",
        {"title": "", "date": "", "format": "online", "territory_label": "Atlantide"},
    )
    assert response.status_code == 400
    body = text(response)
    assert "Donnez un titre à l'atelier." in body
    assert "Donnez la date de l'atelier." in body
    assert "Territoire inconnu : donnez un nom ou un code officiel." in body
    assert 'id="id_title_error"' in body
    assert not Workshop.objects.exists()


def test_a_coordinator_edits_the_workshop(coord_client, earlier):
    response = coord_client.post(
        settings_url(earlier),
        {
            "title": "Atelier de Roubaix (bis)",
            "date": "2021-02-01",
            "format": "hybrid",
            "territory_label": "",
        },
        follow=True,
    )
    earlier.refresh_from_db()
    assert earlier.title == "Atelier de Roubaix (bis)"
    assert earlier.format == "hybrid"
    assert earlier.slug == "atelier-de-roubaix"  # addresses already shared keep working
    assert "Les réglages de l'atelier sont enregistrés." in text(response)


def test_the_settings_page_shows_rounds_and_questions(coord_client, earlier):
    body = coord_client.get(settings_url(earlier)).content.decode()
    for text in ["Temps 1 — Brassage", "Temps 2 — Entre pairs", "Ce qui marche", "Nos engagements"]:
        assert text in body
    assert f'action="/temps/{earlier.first.pk}/reglages/retirer/"' in body
    assert "Awa" not in body


def test_rounds_and_questions_are_added_and_renamed(coord_client, earlier):
    coord_client.post(
        f"/ateliers/{earlier.slug}/reglages/temps/",
        {"new-round-title": "Conclusion", "new-round-grouping_mode": "manual"},
    )
    third = earlier.rounds.get(order=3)
    assert (third.title, third.grouping_mode) == ("Conclusion", "manual")
    coord_client.post(
        f"/temps/{third.pk}/consignes/",
        {
            f"new-question-{third.pk}-title": "Et après ?",
            f"new-question-{third.pk}-default_kind": "lesson",
        },
    )
    question = third.questions.get()
    assert (question.order, question.title, question.default_kind) == (1, "Et après ?", "lesson")
    coord_client.post(
        f"/consignes/{question.pk}/",
        {
            f"question-{question.pk}-title": "Et demain ?",
            f"question-{question.pk}-default_kind": "commitment",
        },
    )
    question.refresh_from_db()
    assert (question.title, question.default_kind) == ("Et demain ?", "commitment")
    coord_client.post(
        f"/temps/{third.pk}/reglages/",
        {f"round-{third.pk}-title": "Clôture", f"round-{third.pk}-grouping_mode": "peer"},
    )
    third.refresh_from_db()
    assert (third.title, third.grouping_mode) == ("Clôture", "peer")


def test_an_empty_question_is_refused_in_french_beside_it(coord_client, earlier):
    question = earlier.questions[1]
    response = coord_client.post(
        f"/consignes/{question.pk}/",
        {f"question-{question.pk}-title": "", f"question-{question.pk}-default_kind": "obstacle"},
    )
    assert response.status_code == 400
    body = text(response)
    assert f'id="id_question-{question.pk}-title_error">Écrivez la consigne.' in body
    question.refresh_from_db()
    assert question.title == "Ce qui freine"


def test_rounds_and_questions_move_up_and_down(coord_client, earlier):
    coord_client.post(f"/temps/{earlier.second.pk}/reglages/deplacer/", {"direction": "up"})
    assert [r.title for r in earlier.rounds.order_by("order")] == ["Entre pairs", "Brassage"]
    coord_client.post(f"/consignes/{earlier.questions[0].pk}/deplacer/", {"direction": "down"})
    titles = list(earlier.first.questions.order_by("order").values_list("title", flat=True))
    assert titles == ["Ce qui freine", "Ce qui marche"]
    # Already last: nothing moves, nothing breaks.
    response = coord_client.post(
        f"/consignes/{earlier.questions[0].pk}/deplacer/", {"direction": "down"}
    )
    assert response.status_code == 302
    assert list(earlier.first.questions.order_by("order").values_list("order", flat=True)) == [1, 2]


def test_a_move_needs_a_direction(coord_client, earlier):
    response = coord_client.post(
        f"/temps/{earlier.first.pk}/reglages/deplacer/", {"direction": "sideways"}
    )
    assert response.status_code == 400


def test_a_question_with_notes_cannot_be_removed(coord_client, earlier):
    question = earlier.questions[0]
    response = coord_client.post(f"/consignes/{question.pk}/retirer/")
    assert response.status_code == 409
    body = text(response)
    refusal = "Des notes répondent à cette consigne : elle ne peut pas être retirée."
    assert refusal in body
    # Beside the question, not at the top of the page.
    assert body.index(f'id="consigne-{question.pk}"') < body.index(refusal)
    assert body.index(refusal) < body.index(f'id="consigne-{earlier.questions[1].pk}"')
    assert Question.objects.filter(pk=question.pk).exists()


def test_a_deleted_note_still_keeps_its_question(coord_client, earlier):
    earlier.questions[0].contributions.get().soft_delete()
    coord_client.post(f"/consignes/{earlier.questions[0].pk}/retirer/")
    assert Question.objects.filter(pk=earlier.questions[0].pk).exists()


def test_a_round_whose_groups_hold_notes_cannot_be_removed(coord_client, earlier):
    response = coord_client.post(f"/temps/{earlier.first.pk}/reglages/retirer/")
    assert response.status_code == 409
    assert "Des notes ont été écrites dans ce temps : il ne peut pas être retiré." in text(response)
    assert Round.objects.filter(pk=earlier.first.pk).exists()


def test_a_question_without_notes_is_removed_and_the_others_renumbered(coord_client, earlier):
    extra = f.QuestionFactory(round=earlier.first, order=3, title="Une de trop")
    coord_client.post(f"/consignes/{earlier.questions[1].pk}/retirer/")
    rows = list(earlier.first.questions.order_by("order").values_list("order", "title"))
    assert rows == [(1, "Ce qui marche"), (2, extra.title)]


def test_a_round_without_notes_is_removed_with_its_empty_groups(coord_client, earlier):
    f.WorkingGroupFactory(round=earlier.second, number=1)
    response = coord_client.post(f"/temps/{earlier.second.pk}/reglages/retirer/", follow=True)
    assert list(earlier.rounds.values_list("title", flat=True)) == ["Brassage"]
    assert "Temps 2 est retiré." in text(response)


def test_removing_the_first_round_renumbers_the_next(coord_client, db):
    workshop = f.WorkshopFactory()
    first, second = (f.RoundFactory(workshop=workshop, order=n) for n in (1, 2))
    coord_client.post(f"/temps/{first.pk}/reglages/retirer/")
    second.refresh_from_db()
    assert second.order == 1 and second.label == "Temps 1"


def test_an_archived_workshop_stays_readable(coord_client, earlier):
    response = coord_client.post(
        f"/ateliers/{earlier.slug}/reglages/archive/", {"archived": "1"}, follow=True
    )
    earlier.refresh_from_db()
    assert earlier.archived_at is not None
    assert "L'atelier est archivé : il reste lisible." in text(response)
    assert coord_client.get(f"/ateliers/{earlier.slug}/").status_code == 200
    coord_client.post(f"/ateliers/{earlier.slug}/reglages/archive/", {"archived": "0"})
    earlier.refresh_from_db()
    assert earlier.archived_at is None


def test_the_home_and_the_workshop_page_link_to_the_new_pages(coord_client, earlier):
    assert 'href="/ateliers/nouveau/"' in text(coord_client.get("/"))
    assert f'href="{settings_url(earlier)}"' in text(coord_client.get(f"/ateliers/{earlier.slug}/"))


def test_an_animator_sees_no_settings_link(client, earlier):
    animator = f.UserFactory(username="anim")
    earlier.first.groups.get().animators.add(animator)
    client.force_login(animator)
    assert settings_url(earlier) not in text(client.get(f"/ateliers/{earlier.slug}/"))
    assert "/ateliers/nouveau/" not in text(client.get("/"))


def _grow(workshop, rounds, questions):
    for n in range(rounds):
        round_ = workshop.add_round(title=f"Temps ajouté {n}")
        for m in range(questions):
            round_.add_question(title=f"Consigne {n}.{m}")


def test_the_settings_page_costs_the_same_whatever_its_size(
    coord_client, earlier, django_assert_max_num_queries
):
    f.OrganisationFactory.create_batch(3)
    with django_assert_max_num_queries(14) as small:
        coord_client.get(settings_url(earlier))
    _grow(earlier, rounds=6, questions=5)
    with django_assert_max_num_queries(len(small)) as large:
        response = coord_client.get(settings_url(earlier))
    assert "Consigne 5.4" in text(response)
    assert len(large) == len(small)


def test_a_refused_removal_costs_the_same_whatever_the_size(
    coord_client, earlier, django_assert_max_num_queries
):
    _grow(earlier, rounds=5, questions=5)
    with django_assert_max_num_queries(16):
        response = coord_client.post(f"/consignes/{earlier.questions[0].pk}/retirer/")
    assert response.status_code == 409


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_the_browser_a_coordinator_creates_a_workshop_by_copy_with_the_keyboard(
    page, live_server
):
    from .browser import assert_accessible, log_in

    coordinator = f.UserFactory(username="coord", role=Role.COORDINATOR)
    earlier = f.WorkshopFactory(title="Atelier de Roubaix", slug="atelier-de-roubaix")
    first = f.RoundFactory(workshop=earlier, order=1, grouping_mode=GroupingMode.PEER)
    f.QuestionFactory(round=first, order=1, title="Ce qui marche")
    log_in(page.context, live_server, coordinator)
    page.goto("/")
    link = page.get_by_role("link", name="Nouvel atelier")
    link.focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Nouvel atelier").wait_for()
    assert_accessible(page)
    page.get_by_label("Reprendre la structure de l'atelier").focus()
    page.keyboard.press("ArrowDown")  # the first earlier workshop
    page.keyboard.press("Tab")
    page.keyboard.type("Atelier de Lens")
    page.keyboard.press("Tab")
    # Chromium orders the date's parts by its own locale, not the page's:
    # a day equal to the month reads the same either way.
    page.keyboard.type("12122021")
    page.get_by_role("button", name="Créer l'atelier").focus()
    page.keyboard.press("Enter")
    page.get_by_text("L'atelier « Atelier de Lens » est créé.").wait_for()
    assert_accessible(page)
    copy = Workshop.objects.get(title="Atelier de Lens")
    assert copy.date == datetime.date(2021, 12, 12)
    assert structure(copy) == structure(earlier)
