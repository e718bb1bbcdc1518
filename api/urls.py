from django.urls import path

from . import views
from .v1 import api

urlpatterns = [
    path("api/", views.docs, name="api_docs"),
    path("api/v1/", api.urls),
    path("compte/jetons/", views.tokens, name="api_tokens"),
    path("compte/jetons/<int:token_id>/revoquer/", views.token_revoke, name="api_token_revoke"),
    path("donnees-ouvertes.zip", views.open_data_package, name="open_data_package"),
]
