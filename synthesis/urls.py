from django.urls import path

from . import draft_views, suggestion_views, views

urlpatterns = [
    path("ateliers/<slug:slug>/synthese/", views.published, name="synthesis"),
    path("ateliers/<slug:slug>/synthese/edition/", views.editor, name="synthesis_editor"),
    path("ateliers/<slug:slug>/synthese/brouillon/", draft_views.draft, name="synthesis_draft"),
    path(
        "ateliers/<slug:slug>/synthese/brouillon/progression/",
        draft_views.draft_job,
        name="synthesis_draft_job",
    ),
    path(
        "ateliers/<slug:slug>/synthese/brouillon/finesse/",
        draft_views.draft_granularity,
        name="synthesis_draft_granularity",
    ),
    path(
        "ateliers/<slug:slug>/synthese/regroupement-assiste/",
        draft_views.assisted_grouping,
        name="synthesis_assisted_grouping",
    ),
    path(
        "ateliers/<slug:slug>/synthese/revision/", views.new_revision, name="synthesis_new_revision"
    ),
    path("ateliers/<slug:slug>/synthese/etat/", views.change_status, name="synthesis_status"),
    path("ateliers/<slug:slug>/synthese/publier/", views.publish, name="synthesis_publish"),
    path(
        "ateliers/<slug:slug>/synthese/selection/",
        views.section_action,
        name="synthesis_section_action",
    ),
    path("ateliers/<slug:slug>/synthese/rattacher/", views.attach_notes, name="synthesis_attach"),
    path("ateliers/<slug:slug>/synthese/historique/", views.history, name="synthesis_history"),
    path(
        "ateliers/<slug:slug>/synthese/rapprochements/",
        suggestion_views.suggestion_panel,
        name="synthesis_suggestions",
    ),
    path(
        "ateliers/<slug:slug>/synthese/rapprochements/fusionner/",
        suggestion_views.suggestion_accept,
        name="synthesis_suggestion_accept",
    ),
    path(
        "ateliers/<slug:slug>/synthese/rapprochements/ecarter/",
        suggestion_views.suggestion_dismiss,
        name="synthesis_suggestion_dismiss",
    ),
    path("enonces/<int:statement_id>/", views.statement_detail, name="statement_detail"),
    path("enonces/<int:statement_id>/modifier/", views.statement_edit, name="statement_edit"),
    path("enonces/<int:statement_id>/sources/", views.statement_sources, name="statement_sources"),
    path("enonces/<int:statement_id>/ordre/", views.statement_reorder, name="statement_reorder"),
    path("enonces/<int:statement_id>/scinder/", views.statement_split, name="statement_split"),
    path("enonces/<int:statement_id>/retirer/", views.statement_remove, name="statement_remove"),
    path(
        "enonces/<int:statement_id>/intitule/",
        views.statement_accept_label,
        name="statement_accept_label",
    ),
    path("enonces/<int:statement_id>/commentaires/", views.comments, name="statement_comments"),
    path(
        "enonces/<int:statement_id>/commenter/", views.statement_comment, name="statement_comment"
    ),
    path("commentaires/<int:comment_id>/resoudre/", views.comment_resolve, name="comment_resolve"),
    path("syntheses/<int:synthesis_id>/exports/", views.export_panel, name="export_panel"),
    path(
        "syntheses/<int:synthesis_id>/exports/demander/",
        views.export_request,
        name="export_request",
    ),
    path("exports/<int:export_id>/", views.export_download, name="export_download"),
]
