from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from web import search, territory_views, views

from . import board_views as board
from . import invitations, media_views
from . import people_views as people
from . import workshop_views as setup

handler403 = "web.views.forbidden"
handler404 = "web.views.not_found"
handler500 = "web.views.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("connexion/", views.login_view, name="login"),
    path("deconnexion/", views.logout_view, name="logout"),
    # Choosing a password, after an invitation (atelier/invitations.py) or
    # when it is forgotten: Django's views, French addresses.
    path(
        "mot-de-passe/oublie/",
        auth_views.PasswordResetView.as_view(form_class=invitations.ForgottenPasswordForm),
        name="password_reset",
    ),
    path(
        "mot-de-passe/envoye/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "mot-de-passe/<uidb64>/<token>/",
        # After the link is opened, the token leaves the address for the session.
        auth_views.PasswordResetConfirmView.as_view(reset_url_token="choisir"),  # noqa: S106
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe/fait/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("health/", views.health, name="health"),
    # Before the workshop's own page: "nouveau" is not a slug (Workshop.RESERVED_SLUGS).
    path("ateliers/nouveau/", setup.workshop_create, name="workshop_create"),
    path("ateliers/<slug:slug>/", views.workshop, name="workshop"),
    path("ateliers/<slug:slug>/reglages/", setup.workshop_settings, name="workshop_settings"),
    path("ateliers/<slug:slug>/reglages/archive/", setup.workshop_archive, name="workshop_archive"),
    path("ateliers/<slug:slug>/reglages/temps/", setup.round_add, name="round_add"),
    path("temps/<int:round_id>/reglages/", setup.round_edit, name="round_edit"),
    path("temps/<int:round_id>/reglages/deplacer/", setup.round_move, name="round_move"),
    path("temps/<int:round_id>/reglages/retirer/", setup.round_remove, name="round_remove"),
    path("temps/<int:round_id>/consignes/", setup.question_add, name="question_add"),
    path("consignes/<int:question_id>/", setup.question_edit, name="question_edit"),
    path("consignes/<int:question_id>/deplacer/", setup.question_move, name="question_move"),
    path("consignes/<int:question_id>/retirer/", setup.question_remove, name="question_remove"),
    path("ateliers/<slug:slug>/direct/", board.overview, name="overview"),
    path("ateliers/<slug:slug>/direct/temps/", board.overview_round, name="overview_round"),
    path("ateliers/<slug:slug>/participants/", people.roster_page, name="roster"),
    path("ateliers/<slug:slug>/participants/import/", people.roster_import, name="roster_import"),
    path("ateliers/<slug:slug>/participants.csv", people.roster_export, name="roster_export"),
    path(
        "ateliers/<slug:slug>/participants/autres-noms/", people.name_aliases, name="name_aliases"
    ),
    path(
        "ateliers/<slug:slug>/participants/autres-noms/retirer/",
        people.name_alias_delete,
        name="name_alias_delete",
    ),
    path(
        "participants/<int:participant_id>/modifier/",
        people.participant_edit,
        name="participant_edit",
    ),
    path(
        "participants/<int:participant_id>/retirer/",
        people.participant_delete,
        name="participant_delete",
    ),
    path("temps/<int:round_id>/groupes/", people.round_groups, name="round_groups"),
    path("temps/<int:round_id>/groupes/deplacer/", people.group_move, name="group_move"),
    path("temps/<int:round_id>/groupes/inviter/", people.animator_invite, name="animator_invite"),
    path("temps/<int:round_id>/groupes.csv", people.groups_export, name="groups_export"),
    path("groupes/<int:group_id>/verrou/", people.group_lock, name="group_lock"),
    path("groupes/<int:group_id>/animation/", people.group_animators, name="group_animators"),
    path("groupes/<int:group_id>/", board.board, name="board"),
    path("groupes/<int:group_id>/notes/", board.note_create, name="note_create"),
    path("groupes/<int:group_id>/changements/", board.board_changes, name="board_changes"),
    path("notes/<int:note_id>/", board.note_detail, name="note_detail"),
    path("notes/<int:note_id>/modifier/", board.note_edit, name="note_edit"),
    path("notes/<int:note_id>/supprimer/", board.note_delete, name="note_delete"),
    path("notes/<int:note_id>/retablir/", board.note_restore, name="note_restore"),
    path("notes/<int:note_id>/deplacer/", board.note_move, name="note_move"),
    path("notes/<int:note_id>/themes/", board.note_theme_add, name="note_theme_add"),
    path(
        "notes/<int:note_id>/themes/<int:theme_id>/retirer/",
        board.note_theme_remove,
        name="note_theme_remove",
    ),
    path("apercu/", board.markup_preview, name="markup_preview"),
    path("recherche/", search.search_view, name="search"),
    path("recherche/classer/", search.tag_view, name="search_tag"),
    path("territoires/<int:territory_id>/", territory_views.dashboard, name="territory"),
    path(
        "territoires/<int:territory_id>/donnees.csv",
        territory_views.dashboard_csv,
        name="territory_csv",
    ),
    path("engagements/<int:statement_id>/suivi/", territory_views.follow_up, name="follow_up"),
    path("tendances/", territory_views.trends, name="trends"),
    path("sw.js", board.service_worker, name="service_worker"),
    path("", include("synthesis.urls")),
    # The open-data API (/api/v1/), its French documentation, personal tokens
    # and the dataset package (api/urls.py).
    path("", include("api.urls")),
    path("admin/", admin.site.urls),
    # Logos are public (they appear on public syntheses); every other media
    # file (exports) goes through a view that checks rights at download time.
    # Read through the storage, so a bucket works as the disk does.
    path("media/logos/<path:path>", media_views.logo, name="logo"),
]
