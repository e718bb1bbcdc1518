"""Inviting animators by e-mail, and choosing a password (after an invitation
or when it is forgotten) through Django's password-reset pages."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from atelier.models import Role, User

pytestmark = pytest.mark.django_db

CAMILLE = {"first_name": "Camille", "last_name": "Roux", "email": "Camille.Roux@example.org"}


def invite_url(w):
    return f"/temps/{w.a.round.pk}/groupes/inviter/"


def link_in(message):
    return re.search(r"https?://[^/\s]+(/mot-de-passe/\S+/)", message.body).group(1)


def without_csrf(response):
    # The CSRF token and the CSP nonce differ on every response by design.
    return re.sub(r'(X-CSRFToken": |value=|nonce=)"[^"]+"', "", response.content.decode())


@pytest.fixture
def coordinator(world, as_user):
    return as_user(world.users.coordinator)


def test_invite_creates_an_animator_without_password_and_sends_one_french_email(world, coordinator):
    response = coordinator.post(invite_url(world), CAMILLE, follow=True)

    assert "Invitation envoyée à Camille Roux" in response.content.decode()
    user = User.objects.get(email="camille.roux@example.org")
    assert user.role == Role.ANIMATOR
    assert (user.first_name, user.last_name) == ("Camille", "Roux")
    assert not user.has_usable_password()
    assert user.invited_at is not None
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["camille.roux@example.org"]
    assert message.subject == "Atelier : vous êtes invité·e à animer"
    assert "Bonjour Camille," in message.body
    assert "choisissez votre mot de passe" in message.body
    assert "Ce lien est valable 3 jours" in message.body
    assert "http://testserver/mot-de-passe/" in message.body


def test_the_link_sets_a_password_then_the_person_logs_in(world, coordinator, client):
    coordinator.post(invite_url(world), CAMILLE)
    link = link_in(mail.outbox[0])
    client.logout()

    page = client.get(link, follow=True)
    assert "Choisir un mot de passe" in page.content.decode()
    assert "camille.roux@example.org" in page.content.decode()
    form_url = page.redirect_chain[-1][0]
    done = client.post(
        form_url,
        {"new_password1": "grand-vent-sur-Roubaix", "new_password2": "grand-vent-sur-Roubaix"},
        follow=True,
    )
    assert "Mot de passe enregistré" in done.content.decode()
    assert done.redirect_chain[-1][0] == "/mot-de-passe/fait/"

    login = client.post(
        "/connexion/",
        {"username": "camille.roux@example.org", "password": "grand-vent-sur-Roubaix"},
    )
    assert login.status_code == 302
    assert client.get("/").context["user"].email == "camille.roux@example.org"
    # The link served once.
    assert "plus valable" in client.get(link, follow=True).content.decode()


def test_inviting_twice_sends_one_email_and_offers_to_resend(world, coordinator):
    coordinator.post(invite_url(world), CAMILLE)
    second = coordinator.post(invite_url(world), CAMILLE)

    body = second.content.decode()
    assert second.status_code == 200
    assert "a déjà été invité·e le" in body
    assert "Renvoyer" in body
    assert len(mail.outbox) == 1
    assert User.objects.filter(email__iexact=CAMILLE["email"]).count() == 1

    coordinator.post(invite_url(world), {**CAMILLE, "resend": "on"})
    assert len(mail.outbox) == 2


def test_an_expired_invitation_is_sent_again(world, coordinator, settings):
    coordinator.post(invite_url(world), CAMILLE)
    past = timezone.now() - timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 1)
    User.objects.filter(email__iexact=CAMILLE["email"]).update(invited_at=past)

    coordinator.post(invite_url(world), CAMILLE)
    assert len(mail.outbox) == 2


def test_an_existing_user_is_not_duplicated_nor_emailed(world, coordinator):
    anim = world.users.other_animator
    anim.email = "anim2@example.org"
    anim.save()

    response = coordinator.post(
        invite_url(world), {**CAMILLE, "email": "ANIM2@example.org"}, follow=True
    )

    assert "a déjà un compte" in response.content.decode()
    assert User.objects.filter(email__iexact="anim2@example.org").count() == 1
    assert mail.outbox == []


def test_an_invalid_email_is_refused_in_french(world, coordinator):
    response = coordinator.post(invite_url(world), {**CAMILLE, "email": "pas-une-adresse"})
    assert response.status_code == 400
    assert "Saisissez une adresse de courriel valide" in response.content.decode()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("role", "status"),
    [("animator", 403), ("delegate_a", 403), ("animator_elsewhere", 404), ("delegate_b", 404)],
)
def test_only_coordinators_may_invite(world, as_user, role, status):
    client = as_user(getattr(world.users, role))
    response = client.post(invite_url(world), CAMILLE)
    assert response.status_code == status
    assert not User.objects.filter(email__iexact=CAMILLE["email"]).exists()
    assert mail.outbox == []


def test_anonymous_cannot_invite(world, client):
    assert client.post(invite_url(world), CAMILLE).status_code == 302
    assert mail.outbox == []


def test_the_invited_person_is_offered_on_the_groups_page_and_assigning_sends_nothing(
    world, coordinator
):
    coordinator.post(invite_url(world), CAMILLE)
    page = coordinator.get(f"/temps/{world.a.round.pk}/groupes/").content.decode()
    assert "Camille Roux (invité·e)" in page

    camille = User.objects.get(email__iexact=CAMILLE["email"])
    group = world.a.groups[0]
    coordinator.post(f"/groupes/{group.pk}/animation/", {"animators": [camille.pk]})
    assert list(group.animators.all()) == [camille]
    assert len(mail.outbox) == 1  # the invitation only


def test_groups_page_offers_the_invitation_form(world, coordinator):
    page = coordinator.get(f"/temps/{world.a.round.pk}/groupes/").content.decode()
    assert "Inviter un·e animateur·rice" in page
    assert f'action="{invite_url(world)}"' in page


def test_login_page_links_to_forgotten_password(client):
    page = client.get("/connexion/").content.decode()
    assert 'href="/mot-de-passe/oublie/"' in page
    assert "Mot de passe oublié ?" in page


def test_forgotten_password_sends_a_french_link_to_a_known_address(world, client):
    anim = world.users.animator
    anim.email = "anim@example.org"
    anim.save()

    response = client.post("/mot-de-passe/oublie/", {"email": "anim@example.org"}, follow=True)

    assert "Si un compte correspond à cette adresse" in response.content.decode()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Atelier : choisir un nouveau mot de passe"
    assert "Votre identifiant de connexion : anim" in mail.outbox[0].body
    assert "/mot-de-passe/" in link_in(mail.outbox[0])


def test_forgotten_password_for_an_unknown_address_sends_nothing_and_says_the_same(world, client):
    anim = world.users.animator
    anim.email = "anim@example.org"
    anim.save()
    known = client.post("/mot-de-passe/oublie/", {"email": "anim@example.org"}, follow=True)
    unknown = client.post("/mot-de-passe/oublie/", {"email": "nobody@example.org"}, follow=True)

    assert len(mail.outbox) == 1
    assert unknown.redirect_chain == known.redirect_chain
    assert without_csrf(unknown) == without_csrf(known)


def test_an_invited_person_who_lost_the_email_can_ask_again(world, coordinator, client):
    coordinator.post(invite_url(world), CAMILLE)
    client.logout()
    client.post("/mot-de-passe/oublie/", {"email": CAMILLE["email"]})
    assert len(mail.outbox) == 2
    assert mail.outbox[1].to == ["camille.roux@example.org"]


def test_reset_confirm_page_in_french_for_a_bad_link(client):
    page = client.get("/mot-de-passe/MQ/jeton-invalide/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "Ce lien n'est plus valable" in body
    assert 'href="/mot-de-passe/oublie/"' in body
    assert '<html lang="fr"' in body


def test_reset_confirm_form_speaks_french(world, client):
    anim = world.users.animator
    anim.email = "anim@example.org"
    anim.save()
    client.post("/mot-de-passe/oublie/", {"email": "anim@example.org"})
    page = client.get(link_in(mail.outbox[0]), follow=True)
    body = page.content.decode()
    assert "Nouveau mot de passe" in body
    assert 'for="id_new_password1"' in body
    mismatch = client.post(
        page.redirect_chain[-1][0],
        {"new_password1": "grand-vent-sur-Roubaix", "new_password2": "autre-chose-encore"},
    )
    assert "Les deux mots de passe ne correspondent pas" in mismatch.content.decode()
