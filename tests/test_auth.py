import pytest
from django.test import Client

from atelier.models import Role, User

from . import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return f.UserFactory(username="camille", first_name="Camille", last_name="Martin")


def login(client, username="camille", password=f.PASSWORD, **extra):
    return client.post("/connexion/", {"username": username, "password": password, **extra})


def test_login_page_is_in_french(client):
    body = client.get("/connexion/").content.decode()
    assert "Connexion" in body and "Mot de passe" in body and 'lang="fr"' in body


def test_login_takes_the_user_home(client, user):
    response = login(client)
    assert response.status_code == 302 and response.url == "/"
    assert "Bonjour Camille Martin" in client.get("/").content.decode()


def test_wrong_password_gets_a_french_message(client, user):
    body = login(client, password="faux").content.decode()
    assert "Saisissez un nom d’utilisateur et un mot de passe valides" in body


def test_repeated_failures_are_throttled_even_with_the_right_password(client, user, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        login(client, password="faux")
    body = login(client).content.decode()
    assert "Trop de tentatives de connexion" in body
    assert "_auth_user_id" not in client.session


def test_throttle_is_per_account(client, user, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    f.UserFactory(username="autre")
    for _ in range(2):
        login(client, password="faux")
    assert "Trop de tentatives de connexion" in login(client).content.decode()
    response = login(client, username="autre")
    assert response.status_code == 302 and response.url == "/"
    assert client.session["_auth_user_id"] == str(User.objects.get(username="autre").pk)


def test_a_success_resets_the_failure_count(client, user, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    login(client, password="faux")
    login(client, password="faux")
    assert login(client).url == "/"
    client.logout()
    login(client, password="faux")
    login(client, password="faux")
    response = login(client)  # a third failure would have been the limit
    assert response.status_code == 302 and response.url == "/"
    assert "Bonjour Camille Martin" in client.get("/").content.decode()


def test_very_long_password_is_refused_before_hashing(client, user):
    body = login(client, password="x" * 100_000).content.decode()
    assert "au plus 1024 caractères" in body


def test_session_is_dead_after_logout(user):
    client = Client()
    login(client)
    cookie = client.cookies["sessionid"].value
    client.post("/deconnexion/")
    replay = Client()
    replay.cookies["sessionid"] = cookie
    assert "Se connecter" in replay.get("/").content.decode()


def test_session_is_dead_after_deactivation(client, user):
    login(client)
    user.is_active = False
    user.save()
    body = client.get("/").content.decode()
    assert "Se connecter" in body and "Bonjour" not in body


def test_deactivated_user_cannot_log_in(client, user):
    user.is_active = False
    user.save()
    body = login(client).content.decode()
    assert "Saisissez un nom d’utilisateur et un mot de passe valides" in body
    assert "_auth_user_id" not in client.session


def test_next_parameter_cannot_send_to_another_site(client, user):
    response = login(client, next="https://malveillant.example/")
    assert response.url == "/"
    client.logout()
    response = login(client, next="/ateliers/x/")
    assert response.url == "/ateliers/x/"


def test_logout_requires_post(client, user):
    login(client)
    assert client.get("/deconnexion/").status_code == 405
    assert "Bonjour Camille Martin" in client.get("/").content.decode()  # still logged in


def test_english_is_available_through_the_switcher(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/connexion/"})
    assert response.status_code == 302
    body = client.get("/connexion/").content.decode()
    assert 'lang="en"' in body and "Log in" in body


def admin_login(client, username="camille", password=f.PASSWORD):
    # As the admin's login page posts it, with its hidden "next".
    data = {"username": username, "password": password, "next": "/admin/"}
    return client.post("/admin/login/?next=/admin/", data)


@pytest.fixture
def superuser():
    return f.UserFactory(username="racine", is_superuser=True, is_staff=True)


def test_admin_login_is_throttled_like_the_site_login(client, superuser, settings):
    settings.LOGIN_FAILURE_LIMIT = 5
    for _ in range(8):
        admin_login(client, "racine", "faux")
    body = admin_login(client, "racine").content.decode()
    assert "Trop de tentatives de connexion" in body
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # still at the login page


def test_failures_on_the_site_and_admin_logins_add_up(client, superuser, settings):
    settings.LOGIN_FAILURE_LIMIT = 4
    for _ in range(2):
        login(client, "racine", "faux")
        admin_login(client, "racine", "faux")
    assert "Trop de tentatives de connexion" in login(client, "racine").content.decode()
    assert "Trop de tentatives de connexion" in admin_login(client, "racine").content.decode()


def test_admin_login_refuses_a_very_long_password_before_hashing(client, superuser, monkeypatch):
    checked = []
    monkeypatch.setattr(User, "check_password", lambda self, raw: checked.append(raw))
    body = admin_login(client, "racine", "x" * 1_000_000).content.decode()
    assert "au plus 1024 caractères" in body
    assert checked == [] and "_auth_user_id" not in client.session


def test_an_over_long_password_counts_as_a_failure(client, user, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    login(client, password="faux")
    login(client, password="faux")
    login(client, password="x" * 5000)  # refused unhashed, and no reset of the count
    assert "Trop de tentatives de connexion" in login(client).content.decode()


def test_a_coordinator_logs_in_through_the_admin_login(client):
    f.UserFactory(username="coordo", role=Role.COORDINATOR)
    response = admin_login(client, "coordo")
    assert response.status_code == 302 and response.url == "/admin/"
    assert "Données des ateliers" in client.get("/admin/").content.decode()


def test_an_animator_cannot_log_in_through_the_admin_login(client, user):
    body = admin_login(client).content.decode()
    assert "_auth_user_id" not in client.session
    assert "errornote" in body
