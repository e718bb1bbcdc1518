"""The synthesis editor: traceability, editing actions that never delete a
note, stale saves, review steps, publication and revisions."""

import pytest

from synthesis import diff
from synthesis.models import Statement, Status, Synthesis

from . import factories as f

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def editor(world, as_user):
    return as_user(world.users.coordinator)


def flash(response):
    """The messages the response leaves for the next page."""
    from django.contrib.messages import get_messages

    return [str(m) for m in get_messages(response.wsgi_request)]


def url(world, tail=""):
    return f"/ateliers/{world.a.workshop.slug}/synthese/{tail}"


def test_support_is_counted_from_the_links(world, editor):
    body = editor.get(url(world, "edition/")).content.decode()
    assert "soulevé par 2 groupes sur 2 · Temps 1" in body
    world.a.draft_statement.sources.remove(world.a.notes[1])
    body = editor.get(url(world, "edition/")).content.decode()
    assert "soulevé par 1 groupe sur 2 · Temps 1" in body and "1 signal faible" in body
    assert '<span class="badge badge-weak">Signal faible</span>' in body


def test_one_groups_point_close_to_another_groups_note_is_not_a_weak_signal(world, editor):
    """The draft marks a statement not isolated when a note of another group
    came near one of its notes: the clustering missed a partner, so it stays
    among the main statements (and the suggestions may offer the merge)."""
    world.a.draft_statement.sources.remove(world.a.notes[1])
    Statement.objects.filter(pk=world.a.draft_statement.pk).update(isolated=False)
    body = editor.get(url(world, "edition/")).content.decode()
    assert "soulevé par 1 groupe sur 2 · Temps 1" in body
    assert "signal faible" not in body.lower() and "badge-weak" not in body


def test_french_plurals_say_zero_in_the_singular(world, editor):
    body = editor.get(url(world, "edition/")).content.decode()
    assert "0 note non rattachée" in body


def test_source_notes_are_one_click_away(world, editor):
    body = editor.get(
        f"/enonces/{world.a.draft_statement.pk}/sources/", headers=HTMX
    ).content.decode()
    assert "Note secrète A1" in body and "Note secrète A2" in body


def test_an_edit_keeps_markup_and_bumps_the_version(world, editor):
    statement = world.a.draft_statement
    response = editor.post(
        f"/enonces/{statement.pk}/modifier/",
        {"text": "Le **portage** fort\n- un point", "version": 1},
        headers=HTMX,
    )
    assert "<strong>portage</strong>" in response.content.decode()
    statement.refresh_from_db()
    assert statement.version == 2


def test_a_stale_save_shows_both_texts_and_loses_neither(world, as_user):
    statement = world.a.draft_statement
    first = as_user(world.users.coordinator)
    first.post(f"/enonces/{statement.pk}/modifier/", {"text": "Texte de Lou", "version": 1})
    second = as_user(world.users.superuser)
    response = second.post(
        f"/enonces/{statement.pk}/modifier/", {"text": "Texte de Sam", "version": 1}, headers=HTMX
    )
    body = response.content.decode()
    assert response.status_code == 409
    assert "Texte de Lou" in body and "Texte de Sam" in body
    statement.refresh_from_db()
    assert statement.text == "Texte de Lou"


def test_merging_unites_sources_and_deletes_no_note(world, editor):
    one = world.a.draft_statement
    two = f.StatementFactory(section=one.section, order=2, text="Autre énoncé")
    extra = f.ContributionFactory(
        group=world.a.groups[0], question=world.a.question, text="Note en plus"
    )
    two.sources.set([extra])
    notes_before = set(type(extra).objects.values_list("pk", flat=True))
    editor.post(url(world, "selection/"), {"action": "merge", "statements": [one.pk, two.pk]})
    one.refresh_from_db()
    assert not Statement.objects.filter(pk=two.pk).exists()
    assert set(one.sources.values_list("text", flat=True)) == {
        "Note secrète A1",
        "Note secrète A2",
        "Note en plus",
    }
    assert "- Autre énoncé" in one.text
    assert set(type(extra).objects.values_list("pk", flat=True)) == notes_before


def test_splitting_moves_the_chosen_sources_to_a_new_statement(world, editor):
    one = world.a.draft_statement
    response = editor.post(f"/enonces/{one.pk}/scinder/", {"notes": [world.a.notes[1].pk]})
    assert response.status_code == 302
    new = Statement.objects.get(section=one.section, sources=world.a.notes[1])
    assert new.pk != one.pk and new.text == "Note secrète A2"
    assert list(one.sources.values_list("text", flat=True)) == ["Note secrète A1"]


def test_splitting_all_or_no_sources_is_refused(world, editor):
    one = world.a.draft_statement
    response = editor.post(f"/enonces/{one.pk}/scinder/", {"notes": [n.pk for n in world.a.notes]})
    assert response.status_code == 400 and "pas toutes, pas aucune" in response.content.decode()


def test_removing_a_statement_sends_its_notes_to_the_unassigned_panel(world, editor):
    one = world.a.draft_statement
    response = editor.post(f"/enonces/{one.pk}/retirer/")
    assert flash(response) == [
        "Énoncé retiré : ses 2 notes attendent dans « Notes non rattachées »."
    ]
    assert not Statement.objects.filter(pk=one.pk).exists()
    body = editor.get(url(world, "edition/")).content.decode()
    assert "2 notes non rattachées" in body and "Note secrète A1" in body
    assert set(world.a.draft.set_aside.all()) == set(world.a.notes)


def test_removing_a_statement_without_notes_says_so_in_good_french(world, editor):
    one = world.a.draft_statement
    lone = f.StatementFactory(section=one.section, order=3, text="Sans source")
    response = editor.post(f"/enonces/{lone.pk}/retirer/")
    assert flash(response) == ["Énoncé retiré."]


def test_an_unassigned_note_is_attached_to_a_statement(world, editor):
    one = world.a.draft_statement
    two = f.StatementFactory(section=one.section, order=2, text="Cible")
    editor.post(f"/enonces/{one.pk}/retirer/")
    response = editor.post(
        url(world, "rattacher/"), {"statement": two.pk, "notes": [world.a.notes[0].pk]}
    )
    assert flash(response)[-1] == "1 note rattachée."
    assert list(two.sources.all()) == [world.a.notes[0]]
    assert list(world.a.draft.set_aside.all()) == [world.a.notes[1]]


def test_notes_of_another_workshop_cannot_be_attached(world, editor):
    response = editor.post(
        url(world, "rattacher/"),
        {"statement": world.a.draft_statement.pk, "notes": [world.b.notes[0].pk]},
        follow=True,
    )
    assert "Cochez des notes de cet atelier" in response.content.decode()
    assert world.b.notes[0] not in world.a.draft_statement.sources.all()


def test_statements_move_to_another_section_and_reorder(world, editor):
    one = world.a.draft_statement
    other = f.SectionFactory(synthesis=world.a.draft, order=2, title="Autre rubrique")
    first = f.StatementFactory(section=other, order=1, text="Premier")
    editor.post(
        url(world, "selection/"), {"action": "move", "statements": [one.pk], "section": other.pk}
    )
    assert list(other.statements.order_by("order").values_list("text", flat=True)) == [
        "Premier",
        "Énoncé brouillon A",
    ]
    editor.post(f"/enonces/{one.pk}/ordre/", {"direction": "up"})
    assert list(other.statements.order_by("order").values_list("text", flat=True)) == [
        "Énoncé brouillon A",
        "Premier",
    ]
    assert first.sources.count() == 0


def test_comments_are_added_and_resolved(world, editor):
    statement = world.a.draft_statement
    editor.post(f"/enonces/{statement.pk}/commenter/", {"text": "Trop long"})
    comment = statement.comments.get(text="Trop long")
    body = editor.get(url(world, "edition/")).content.decode()
    assert "2 commentaires ouverts" in body
    editor.post(f"/commentaires/{comment.pk}/resoudre/")
    comment.refresh_from_db()
    assert comment.resolved_at is not None and comment.resolved_by == world.users.coordinator


def step(client, world, status):
    return client.post(url(world, "etat/"), {"status": status}, follow=True)


def seen(client, world):
    """What the publish confirmation page showed (its hidden `seen` field)."""
    body = client.get(url(world, "publier/")).content.decode()
    return body.split('name="seen" value="')[1].split('"')[0]


def test_review_steps_cannot_be_skipped_and_record_who_and_when(world, editor):
    draft = world.a.draft
    # Publishing goes through its confirmation, which needs an approved revision.
    assert "doit être approuvée" in step(editor, world, "published").content.decode()
    assert Synthesis.objects.get(pk=draft.pk).status == Status.DRAFT
    for status in ["in_review", "approved"]:
        step(editor, world, status)
        assert Synthesis.objects.get(pk=draft.pk).status == status
    editor.post(url(world, "publier/"), {"seen": seen(editor, world)})
    assert Synthesis.objects.get(pk=draft.pk).status == "published"
    draft.refresh_from_db()
    assert [(e.before, e.after, e.by) for e in draft.events.all()] == [
        ("draft", "in_review", world.users.coordinator),
        ("in_review", "approved", world.users.coordinator),
        ("approved", "published", world.users.coordinator),
    ]
    assert draft.published_by == world.users.coordinator
    body = editor.get(f"/ateliers/{world.a.workshop.slug}/synthese/").content.decode()
    assert "Énoncé brouillon A" in body  # r2 is now the published page


def test_editing_a_published_revision_needs_a_new_one_and_the_published_stays(world, editor):
    published = world.a.synthesis
    response = editor.post(
        f"/enonces/{world.a.statement.pk}/modifier/", {"text": "Changé", "version": 1}
    )
    assert response.status_code == 409
    world.a.statement.refresh_from_db()
    assert world.a.statement.text == "Énoncé secret A"
    Synthesis.objects.filter(pk=world.a.draft.pk).delete()
    editor.post(url(world, "revision/"))
    copy = Synthesis.objects.get(workshop=world.a.workshop, revision=2)
    statement = Statement.objects.get(section__synthesis=copy)
    assert statement.text == "Énoncé secret A"
    assert set(statement.sources.all()) == set(world.a.notes)
    editor.post(f"/enonces/{statement.pk}/modifier/", {"text": "Changé", "version": 1})
    assert "Énoncé secret A" in editor.get(url(world)).content.decode()  # still published
    assert published.sections.get().statements.get().text == "Énoncé secret A"


def test_history_shows_what_changed_between_two_revisions(world, editor):
    statement = world.a.draft_statement
    f.StatementFactory(section=world.a.draft_section, order=3, text="Nouvel énoncé")
    statement.edit(version=1, text="Énoncé brouillon A revu")
    body = editor.get(url(world, "historique/"), {"de": 1, "a": 2}).content.decode()
    assert "Nouvel énoncé" in body and "<ins>" in body


def test_history_shows_the_text_without_its_markup(world, editor):
    statement = world.a.draft_statement
    f.StatementFactory(section=world.a.draft_section, order=3, text="Un **nouvel** énoncé")
    statement.edit(version=1, text="Énoncé **brouillon** A revu")
    body = editor.get(url(world, "historique/"), {"de": 1, "a": 2}).content.decode()
    assert "<ins>Un nouvel énoncé</ins>" in body and "Énoncé brouillon A revu" in body
    assert "**" not in body


def test_diff_by_words():
    assert diff.words("le portage politique", "le portage local") == [
        ("same", "le portage"),
        ("del", "politique"),
        ("ins", "local"),
    ]


def test_editor_budget_does_not_grow_with_the_notes(world, editor, django_assert_max_num_queries):
    with django_assert_max_num_queries(16):
        editor.get(url(world, "edition/"))
    group = world.a.groups[0]
    from atelier.models import Contribution

    notes = Contribution.objects.bulk_create(
        [
            Contribution(group=group, question=world.a.question, kind="obstacle", text=f"N{i}")
            for i in range(10_000)
        ]
    )
    for i in range(20):
        s = f.StatementFactory(section=world.a.draft_section, order=10 + i, text=f"E{i}")
        s.sources.set(notes[i * 500 : (i + 1) * 500])
    with django_assert_max_num_queries(16):
        response = editor.get(url(world, "edition/"))
    assert response.content.decode().count('class="statement-card') == 21


def test_support_names_peer_groups_and_counts_deleted_sources(world, editor):
    group = world.a.groups[1]
    group.actor_type = f.ActorTypeFactory(name="Élus & agents")
    group.save()
    world.a.notes[1].soft_delete()  # a source deleted by its group still raised the point
    body = editor.get(url(world, "edition/")).content.decode()
    assert "soulevé par 2 groupes sur 2 · Temps 1 · Élus &amp; agents" in body


def test_waiting_notes_are_counted_and_listed(world, editor):
    from atelier.models import Contribution

    late = Contribution.objects.create(
        group=world.a.groups[0], question=world.a.question, kind="lesson", text="Note tardive"
    )
    Contribution.objects.create(
        group=world.a.groups[0], question=world.a.question, kind="lesson", text="Effacée"
    ).soft_delete()
    body = editor.get(url(world, "edition/")).content.decode()
    assert "1 note non rattachée" in body and f'value="{late.pk}" id="note-{late.pk}"' in body
    assert "Effacée" not in body


def test_statement_buttons_post_through_the_page_form(world, editor):
    one = world.a.draft_statement
    body = editor.get(url(world, "edition/")).content.decode()
    shared = body.split('<form id="statement-actions"')[1].split("</form>")[0]
    assert 'name="csrfmiddlewaretoken"' in shared
    up = (
        f'form="statement-actions" formaction="/enonces/{one.pk}/ordre/" name="direction"'
        ' value="up"'
    )
    assert up in body
    assert f'form="statement-actions" formaction="/enonces/{one.pk}/retirer/"' in body
    # What the browser sends for that button: the form's token, the button's value.
    token = shared.split('value="')[1].split('"')[0]
    response = editor.post(
        f"/enonces/{one.pk}/ordre/", {"csrfmiddlewaretoken": token, "direction": "up"}
    )
    assert response.status_code == 302


def test_a_published_revision_shows_no_statement_actions(world, editor):
    from synthesis.models import Synthesis

    Synthesis.objects.filter(pk=world.a.draft.pk).delete()  # r1, published, is the newest
    body = editor.get(url(world, "edition/")).content.decode()
    assert 'class="statement-card' in body and "Énoncé secret A" in body
    assert 'id="statement-actions"' not in body and "formaction=" not in body
    assert 'class="comment-form"' in body  # commenting stays open


def test_statement_text_is_sanitised_in_the_editor(world, editor):
    f.StatementFactory(
        section=world.a.draft_section, order=5, text="**gras** <script>alert(1)</script>"
    )
    body = editor.get(url(world, "edition/")).content.decode()
    assert "<strong>gras</strong>" in body and "<script>alert" not in body
    assert "Sélectionner « **gras** &lt;script&gt;alert(1)&lt;/script&gt; »" in body


def test_a_source_from_another_workshop_counts_but_never_waits_here(world, editor):
    world.a.draft_statement.sources.add(world.b.notes[0])
    body = editor.get(url(world, "edition/")).content.decode()
    assert "soulevé par 3 groupes sur 2 · Temps 1" in body
    assert "Toutes les notes sont dans un énoncé." in body and "Note secrète B1" not in body


# --- One order everywhere: weak signals stay in place (docs/decisions.md) ---------------


def _weak_and_strong(world):
    """Section A's draft: a weak signal (one group) before two statements
    raised by both groups, the reference document's word order."""
    section = world.a.draft_section
    Statement.objects.filter(pk=world.a.draft_statement.pk).update(order=2)
    weak = f.StatementFactory(section=section, order=1, text="Signal du seul groupe un")
    weak.sources.set([world.a.notes[0]])
    later = f.StatementFactory(section=section, order=5, text="Énoncé partagé plus loin")
    later.sources.set(world.a.notes)
    return weak, later


def test_weak_signals_stay_in_the_statements_order_with_a_badge(world, editor):
    weak, later = _weak_and_strong(world)
    body = editor.get(url(world, "edition/")).content.decode()
    cards = [body.index(f'id="enonce-{pk}"') for pk in (weak.pk, world.a.draft_statement.pk)]
    assert cards[0] < cards[1] < body.index(f'id="enonce-{later.pk}"')
    card = body.split(f'id="enonce-{weak.pk}"')[1].split("</li>")[0]
    assert "Signal faible" in card
    assert "1 signal faible" in body.split('id="section-title-')[1].split("</h2>")[0]


def test_the_editor_shows_the_statements_in_the_published_order(world, editor):
    weak, later = _weak_and_strong(world)
    for status in ["in_review", "approved"]:
        step(editor, world, status)
    editor.post(url(world, "publier/"), {"seen": seen(editor, world)})
    published = editor.get(url(world)).content.decode()
    shown = editor.get(url(world, "edition/")).content.decode()
    texts = [weak.text, "Énoncé brouillon A", later.text]
    assert sorted(texts, key=published.index) == texts
    assert sorted(texts, key=shown.index) == texts


def test_opening_an_approved_statements_edit_form_changes_nothing(world, editor):
    """Issue 16: a GET (a prefetch, a crawler, the edit form) never sends an
    approved revision back to draft; the first save does, and the history says who."""
    draft = world.a.draft
    Synthesis.objects.filter(pk=draft.pk).update(status=Status.APPROVED)
    statement = world.a.draft_statement
    for path in ["modifier/", "scinder/"]:
        response = editor.get(f"/enonces/{statement.pk}/{path}")
        assert response.status_code == 200 and "Énoncé brouillon A" in response.content.decode()
        response = editor.get(f"/enonces/{statement.pk}/{path}", headers=HTMX)
        assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.status == Status.APPROVED and not draft.events.exists()
    editor.post(f"/enonces/{statement.pk}/modifier/", {"text": "Énoncé revu", "version": 1})
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert [(e.before, e.after, e.by) for e in draft.events.all()] == [
        ("approved", "draft", world.users.coordinator)
    ]
    event = draft.events.get()
    body = editor.get(url(world, "historique/")).content.decode()
    assert f"{event.get_after_display()} (" in body  # listed among r2's steps


# --- Actions answer with the parts they changed, not the 14,000-pixel page --------------


def _second_statement(world, text="Deuxième énoncé"):
    statement = f.StatementFactory(section=world.a.draft_section, order=2, text=text)
    note = f.ContributionFactory(
        group=world.a.groups[1], question=world.a.question, text="Note du groupe deux"
    )
    statement.sources.set([note])
    return statement


def test_a_merge_answers_with_its_section_only(world, editor):
    one, two = world.a.draft_statement, _second_statement(world)
    for i in range(40):  # a bigger editor: what the merge does not send grows
        f.StatementFactory(section=f.SectionFactory(synthesis=world.a.draft, order=2 + i))
    page = editor.get(url(world, "edition/")).content
    data = {"action": "merge", "statements": [one.pk, two.pk], "origin": world.a.draft_section.pk}
    response = editor.post(url(world, "selection/"), data, headers=HTMX)
    body = response.content.decode()
    assert response["HX-Retarget"] == f"#rubrique-{world.a.draft_section.pk}"
    assert response["HX-Reswap"] == "innerHTML"
    assert "<html" not in body and body.count('class="statement-card') == 1
    assert "Énoncés fusionnés : leurs notes sont réunies." in body
    assert f'id="enonce-{one.pk}"' in body and "Deuxième énoncé" in body
    assert len(response.content) * 8 < len(page), (len(response.content), len(page))
    assert not Statement.objects.filter(pk=two.pk).exists()


def test_without_javascript_a_merge_still_redirects(world, editor):
    one, two = world.a.draft_statement, _second_statement(world)
    response = editor.post(
        url(world, "selection/"), {"action": "merge", "statements": [one.pk, two.pk]}
    )
    assert response.status_code == 302 and response["Location"].endswith(f"#enonce-{one.pk}")


def test_a_move_swaps_both_sections(world, editor):
    other = f.SectionFactory(synthesis=world.a.draft, order=2, title="Autre rubrique")
    data = {
        "action": "move",
        "statements": [world.a.draft_statement.pk],
        "section": other.pk,
        "origin": world.a.draft_section.pk,
    }
    body = editor.post(url(world, "selection/"), data, headers=HTMX).content.decode()
    origin, moved = body.split(f'hx-swap-oob="innerHTML:#rubrique-{other.pk}"')
    assert "Énoncés déplacés vers « Autre rubrique »" in origin
    assert "Énoncé brouillon A" not in origin and "Énoncé brouillon A" in moved


def test_a_refused_merge_says_why_in_its_section(world, editor):
    data = {
        "action": "merge",
        "statements": [world.a.draft_statement.pk],
        "origin": world.a.draft_section.pk,
    }
    body = editor.post(url(world, "selection/"), data, headers=HTMX).content.decode()
    assert 'role="alert"' in body and "Cochez au moins deux énoncés à fusionner." in body


def test_reorder_and_remove_answer_with_the_section(world, editor):
    one, two = world.a.draft_statement, _second_statement(world)
    response = editor.post(f"/enonces/{two.pk}/ordre/", {"direction": "up"}, headers=HTMX)
    body = response.content.decode()
    assert response["HX-Retarget"] == f"#rubrique-{world.a.draft_section.pk}"
    assert body.index(f'id="enonce-{two.pk}"') < body.index(f'id="enonce-{one.pk}"')
    assert "Énoncé monté d&#x27;un rang." in body or "Énoncé monté d'un rang." in body
    response = editor.post(f"/enonces/{two.pk}/retirer/", headers=HTMX)
    body = response.content.decode()
    assert f'id="enonce-{two.pk}"' not in body and "<html" not in body
    # The unassigned notes, swapped out of band, now list the removed statement's note.
    aside = body.split('<aside class="unassigned" id="non-rattachees"')[1]
    assert 'hx-swap-oob="true"' in aside.split(">")[0] and "1 note non rattachée" in aside


def test_attaching_notes_answers_with_the_section_and_the_waiting_notes(world, editor):
    from atelier.models import Contribution

    late = Contribution.objects.create(
        group=world.a.groups[0], question=world.a.question, kind="lesson", text="Note tardive"
    )
    data = {"statement": world.a.draft_statement.pk, "notes": [late.pk]}
    response = editor.post(url(world, "rattacher/"), data, headers=HTMX)
    body = response.content.decode()
    assert response["HX-Retarget"] == f"#rubrique-{world.a.draft_section.pk}"
    assert "1 note rattachée." in body and "Toutes les notes sont dans un énoncé." in body
    response = editor.post(url(world, "rattacher/"), {"notes": [late.pk]}, headers=HTMX)
    assert response["HX-Retarget"] == "#non-rattachees"
    assert "Choisissez l&#x27;énoncé où rattacher les notes." in response.content.decode()


def test_an_action_on_a_published_revision_reloads_the_editor(world, editor):
    Synthesis.objects.filter(pk=world.a.draft.pk).delete()
    response = editor.post(
        f"/enonces/{world.a.statement.pk}/ordre/", {"direction": "up"}, headers=HTMX
    )
    assert response.status_code == 409 and response["HX-Refresh"] == "true"


def test_section_swap_budget_does_not_grow(world, editor, django_assert_max_num_queries):
    two = _second_statement(world)
    with django_assert_max_num_queries(24):
        editor.post(f"/enonces/{two.pk}/ordre/", {"direction": "up"}, headers=HTMX)
    for i in range(30):
        s = f.StatementFactory(section=world.a.draft_section, order=10 + i, text=f"E{i}")
        s.sources.set([world.a.notes[i % 2]])
    with django_assert_max_num_queries(24):
        body = editor.post(f"/enonces/{two.pk}/ordre/", {"direction": "down"}, headers=HTMX)
    assert body.content.decode().count('class="statement-card') == 32


def test_a_split_happens_in_place_of_the_card(world, editor):
    statement = world.a.draft_statement
    form = editor.get(f"/enonces/{statement.pk}/scinder/", headers=HTMX)
    assert form["HX-Retarget"] == f"#enonce-{statement.pk}" and "<html" not in form.content.decode()
    assert (
        f'value="{world.a.notes[1].pk}" id="split-{world.a.notes[1].pk}"' in form.content.decode()
    )
    refused = editor.post(f"/enonces/{statement.pk}/scinder/", {}, headers=HTMX)
    assert refused.status_code == 400 and refused["HX-Retarget"] == f"#enonce-{statement.pk}"
    assert "pas toutes, pas aucune" in refused.content.decode()
    response = editor.post(
        f"/enonces/{statement.pk}/scinder/", {"notes": [world.a.notes[1].pk]}, headers=HTMX
    )
    body = response.content.decode()
    assert response["HX-Retarget"] == f"#rubrique-{world.a.draft_section.pk}"
    assert "Énoncé scindé." in body and body.count('class="statement-card') == 2
    assert "<html" not in body
